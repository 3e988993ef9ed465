"""The shape of a lab cluster: which nodes, which roles, which ports, which settings."""

from __future__ import annotations

from dataclasses import dataclass

from .connection import client_settings
from .node import NodeSpec, Setting

DEFAULT_PORT_BASE = 9092
CONTROLLER_ID = 0
LISTENERS = "CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,CLIENT:PLAINTEXT,PROXIED:PLAINTEXT"
# With sasl=True the client listener takes SASL/PLAIN logins and the StandardAuthorizer checks ACLs.
# admin is a super user; alice and bob start with no permissions: labs grant or deny them.
SASL_USERS = {"admin": "admin-secret", "alice": "alice-secret", "bob": "bob-secret"}
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
# The client listener's security, from `kafkalab up` flags. Replication (INTERNAL) and the controller
# stay PLAINTEXT on loopback in every mode: only the listener clients use is secured.
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-512", "OAUTHBEARER")
TLS_MODES = ("server", "mutual")  # server: the client checks the broker; mutual: the broker checks the client too
_LOGIN_MODULES = {
    "PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule",
    "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule",
    "OAUTHBEARER": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule",
}


@dataclass(frozen=True)
class Topology:
    """N brokers; with N > 1 a dedicated controller, so two brokers can die without losing quorum.

    Ports, from the base B: broker i's client listener is B+i-1, its internal (replication)
    listener B+100+i-1; the controller listens on B+200. Broker i also has a PROXIED client listener
    on B+300+i-1 that advertises B+400+i-1, where kafkalab.proxy listens when a lab starts it. The
    schema registry, when the cluster has one, listens on B+500.
    """

    brokers: int = 3
    port_base: int = DEFAULT_PORT_BASE
    sasl: bool | str = False  # True is "PLAIN" (kafkalab's first mode); or a name in SASL_MECHANISMS
    tls: str = ""  # "", or one of TLS_MODES; SCRAM and OAUTHBEARER imply "server"
    tls_dir: str = ""  # where certs.LabCertificates keeps the PEM files

    def __post_init__(self) -> None:
        sasl = "PLAIN" if self.sasl is True else (self.sasl or "")
        if sasl not in ("", *SASL_MECHANISMS):
            raise ValueError(f"unknown SASL mechanism {sasl!r}; kafkalab knows {', '.join(SASL_MECHANISMS)}")
        if self.tls not in ("", *TLS_MODES):
            raise ValueError(f"unknown TLS mode {self.tls!r}; kafkalab knows {', '.join(TLS_MODES)}")
        object.__setattr__(self, "sasl", sasl)
        if sasl in ("SCRAM-SHA-512", "OAUTHBEARER") and not self.tls:
            object.__setattr__(self, "tls", "server")  # passwords and tokens never travel in the clear
        if self.brokers < 1:
            raise ValueError("a cluster needs at least one broker")
        if not 1024 <= self.port_base <= 65535 - 200:
            raise ValueError(f"port base {self.port_base} must be within 1024..65335")

    @property
    def replication_factor(self) -> int:
        return min(3, self.brokers)

    @property
    def controller_port(self) -> int:
        return self.port_base + 200

    @property
    def registry_port(self) -> int:
        return self.port_base + 500

    def nodes(self) -> list[NodeSpec]:
        b = self.port_base
        if self.brokers == 1:
            return [NodeSpec(1, "combined", b, b + 100, b + 200, b + 300)]
        brokers = [
            NodeSpec(i, "broker", b + i - 1, b + 100 + i - 1, None, b + 300 + i - 1) for i in range(1, self.brokers + 1)
        ]
        return [NodeSpec(CONTROLLER_ID, "controller", None, None, b + 200), *brokers]

    def bootstrap_servers(self) -> str:
        return ",".join(f"127.0.0.1:{n.client_port}" for n in self.nodes() if n.is_broker)

    def voters(self) -> str:
        voter = CONTROLLER_ID if self.brokers > 1 else 1
        return f"{voter}@127.0.0.1:{self.controller_port}"

    def settings(self, spec: NodeSpec, data_dir: str, overrides: dict[str, object]) -> list[Setting]:
        """Every setting a node runs with, each with the reason it differs from Kafka's default."""
        rf = self.replication_factor
        out: list[Setting] = [
            ("node.id", spec.node_id, ""),
            ("process.roles", {"combined": "broker,controller"}.get(spec.role, spec.role), ""),
            ("controller.quorum.voters", self.voters(), "static quorum: one voter"),
            ("controller.listener.names", "CONTROLLER", ""),
            ("listener.security.protocol.map", self._protocols(), ""),
            ("log.dirs", data_dir, ""),
        ]
        listeners = []
        if spec.is_broker:
            listeners += [
                f"INTERNAL://127.0.0.1:{spec.internal_port}",
                f"CLIENT://127.0.0.1:{spec.client_port}",
                f"PROXIED://127.0.0.1:{spec.proxied_port}",
            ]
        if spec.controller_port:
            listeners.append(f"CONTROLLER://127.0.0.1:{spec.controller_port}")
        out.append(("listeners", ",".join(listeners), "loopback only: nothing is reachable from outside"))
        if spec.is_broker:
            out += [
                (
                    "advertised.listeners",
                    ",".join([*listeners[:2], f"PROXIED://127.0.0.1:{spec.proxy_port}"]),
                    "clients that bootstrap through kafkalab.proxy keep using it",
                ),
                ("inter.broker.listener.name", "INTERNAL", "replication stays off the client port"),
                ("broker.heartbeat.interval.ms", 500, "lab: a dead broker is noticed in seconds"),
                ("replica.lag.time.max.ms", 8000, "lab: ISR shrinks after 8 s (default 30 s)"),
                ("auto.create.topics.enable", False, "lab: every topic is created on purpose"),
                ("default.replication.factor", rf, ""),
                ("min.insync.replicas", 1, "Kafka's default, stated: topics that need 2 say so"),
                ("offsets.topic.replication.factor", rf, "internal topics sized to the cluster"),
                ("offsets.topic.num.partitions", 3, ""),
                ("transaction.state.log.replication.factor", rf, ""),
                ("transaction.state.log.min.isr", min(2, rf), ""),
                ("transaction.state.log.num.partitions", 3, ""),
                ("share.coordinator.state.topic.replication.factor", rf, ""),
                ("share.coordinator.state.topic.min.isr", min(2, rf), ""),
                ("share.coordinator.state.topic.num.partitions", 3, ""),
                ("group.initial.rebalance.delay.ms", 0, "lab: consumers start at once"),
                ("num.network.threads", 2, "fewer threads: four JVMs share two cores"),
                ("num.io.threads", 2, ""),
                ("num.replica.fetchers", 1, ""),
                ("background.threads", 2, ""),
                ("log.cleaner.threads", 1, ""),
            ]
        if spec.controller_port:
            out += [
                ("broker.session.timeout.ms", 4000, "lab: fence a silent broker after 4 s (default 9 s)"),
                ("auto.leader.rebalance.enable", False, "lab: leaders move only when a lab moves them"),
                ("unclean.leader.election.interval.ms", 1000, "lab: honour unclean election at once"),
                ("default.replication.factor", rf, "read by the controller from Kafka 5.0 on"),
            ]
        if self.sasl:
            out += self._sasl_settings(spec)
        if self.tls and spec.is_broker:
            out += self._tls_settings()
        unique: dict[str, Setting] = {}
        for k, v, w in out:  # a combined node has both halves; the first mention wins
            unique.setdefault(k, (k, v, w))
        out = list(unique.values())
        keys = set(unique)
        out += [(k, v, "override") for k, v in overrides.items() if k not in keys]
        return [(k, overrides.get(k, v), w) for k, v, w in out]

    @property
    def security_protocol(self) -> str:
        """The client listener's protocol: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL."""
        if self.sasl:
            return "SASL_SSL" if self.tls else "SASL_PLAINTEXT"
        return "SSL" if self.tls else "PLAINTEXT"

    @property
    def mode(self) -> str:
        """A short name of the client listener's security, as `kafkalab status` prints it."""
        parts = [{"server": "tls", "mutual": "mtls"}.get(self.tls, "")]
        parts.append({"PLAIN": "sasl-plain", "SCRAM-SHA-512": "sasl-scram", "OAUTHBEARER": "sasl-oauthbearer"}.get(
            str(self.sasl), ""))  # fmt: skip
        return "+".join(p for p in parts if p) or "plaintext"

    def _protocols(self) -> str:
        return LISTENERS.replace("CLIENT:PLAINTEXT", f"CLIENT:{self.security_protocol}")

    def _tls_settings(self) -> list[Setting]:
        out: list[Setting] = [
            ("listener.name.client.ssl.keystore.type", "PEM", "the broker's key and certificate, made at `up`"),
            ("listener.name.client.ssl.keystore.location", f"{self.tls_dir}/broker.pem", ""),
        ]
        if self.tls == "mutual":
            out += [
                ("listener.name.client.ssl.client.auth", "required", "clients must show a certificate"),
                ("listener.name.client.ssl.truststore.type", "PEM", "signed by the lab CA"),
                ("listener.name.client.ssl.truststore.location", f"{self.tls_dir}/ca.pem", ""),
            ]
        return out

    def format_args(self) -> list[str]:
        """Storage tool arguments this security needs: KRaft keeps SCRAM credentials in the metadata
        log, so the users are created when storage is formatted, before any node runs."""
        if self.sasl != "SCRAM-SHA-512":
            return []
        out = []
        for user, password in SASL_USERS.items():
            out += ["--add-scram", f"SCRAM-SHA-512=[name={user},password={password}]"]
        return out

    def proxy_bootstrap_servers(self) -> str:
        return ",".join(f"127.0.0.1:{n.proxy_port}" for n in self.nodes() if n.is_broker)

    def _sasl_settings(self, spec: NodeSpec) -> list[Setting]:
        # Nodes talk to each other as ANONYMOUS over the PLAINTEXT loopback listeners, hence a super user.
        out: list[Setting] = [
            ("authorizer.class.name", AUTHORIZER, "ACLs are enforced"),
            ("super.users", "User:admin;User:ANONYMOUS", "admin, and the nodes themselves"),
        ]
        if spec.is_broker:
            mechanism = str(self.sasl)
            module = _LOGIN_MODULES[mechanism]
            if mechanism == "PLAIN":
                users = " ".join(f'user_{u}="{p}"' for u, p in SASL_USERS.items())
                jaas = f'{module} required username="admin" password="{SASL_USERS["admin"]}" {users};'
                why = "the client listener takes user names and passwords"
            elif mechanism == "SCRAM-SHA-512":
                jaas = f"{module} required;"
                why = "salted challenge-response logins; the users were created at format time"
            else:
                # No sasl.server.callback.handler.class: Kafka's unsecured-JWT validator, for labs only.
                jaas = f'{module} required unsecuredLoginStringClaim_sub="admin";'
                why = "LAB ONLY: unsigned tokens are accepted (Kafka's unsecured-JWT validator)"
            out += [
                ("sasl.enabled.mechanisms", mechanism, why),
                ("listener.name.client.sasl.enabled.mechanisms", mechanism, ""),
                (f"listener.name.client.{mechanism.lower()}.sasl.jaas.config", jaas, ""),
            ]
        return out

    def client_properties(self, user: str = "admin") -> dict[str, str]:
        """Java client settings for this cluster's client listener (empty for PLAINTEXT): what
        `up` writes to client.properties, the file $KAFKA_CLIENT_CONFIG can name."""
        if self.security_protocol == "PLAINTEXT":
            return {}
        out = {"security.protocol": self.security_protocol}
        if self.tls:
            out |= {"ssl.truststore.type": "PEM", "ssl.truststore.location": f"{self.tls_dir}/ca.pem"}
        if self.tls == "mutual":
            out |= {"ssl.keystore.type": "PEM", "ssl.keystore.location": f"{self.tls_dir}/client-keystore.pem"}
        if self.sasl:
            mechanism = str(self.sasl)
            module = _LOGIN_MODULES[mechanism]
            if mechanism == "OAUTHBEARER":
                jaas = f'{module} required unsecuredLoginStringClaim_sub="{user}";'
            else:
                jaas = f'{module} required username="{user}" password="{SASL_USERS[user]}";'
            out |= {"sasl.mechanism": mechanism, "sasl.jaas.config": jaas}
        return out

    def client_config(self, user: str = "admin") -> dict[str, str]:
        """librdkafka-style settings a client needs besides bootstrap.servers (empty for PLAINTEXT)."""
        return {k: str(v) for k, v in client_settings("confluent-kafka", self.client_properties(user)).items()}
