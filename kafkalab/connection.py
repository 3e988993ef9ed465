"""Layer 0: the connection contract, one properties file of client settings for every client.

A reader's cluster is named by $KAFKA_BOOTSTRAP_SERVERS and, when it is secured, $KAFKA_CLIENT_CONFIG:
the path of a Java-style properties file (security.protocol, sasl.mechanism, sasl.jaas.config,
ssl.truststore.*, ssl.keystore.*; librdkafka's own names are accepted too). `client_settings` turns it
into what each client takes: librdkafka names for confluent-kafka, keyword arguments for kafka-python
and aiokafka. TLS files must be PEM: the Python clients read nothing else.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

CLIENTS = ("confluent-kafka", "kafka-python", "aiokafka")
ENV_VAR = "KAFKA_CLIENT_CONFIG"
_JAAS = re.compile(r"^\s*(?P<module>[\w.$]+)\s+(?P<flag>required|requisite|sufficient|optional)(?P<options>.*?);?\s*$")
_OPTION = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|(\S+?))(?=\s|;|$)')
_UNSECURED_SUB = "unsecuredLoginStringClaim_sub"
# Settings with the same meaning under another name per client (None: this client has no such setting).
_NAMES: dict[str, tuple[str | None, str | None]] = {  # librdkafka -> (kafka-python, aiokafka)
    "security.protocol": ("security_protocol", "security_protocol"),
    "sasl.mechanism": ("sasl_mechanism", "sasl_mechanism"),
    "sasl.username": ("sasl_plain_username", "sasl_plain_username"),
    "sasl.password": ("sasl_plain_password", "sasl_plain_password"),
    "ssl.ca.location": ("ssl_cafile", None),
    "ssl.certificate.location": ("ssl_certfile", None),
    "ssl.key.location": ("ssl_keyfile", None),
    "ssl.key.password": ("ssl_password", None),
}


def client_settings(client: str, properties: Mapping[str, str] | str | Path | None = None) -> dict[str, Any]:
    """The settings `client` needs to reach a secured cluster, from a properties file (a path, or
    $KAFKA_CLIENT_CONFIG when None; no file: no settings) or already-read properties. Raises
    ValueError naming the setting it cannot translate."""
    if client not in CLIENTS:
        raise ValueError(f"unknown client {client!r}; known: {', '.join(CLIENTS)}")
    if properties is None:
        path = os.environ.get(ENV_VAR)
        properties = _read_properties(Path(path)) if path else {}
    elif isinstance(properties, (str, Path)):
        properties = _read_properties(Path(properties))
    rd = _librdkafka(dict(properties))
    if client == "confluent-kafka":
        return rd
    return _python(client, rd)


def _read_properties(path: Path) -> dict[str, str]:
    """A Java properties file: key=value or key: value, # and ! comments, backslash continuations."""
    try:
        text = path.read_text()
    except OSError as e:
        raise ValueError(f"{ENV_VAR}: cannot read {path}: {e.strerror}") from None
    out: dict[str, str] = {}
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.lstrip()
        if not pending and (not line or line[0] in "#!"):
            continue
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending = line[:-1]
            continue
        pending = ""
        match = re.match(r"([^=:\s]+)\s*[=:\s]?\s*(.*)", line)
        if match:
            out[match[1]] = match[2].strip()
    return out


