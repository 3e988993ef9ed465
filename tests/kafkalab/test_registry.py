"""kafkalab's schema registry: a real Apicurio Registry JVM that confluent-kafka's registry client and
serializers use, recorded in the cluster's state file, and gone when the cluster or the test run is."""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from confluent_kafka import Consumer, DeserializingConsumer, SerializingProducer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import StringDeserializer, StringSerializer
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from kafkalab import Cluster, NodeFailed, PortBusy, SchemaRegistry, pid_alive
from kafkalab.plugin import TEST_PORT_BASE
from kafkalab.registry import APICURIO_VERSION, Registry
from kafkalab.runtime import java_executable

ORDER_AVRO = json.dumps(
    {
        "type": "record",
        "name": "Order",
        "namespace": "fieldguide.test",
        "fields": [{"name": "id", "type": "string"}, {"name": "qty", "type": "int"}],
    }
)
ORDER_JSON = json.dumps(
    {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Order",
        "type": "object",
        "properties": {"id": {"type": "string"}, "qty": {"type": "integer"}},
        "required": ["id", "qty"],
    }
)
ORDERS = [{"id": f"order-{i}", "qty": i} for i in range(5)]


def _port_base() -> int:
    return int(os.environ.get("KAFKALAB_PORT_BASE") or TEST_PORT_BASE)


# Clusters of one node started by these tests sit between the session cluster's ports (B+0..2,
# B+100..102, B+200, B+300..302, B+400..402, B+500): at B+50 their ports are B+50, B+150, B+250,
# B+350 and the registry's B+550; at B+60, the same plus ten.
OWN_CLUSTER_OFFSET = 50
INNER_RUN_OFFSET = 60


def _die_with_this_process() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _consume(topic: str, bootstrap: str, count: int, **config) -> list:
    consumer_cls = DeserializingConsumer if "value.deserializer" in config else Consumer
    consumer = consumer_cls(
        {"bootstrap.servers": bootstrap, "group.id": f"{topic}-reader", "auto.offset.reset": "earliest", **config}
    )
    consumer.subscribe([topic])
    got = []
    deadline = time.monotonic() + 30
    try:
        while len(got) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                got.append(msg)
    finally:
        consumer.close()
    return got


def _produce(topic: str, bootstrap: str, serializer, values: list[dict]) -> list:
    producer = SerializingProducer(
        {"bootstrap.servers": bootstrap, "key.serializer": StringSerializer(), "value.serializer": serializer}
    )
    reports = []
    for value in values:
        producer.produce(topic, key=value["id"], value=value, on_delivery=lambda err, msg: reports.append((err, msg)))
    assert producer.flush(30) == 0
    return reports


def test_the_registry_stores_an_avro_schema_and_gives_it_back(schema_registry_url):
    client = SchemaRegistryClient({"url": schema_registry_url})
    subject = f"registry-test-{time.time_ns()}-value"
    schema_id = client.register_schema(subject, Schema(ORDER_AVRO, "AVRO"))
    again = client.register_schema(subject, Schema(ORDER_AVRO, "AVRO"))
    assert again == schema_id  # the same schema under the same subject is not a new version
    assert json.loads(client.get_schema(schema_id).schema_str) == json.loads(ORDER_AVRO)
    latest = client.get_latest_version(subject)
    assert (latest.schema_id, latest.version, latest.schema.schema_type) == (schema_id, 1, "AVRO")
    assert subject in client.get_subjects()


def test_avro_records_round_trip_through_the_cluster(schema_registry_url, kafka_bootstrap, kafka_topic):
    client = SchemaRegistryClient({"url": schema_registry_url})
    reports = _produce(kafka_topic, kafka_bootstrap, AvroSerializer(client, ORDER_AVRO), ORDERS)
    assert [err for err, _ in reports] == [None] * len(ORDERS)
    assert [msg.offset() for _, msg in reports] == list(range(len(ORDERS)))

    schema_id = client.get_latest_version(f"{kafka_topic}-value").schema_id
    raw = _consume(kafka_topic, kafka_bootstrap, len(ORDERS))
    for msg in raw:  # the wire format: magic byte 0, the schema id as 4 big-endian bytes, then Avro
        assert msg.value()[0] == 0
        assert struct.unpack(">I", msg.value()[1:5])[0] == schema_id

    read = _consume(
        kafka_topic, kafka_bootstrap, len(ORDERS), **{"key.deserializer": StringDeserializer(),
        "value.deserializer": AvroDeserializer(client), "group.id": f"{kafka_topic}-avro"},
    )  # fmt: skip
    assert [m.value() for m in read] == ORDERS


