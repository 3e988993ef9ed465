"""Errors kafkalab raises. Each message says what went wrong and what to do about it."""


class KafkalabError(RuntimeError):
    """Base class: something the reader can fix (install, free a port, read a log)."""


class RuntimeMissing(KafkalabError):
    """Java, Maven or the Kafka jars are not available."""


class PortBusy(KafkalabError):
    """A port the cluster needs is already taken by another process."""

    def __init__(self, port: int, hint: str) -> None:
        super().__init__(f"port {port} on 127.0.0.1 is already in use. {hint}")
        self.port = port


class NodeFailed(KafkalabError):
    """A node exited or never became ready; the message carries its log tail."""


class ClusterStateError(KafkalabError):
    """The request does not fit the cluster's state (already up, not up, unknown node)."""
