"""Layer 0: a lab certificate authority and the certificates it signs, as PEM files.

`up` of a TLS cluster writes, in the cluster's state dir under tls/: ca.pem (what clients trust),
broker.pem (the brokers' key and certificate, for a PEM keystore), client.pem and client.key (for
mutual TLS). Every certificate names 127.0.0.1 and localhost. Tests also issue broken ones (another
CA, another host name, expired) with the same functions.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LAB_HOSTS = ("127.0.0.1", "localhost")
VALID_DAYS = 30
BROKER_FLAWS = (None, "wrong-host", "expired")


@dataclass(frozen=True)
class Issued:
    """One certificate and its key, as PEM bytes."""

    cert: bytes
    key: bytes

    def write(self, cert_path: Path, key_path: Path | None = None) -> None:
        """The certificate, then its key, into cert_path (one file: a Kafka PEM keystore); or the key
        into key_path of its own."""
        cert_path.parent.mkdir(parents=True, exist_ok=True)
        if key_path is None:
            _write_private(cert_path, self.key + self.cert)
        else:
            cert_path.write_bytes(self.cert)
            _write_private(key_path, self.key)


class Authority:
    """A self-signed CA that signs server and client certificates."""

    def __init__(self, name: str = "kafkalab lab CA") -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = _now()
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=60))  # so that it covers an expired leaf's days too
            .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(self._key, hashes.SHA256())
        )

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(
        self,
        common_name: str,
        hosts: tuple[str, ...] = LAB_HOSTS,
        *,
        client: bool = False,
        valid_from: dt.datetime | None = None,
        valid_days: float = VALID_DAYS,
    ) -> Issued:
        """A leaf certificate for `hosts` (IP addresses and DNS names in its subjectAltName); a client
        certificate with client=True. valid_from in the past and a short validity give an expired one."""
        key = ec.generate_private_key(ec.SECP256R1())
        start = valid_from or _now() - dt.timedelta(minutes=5)
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=valid_days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        cert = builder.sign(self._key, hashes.SHA256())
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return Issued(cert.public_bytes(serialization.Encoding.PEM), key_pem)


@dataclass(frozen=True)
class LabCertificates:
    """The files `up` writes for a TLS cluster."""

    directory: Path

    @property
    def ca(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def broker(self) -> Path:
        return self.directory / "broker.pem"

    @property
    def client_cert(self) -> Path:
        return self.directory / "client.pem"

    @property
    def client_key(self) -> Path:
        return self.directory / "client.key"

    @property
    def client_keystore(self) -> Path:
        """The client's key and certificate in one file: the Java client's PEM keystore."""
        return self.directory / "client-keystore.pem"

    def create(self, flaw: str | None = None) -> LabCertificates:
        """A fresh CA and certificates. A flaw breaks the broker's certificate on purpose (labs and
        tests): "wrong-host" names only kafka.example.com, "expired" ended yesterday."""
        if flaw not in BROKER_FLAWS:
            raise ValueError(f"unknown broker certificate flaw {flaw!r}; known: {BROKER_FLAWS[1:]}")
        ca = Authority()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ca.write_bytes(ca.pem)
        if flaw == "wrong-host":
            broker = ca.issue("kafka.example.com", ("kafka.example.com",))
        elif flaw == "expired":
            broker = ca.issue("kafkalab broker", valid_from=_now() - dt.timedelta(days=31), valid_days=30)
        else:
            broker = ca.issue("kafkalab broker")
        broker.write(self.broker)
        client = ca.issue("admin", (), client=True)
        client.write(self.client_cert, self.client_key)
        client.write(self.client_keystore)
        return self


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_private(path: Path, data: bytes) -> None:
    path.touch(mode=0o600)
    path.write_bytes(data)