def test_json_schema_records_round_trip_through_the_cluster(schema_registry_url, kafka_bootstrap, kafka_topic):
    client = SchemaRegistryClient({"url": schema_registry_url})
    reports = _produce(kafka_topic, kafka_bootstrap, JSONSerializer(ORDER_JSON, client), ORDERS)
    assert [err for err, _ in reports] == [None] * len(ORDERS)
    assert client.get_latest_version(f"{kafka_topic}-value").schema.schema_type == "JSON"
    read = _consume(
        kafka_topic, kafka_bootstrap, len(ORDERS), **{"key.deserializer": StringDeserializer(),
        "value.deserializer": JSONDeserializer(ORDER_JSON, schema_registry_client=client)},
    )  # fmt: skip
    assert [m.value() for m in read] == ORDERS


def _order_message_class():
    """An Order message class built at run time (what protoc would generate from order.proto)."""
    proto = descriptor_pb2.FileDescriptorProto(name="fieldguide_test_order.proto", package="fieldguide.test")
    proto.syntax = "proto3"
    message = proto.message_type.add(name="Order")
    message.field.add(name="id", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING)
    message.field.add(name="qty", number=2, type=descriptor_pb2.FieldDescriptorProto.TYPE_INT32)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("fieldguide.test.Order"))


def test_protobuf_records_round_trip_through_the_cluster(schema_registry_url, kafka_bootstrap, kafka_topic):
    client = SchemaRegistryClient({"url": schema_registry_url})
    order = _order_message_class()
    conf = {"use.deprecated.format": False}
    messages = [order(id=o["id"], qty=o["qty"]) for o in ORDERS]
    producer = SerializingProducer({"bootstrap.servers": kafka_bootstrap, "key.serializer": StringSerializer(),
                                    "value.serializer": ProtobufSerializer(order, client, conf)})  # fmt: skip
    reports = []
    for m in messages:
        producer.produce(kafka_topic, key=m.id, value=m, on_delivery=lambda err, msg: reports.append(err))
    assert producer.flush(30) == 0 and reports == [None] * len(ORDERS)
    assert client.get_latest_version(f"{kafka_topic}-value").schema.schema_type == "PROTOBUF"
    read = _consume(
        kafka_topic, kafka_bootstrap, len(ORDERS), **{"key.deserializer": StringDeserializer(),
        "value.deserializer": ProtobufDeserializer(order, conf)},
    )  # fmt: skip
    assert [{"id": m.value().id, "qty": m.value().qty} for m in read] == ORDERS


def test_the_state_file_records_the_running_registry(schema_registry_url, kafka_cluster):
    attached = Cluster.attach(kafka_cluster.state_dir, log=lambda _: None)
    assert attached.registry_url == schema_registry_url
    assert attached.registry is not None and attached.registry.alive
    assert schema_registry_url == f"http://127.0.0.1:{kafka_cluster.topology.registry_port}/apis/ccompat/v7"
    cmdline = Path(f"/proc/{attached.registry.pid}/cmdline").read_bytes()
    assert b"quarkus-run.jar" in cmdline and APICURIO_VERSION in attached.registry.log_tail(400)


def test_up_with_a_registry_starts_it_and_down_stops_it(tmp_path):
    cluster = Cluster(1, port_base=_port_base() + OWN_CLUSTER_OFFSET, state_dir=tmp_path / "c", registry=True,
                      die_with_parent=True, log=lambda _: None)  # fmt: skip
    try:
        cluster.up()
        registry = cluster.registry
        assert registry is not None and registry.healthy()
        client = SchemaRegistryClient({"url": cluster.registry_url})
        assert client.register_schema("own-cluster-value", Schema(ORDER_AVRO, "AVRO")) >= 1
        recorded = json.loads(cluster.state_file.read_text())["registry"]
        assert (recorded["pid"], recorded["url"]) == (registry.pid, cluster.registry_url)
    finally:
        cluster.down()
    assert not pid_alive(registry.pid)
    assert not _listening(registry.port)