def _librdkafka(props: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in props.items():
        if key == "sasl.jaas.config":
            out |= _jaas(value)
        elif key in ("ssl.truststore.location", "ssl.keystore.location"):
            kind = props.get(key.replace("location", "type"), "JKS").upper()
            if kind != "PEM":
                raise ValueError(
                    f"{key} is a {kind} store; the Python clients read PEM files only: export it "
                    "(keytool -exportcert -rfc, or openssl pkcs12) and set the type to PEM"
                )
            if key == "ssl.truststore.location":
                out["ssl.ca.location"] = value
            else:  # a PEM keystore holds the key and the certificate chain in one file
                out |= {"ssl.certificate.location": value, "ssl.key.location": value}
        elif key in ("ssl.truststore.type", "ssl.keystore.type"):
            continue
        elif key == "sasl.mechanisms":
            out["sasl.mechanism"] = value
        else:
            out[key] = value
    return out


def _jaas(text: str) -> dict[str, str]:
    match = _JAAS.match(text)
    if not match:
        raise ValueError(f"sasl.jaas.config is not a JAAS entry (module flag options;): {text!r}")
    module = match["module"].rsplit(".", 1)[-1]
    options = {k: quoted if quoted else bare for k, quoted, bare in _OPTION.findall(match["options"])}
    if module in ("PlainLoginModule", "ScramLoginModule"):
        missing = {"username", "password"} - options.keys()
        if missing:
            raise ValueError(f"sasl.jaas.config ({module}) lacks {', '.join(sorted(missing))}")
        return {"sasl.username": options["username"], "sasl.password": options["password"]}
    if module == "OAuthBearerLoginModule" and _UNSECURED_SUB in options:
        principal = options[_UNSECURED_SUB]
        return {"enable.sasl.oauthbearer.unsecure.jwt": "true", "sasl.oauthbearer.config": f"principal={principal}"}
    raise ValueError(
        f"sasl.jaas.config: {module} with options {sorted(options)} has no equivalent here; "
        "only PLAIN and SCRAM logins and lab (unsecured) OAUTHBEARER tokens are translated"
    )


def _python(client: str, rd: dict[str, str]) -> dict[str, Any]:
    column = 0 if client == "kafka-python" else 1
    out: dict[str, Any] = {}
    check_hostname = True
    principal = None
    for key, value in rd.items():
        if key == "ssl.endpoint.identification.algorithm":
            check_hostname = value.lower() == "https"
        elif key == "enable.sasl.oauthbearer.unsecure.jwt":
            continue
        elif key == "sasl.oauthbearer.config":
            principal = dict(p.split("=", 1) for p in value.split() if "=" in p).get("principal")
        elif key in _NAMES and _NAMES[key][column] is not None:
            out[_NAMES[key][column]] = value
        elif not (client == "aiokafka" and key.startswith("ssl.")):
            raise ValueError(f"{ENV_VAR}: {key} has no {client} equivalent that kafkalab knows")
    if client == "kafka-python":
        if "ssl_cafile" in out or not check_hostname:
            out["ssl_check_hostname"] = check_hostname
    elif out.get("security_protocol", "").endswith("SSL"):
        out["ssl_context"] = _aiokafka_ssl_context(rd, check_hostname)
    if principal is not None:
        out["sasl_oauth_token_provider"] = _unsecured_token_provider(client, principal)
    return out


def _aiokafka_ssl_context(rd: dict[str, str], check_hostname: bool) -> Any:
    from aiokafka.helpers import create_ssl_context

    context = create_ssl_context(
        cafile=rd.get("ssl.ca.location"),
        certfile=rd.get("ssl.certificate.location"),
        keyfile=rd.get("ssl.key.location"),
        password=rd.get("ssl.key.password"),
    )
    context.check_hostname = check_hostname
    return context


ISSUED_AGO_S = 60.0


def unsecured_jwt(principal: str, lifetime_s: float = 3600.0, now: float | None = None) -> str:
    """An unsigned JSON Web Token ("alg": "none") for `principal`: what Kafka's unsecured validator
    accepts and a real one refuses. For labs only. Issued at `now`, by default a minute ago: that
    validator allows no clock skew, and refused a token made the moment it was sent (its iat a few
    milliseconds ahead of the broker's clock) now and then (seen once in about 20 logins)."""
    issued = time.time() - ISSUED_AGO_S if now is None else now

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part({'sub': principal, 'iat': issued, 'exp': issued + lifetime_s})}."


def _unsecured_token_provider(client: str, principal: str) -> Any:
    if client == "kafka-python":
        from kafka.net.sasl.oauth import AbstractTokenProvider

        class KafkaPythonProvider(AbstractTokenProvider):
            def token(self) -> str:
                return unsecured_jwt(principal)

        return KafkaPythonProvider()
    from aiokafka.abc import AbstractTokenProvider as AioTokenProvider

    class AioKafkaProvider(AioTokenProvider):
        async def token(self) -> str:
            return unsecured_jwt(principal)

    return AioKafkaProvider()
