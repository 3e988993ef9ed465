"""The whole no-loss chain with confluent-kafka: a safe topic, a safe producer, a consumer that commits after work."""

import os
import time
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic, ResourceType

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")
CHECKED = ("min.insync.replicas", "unclean.leader.election.enable")


def create_topic(name: str) -> dict[str, str]:
    # --8<-- [start:topic]
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY})
    topic = NewTopic(
        name,
        num_partitions=1,
        replication_factor=3,
        config={"min.insync.replicas": "2", "unclean.leader.election.enable": "false"},
    )
    admin.create_topics([topic])[name].result(timeout=30)
    # --8<-- [end:topic]
    kafkalab.Admin(BOOTSTRAP_SERVERS).await_healthy([name], timeout=30)
    resource = ConfigResource(ResourceType.TOPIC, name)
    entries = admin.describe_configs([resource])[resource].result(timeout=30)
    return {key: entries[key].value for key in CHECKED}


def produce(topic: str, values: list[bytes]) -> tuple[list[tuple], int]:
    # --8<-- [start:producer]
    producer = Producer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            **SECURITY,
            "acks": "all",
            "enable.idempotence": True,
            "retries": 2147483647,  # librdkafka's default: the time limit below is what ends retrying
            "delivery.timeout.ms": 300000,
            "max.in.flight.requests.per.connection": 5,
            "linger.ms": 5,
        }
    )
    reports = []
    for value in values:
        producer.produce(topic, value=value, on_delivery=lambda err, msg: reports.append((err, msg.offset())))
        producer.poll(0)
    remaining = producer.flush(30)  # 0: every record has its report
    producer.close()
    # --8<-- [end:producer]
    return reports, remaining


def consume(topic: str, group: str, count: int, timeout: float = 20.0) -> tuple[list[bytes], int]:
    processed = []
    # --8<-- [start:consumer]
    consumer = Consumer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            **SECURITY,
            "group.id": group,
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    deadline = time.monotonic() + timeout
    while len(processed) < count and time.monotonic() < deadline:
        msg = consumer.poll(1.0)
        if msg is None or msg.error() is not None:
            continue
        processed.append(msg.value())  # process first...
        consumer.commit(message=msg, asynchronous=False)  # ...then commit
    # --8<-- [end:consumer]
    committed = consumer.committed([TopicPartition(topic, 0)], timeout=10)[0].offset
    consumer.close()
    return processed, committed


def main() -> dict:
    topic = f"reliable-orders-{uuid.uuid4().hex[:8]}"
    configs = create_topic(topic)
    values = [f"order-{i}".encode() for i in range(5)]
    reports, remaining = produce(topic, values)
    processed, committed = consume(topic, f"reliable-{uuid.uuid4().hex[:8]}", len(values))
    return {
        "topic": topic,
        "configs": configs,
        "reports": reports,
        "remaining": remaining,
        "processed": processed,
        "committed": committed,
    }


if __name__ == "__main__":
    print(main())
