"""The Kafka-aware proxy: frame parsing on frames recorded from both Python clients, the drop rule
against a fake broker, and the lost acknowledgement on the real cluster, from Python and from the CLI."""

import queue
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer

from kafkalab import cli
from kafkalab.proxy import PRODUCE, FrameProxy, parse_request, response_correlation_id, split_frames

FRAMES = Path(__file__).parent / "frames"  # recorded through the proxy from confluent-kafka (v10), kafka-python (v9)


def _recorded(name: str) -> bytes:
    return bytes.fromhex((FRAMES / name).read_text().strip())


@pytest.mark.parametrize(
    ("name", "version", "acks"),
    [
        ("produce-v10-acks-1.hex", 10, -1),
        ("produce-v10-acks0.hex", 10, 0),
        ("produce-v9-acks-1.hex", 9, -1),
        ("produce-v9-acks0.hex", 9, 0),
    ],
)
def test_recorded_produce_requests_parse(name, version, acks):
    frame = _recorded(name)
    assert struct.unpack_from(">i", frame)[0] == len(frame) - 4
    header = parse_request(frame)
    assert (header.api_key, header.api_version, header.acks) == (PRODUCE, version, acks)
    assert header.correlation_id >= 0


def _produce_frame(version: int, acks: int, transactional_id: bytes | None, correlation_id: int = 7) -> bytes:
    """A pre-flexible Produce request (v3-v8): header v1, nullable int16 strings."""
    client_id = b"synthetic"
    body = struct.pack(">hhih", PRODUCE, version, correlation_id, len(client_id)) + client_id
    body += struct.pack(">h", -1) if transactional_id is None else struct.pack(">h", len(transactional_id))
    body += transactional_id or b""
    body += struct.pack(">hi", acks, 30000) + b"\x00" * 8  # acks, timeout, then topic data we never read
    return struct.pack(">i", len(body)) + body


@pytest.mark.parametrize("transactional_id", [None, b"orders-tx"])
@pytest.mark.parametrize("acks", [-1, 0, 1])
def test_pre_flexible_produce_requests_parse(acks, transactional_id):
    header = parse_request(_produce_frame(3, acks, transactional_id))
    assert (header.api_version, header.acks, header.correlation_id) == (3, acks, 7)


def test_split_frames_reassembles_any_chunking():
    stream = _recorded("produce-v10-acks-1.hex") + _recorded("produce-v9-acks0.hex")
    for cut in range(1, len(stream)):
        buffer, frames = bytearray(), []
        for chunk in (stream[:cut], stream[cut:]):
            buffer += chunk
            frames += list(split_frames(buffer))
        assert b"".join(frames) == stream and not buffer