def test_stop_registry_leaves_the_cluster_running(tmp_path):
    cluster = Cluster(1, port_base=_port_base() + OWN_CLUSTER_OFFSET, state_dir=tmp_path / "c",
                      die_with_parent=True, log=lambda _: None)  # fmt: skip
    try:
        cluster.up()
        assert cluster.registry_url is None
        url = cluster.start_registry()
        assert cluster.start_registry() == url  # one registry per cluster: a second call keeps it
        pid = cluster.registry.pid
        cluster.stop_registry()
        assert not pid_alive(pid)
        assert cluster.registry_url is None and json.loads(cluster.state_file.read_text())["registry"] is None
        assert cluster.is_up()
    finally:
        cluster.down()


def test_a_registry_whose_start_fails_says_why(tmp_path):
    registry = Registry(_port_base() + OWN_CLUSTER_OFFSET + 500, tmp_path / "r")
    registry.start(tmp_path / "no-such-app", java_executable(), die_with_parent=True)
    with pytest.raises(NodeFailed, match=r"exited during start-up(.|\n)*quarkus-run.jar"):
        registry.wait_ready(timeout=30)
    assert not registry.alive


INNER_TEST = """
import json, os, time
def test_holds_the_registry(kafka_cluster, schema_registry_url):
    pids = [n.pid for n in kafka_cluster.nodes] + [kafka_cluster.registry.pid]
    os.makedirs(os.path.dirname(os.environ["MARKER"]), exist_ok=True)
    with open(os.environ["MARKER"] + ".tmp", "w") as f:
        json.dump(pids, f)
    os.replace(os.environ["MARKER"] + ".tmp", os.environ["MARKER"])
    time.sleep(120)
"""


@pytest.mark.parametrize("how", ["SIGINT", "SIGKILL"])
def test_the_registry_dies_with_an_interrupted_or_killed_test_run(tmp_path, how):
    (tmp_path / "test_inner.py").write_text(INNER_TEST)
    marker = tmp_path / "out" / "pids.json"
    env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "KAFKA_SCHEMA_REGISTRY_URL")}
    env.update(MARKER=str(marker), KAFKALAB_BROKERS="1", KAFKALAB_PORT_BASE=str(_port_base() + INNER_RUN_OFFSET))
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
         "-c", os.devnull, str(tmp_path / "test_inner.py")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=_die_with_this_process,  # if this test run is killed, the inner run goes too
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 150
        while not marker.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"inner run never reached its test:\n{proc.communicate()[0]}")
            time.sleep(0.2)
        pids = json.loads(marker.read_text())
        assert len(pids) == 2 and all(pid_alive(p) for p in pids)  # one combined node and the registry
        proc.send_signal(getattr(signal, how))
        out = proc.communicate(timeout=60)[0]
        if how == "SIGINT":
            assert "KeyboardInterrupt" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [p for p in pids if pid_alive(p)]
    for p in left:
        os.kill(p, signal.SIGKILL)
    assert not left, f"processes {left} outlived the test run"


# A registry on its own (kafkalab.SchemaRegistry.launch) sits at B+580, clear of the ports above and of
# examples/schemas/registry-outages (B+570, B+571).
OWN_REGISTRY_OFFSET = 580


def test_a_registry_of_its_own_launches_restarts_empty_and_stops(tmp_path):
    port = _port_base() + OWN_REGISTRY_OFFSET
    with SchemaRegistry.launch(port, tmp_path / "r", log=lambda _: None) as registry:
        assert registry.healthy() and registry.url == f"http://127.0.0.1:{port}/apis/ccompat/v7"
        with pytest.raises(PortBusy):
            SchemaRegistry.launch(port, tmp_path / "other", log=lambda _: None)
        client = SchemaRegistryClient({"url": registry.url})
        assert client.register_schema("own-value", Schema(ORDER_AVRO, "AVRO")) == 1
        first_pid = registry.pid
        took = registry.restart()
        assert 0 < took < 90 and registry.healthy() and registry.pid != first_pid
        assert not pid_alive(first_pid)
        assert SchemaRegistryClient({"url": registry.url}).get_subjects() == []  # in-memory: empty again
        registry.stop()
        assert not pid_alive(registry.pid) and not _listening(port)
        assert registry.restart() > 0 and registry.healthy()  # a stopped registry starts again
        pid = registry.pid
    assert not pid_alive(pid) and not _listening(port)  # the with block stopped it


def test_restart_needs_a_launched_registry(tmp_path):
    registry = Registry(_port_base() + OWN_REGISTRY_OFFSET, tmp_path / "r")
    with pytest.raises(NodeFailed, match="Registry.launch"):
        registry.restart()
