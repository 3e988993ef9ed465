"""kafkalab: real Apache Kafka (KRaft) brokers from Maven Central jars, for labs and tests."""

from .admin import Admin, PartitionState, create_topic, new_topic
from .cluster import Cluster, NodeStatus
from .connection import client_settings
from .errors import ClusterStateError, KafkalabError, NodeFailed, PortBusy, RuntimeMissing
from .node import pid_alive
from .registry import Registry as SchemaRegistry
from .runtime import KAFKA_VERSION, fetch
from .topology import SASL_USERS

__all__ = [
    "KAFKA_VERSION",
    "SASL_USERS",
    "Admin",
    "Cluster",
    "ClusterStateError",
    "KafkalabError",
    "NodeFailed",
    "NodeStatus",
    "PartitionState",
    "PortBusy",
    "RuntimeMissing",
    "SchemaRegistry",
    "client_settings",
    "create_topic",
    "fetch",
    "new_topic",
    "pid_alive",
]