class FakeBroker:
    """Answers every request with a response frame carrying the request's correlation id."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.requests = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        buffer = bytearray()
        while chunk := conn.recv(65536):
            buffer += chunk
            for frame in split_frames(buffer):
                self.requests += 1
                header = parse_request(frame)
                if header.acks != 0:
                    conn.sendall(struct.pack(">ii", 4, header.correlation_id))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _exchange(proxy: FrameProxy, frames: list[bytes]) -> tuple[list[int], bool]:
    """Send frames through the proxy; return the correlation ids answered and whether it was reset."""
    client = socket.create_connection(("127.0.0.1", proxy.listen_port), timeout=3)
    answered, reset, buffer = [], False, bytearray()
    try:
        for frame in frames:
            client.sendall(frame)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and len(answered) < len(frames):
            try:
                chunk = client.recv(65536)
            except (ConnectionResetError, TimeoutError):
                reset = True
                break
            if not chunk:
                reset = True
                break
            buffer += chunk
            answered += [response_correlation_id(f) for f in split_frames(buffer)]
    finally:
        client.close()
    return answered, reset


def test_unarmed_proxy_passes_responses():
    broker = FakeBroker()
    with_proxy = FrameProxy(_free_port(), broker.port).start()
    try:
        answered, reset = _exchange(with_proxy, [_produce_frame(3, -1, None, 1), _produce_frame(3, 1, None, 2)])
    finally:
        with_proxy.stop()
    assert answered == [1, 2] and not reset
    assert [e.what for e in with_proxy.events] == ["produce-forwarded", "produce-forwarded"]


def test_armed_proxy_forwards_the_request_swallows_the_response_and_resets():
    broker = FakeBroker()
    proxy = FrameProxy(_free_port(), broker.port).start()
    proxy.drop_produce_responses(1)
    try:
        answered, reset = _exchange(proxy, [_produce_frame(3, 0, None, 1), _produce_frame(3, -1, None, 2)])
    finally:
        proxy.stop()
    assert broker.requests == 2, "both requests reached the broker"
    assert answered == [] and reset, "the response to the armed produce never arrives"
    assert proxy.armed == 0, "an acks=0 produce (no response coming) does not use up the rule"
    assert [e.what for e in proxy.events][-2:] == ["response-dropped", "connection-reset"]


def _read_all(bootstrap: str, topic: str, expected_at_least: int) -> list[bytes]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": topic, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    values, deadline = [], time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                values.append(msg.value())
            elif msg is None and len(values) >= expected_at_least:
                break
    finally:
        consumer.close()
    return values


@pytest.mark.parametrize(("idempotent", "copies"), [(False, 2), (True, 1)])
def test_lost_acknowledgement_on_the_real_cluster(kafka_cluster, idempotent, copies):
    topic = f"lost-ack-{uuid.uuid4().hex[:8]}"
    kafka_cluster.create_topic(topic)
    with kafka_cluster.proxies() as proxies:
        proxies.drop_produce_responses(kafka_cluster.leader(topic), 1)
        producer = Producer(
            {"bootstrap.servers": proxies.bootstrap_servers, "acks": "all", "enable.idempotence": idempotent}
        )
        reports = []
        producer.produce(topic, b"payment-1", on_delivery=lambda err, msg: reports.append(err))
        assert producer.flush(30) == 0
        whats = [e.what for e in proxies.events]
    assert reports == [None], "the retry succeeds, so the application sees one success"
    assert whats.count("response-dropped") == 1
    assert _read_all(kafka_cluster.bootstrap_servers, topic, copies) == [b"payment-1"] * copies


def _lines_until(proc: subprocess.Popen, lines: queue.Queue, wanted: str, timeout: float) -> list[str]:
    """The process's output lines up to and including the first that contains `wanted`."""
    seen, deadline = [], time.monotonic() + timeout
    while not seen or wanted not in seen[-1]:
        try:
            seen.append(lines.get(timeout=max(0.0, deadline - time.monotonic())))
        except queue.Empty:
            raise AssertionError(f"no {wanted!r} within {timeout}s; output: {seen}") from None
    return seen


@pytest.mark.timeout(90)
def test_cli_proxy_drops_a_response_and_stops_on_ctrl_c(kafka_cluster):
    topic = f"cli-proxy-{uuid.uuid4().hex[:8]}"
    kafka_cluster.create_topic(topic)
    leader = kafka_cluster.leader(topic)
    argv = ["--state-dir", str(kafka_cluster.state_dir), "proxy", "--drop", f"{leader}:1", "--seconds", "60"]
    proc = subprocess.Popen([sys.executable, "-m", "kafkalab.cli", *argv], stdout=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line.rstrip()) for line in proc.stdout], daemon=True).start()
    try:
        started = _lines_until(proc, lines, "bootstrap servers", 20)
        bootstrap = started[-1].split("bootstrap servers ")[1].split()[0]
        producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": False})
        producer.produce(topic, b"payment-1")
        assert producer.flush(30) == 0
        seen = _lines_until(proc, lines, "connection-reset", 10)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0, "Ctrl-C is the normal way to stop the proxy"
        seen += _lines_until(proc, lines, "stopped", 5)
    finally:
        proc.kill()
        proc.wait(10)
    assert any(f"next 1 Produce response(s) from broker {leader}" in line for line in started)
    assert any("response-dropped" in line for line in seen), seen
    assert _read_all(kafka_cluster.bootstrap_servers, topic, 2) == [b"payment-1"] * 2, "the retry wrote a copy"


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["--drop", "0"], "not a broker of this cluster"), (["--drop", "9:2"], "not a broker of this cluster")],
)
def test_cli_proxy_refuses_a_node_that_is_not_a_broker(kafka_cluster, capsys, argv, message):
    assert cli.main(["--state-dir", str(kafka_cluster.state_dir), "proxy", *argv, "--seconds", "1"]) == 1
    assert message in capsys.readouterr().err
