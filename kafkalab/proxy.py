"""A Kafka-protocol-aware TCP proxy for the lost-acknowledgement lab.

Every broker has a PROXIED listener whose advertised port is where this proxy listens, so a client
that bootstraps through the proxy keeps talking through it. Armed with `drop_produce_responses(n)`,
the proxy lets the next n Produce requests (that expect a response) reach the broker, swallows each
response and resets the client's connection: the write happened, the acknowledgement never arrives.

Frames are an int32 size and a body. A request body starts with int16 api_key, int16 api_version,
int32 correlation_id; a response body starts with the int32 correlation_id.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

PRODUCE = 0


@dataclass(frozen=True)
class RequestHeader:
    api_key: int
    api_version: int
    correlation_id: int
    acks: int | None  # Produce requests only


def split_frames(buffer: bytearray) -> Iterator[bytes]:
    """Yield whole frames (size prefix included) from the front of buffer, consuming them."""
    while len(buffer) >= 4:
        (size,) = struct.unpack_from(">i", buffer)
        if len(buffer) < 4 + size:
            return
        frame = bytes(buffer[: 4 + size])
        del buffer[: 4 + size]
        yield frame


def _uvarint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def parse_request(frame: bytes) -> RequestHeader:
    """The header of a request frame and, for Produce, its acks (which decides if a response comes)."""
    api_key, version, correlation_id = struct.unpack_from(">hhi", frame, 4)
    acks = None
    if api_key == PRODUCE:
        pos = 12
        (client_id_len,) = struct.unpack_from(">h", frame, pos)
        pos += 2 + max(client_id_len, 0)
        if version >= 9:  # flexible versions: header tagged fields, then a compact transactional_id
            pos = _skip_tagged_fields(frame, pos)
            length, pos = _uvarint(frame, pos)
            pos += max(length - 1, 0)
        elif version >= 3:
            (txn_len,) = struct.unpack_from(">h", frame, pos)
            pos += 2 + max(txn_len, 0)
        (acks,) = struct.unpack_from(">h", frame, pos)
    return RequestHeader(api_key, version, correlation_id, acks)


def _skip_tagged_fields(frame: bytes, pos: int) -> int:
    count, pos = _uvarint(frame, pos)
    for _ in range(count):
        _tag, pos = _uvarint(frame, pos)
        size, pos = _uvarint(frame, pos)
        pos += size
    return pos


def response_correlation_id(frame: bytes) -> int:
    return struct.unpack_from(">i", frame, 4)[0]


@dataclass(frozen=True)
class ProxyEvent:
    at: float  # time.time()
    port: int
    what: str  # "produce-forwarded", "response-dropped", "connection-reset"
    correlation_id: int


class FrameProxy:
    """One listening port forwarding to one broker listener, with Produce responses droppable."""

    def __init__(self, listen_port: int, target_port: int, on_event: Callable[[ProxyEvent], None] | None = None):
        self.listen_port = listen_port
        self.target_port = target_port
        self.on_event = on_event or (lambda e: None)
        self.events: list[ProxyEvent] = []
        self._armed = 0
        self._lock = threading.Lock()
        self._server: socket.socket | None = None
        self._conns: set[socket.socket] = set()

    def drop_produce_responses(self, count: int = 1) -> None:
        with self._lock:
            self._armed += count

    @property
    def armed(self) -> int:
        return self._armed

    def start(self) -> FrameProxy:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.listen_port))
        server.listen()
        self._server = server
        threading.Thread(target=self._accept, daemon=True, name=f"proxy-{self.listen_port}").start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server:
            _reset(server)  # wakes the accept() thread, which would otherwise keep the port bound
        for conn in list(self._conns):
            _reset(conn)

    def _event(self, what: str, correlation_id: int) -> None:
        event = ProxyEvent(time.time(), self.listen_port, what, correlation_id)
        self.events.append(event)
        self.on_event(event)

    def _accept(self) -> None:
        while self._server is not None:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            try:
                broker = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                _reset(client)
                continue
            broker.settimeout(None)
            self._conns |= {client, broker}
            doomed: set[int] = set()
            threading.Thread(target=self._requests, args=(client, broker, doomed), daemon=True).start()
            threading.Thread(target=self._responses, args=(broker, client, doomed), daemon=True).start()

    def _requests(self, client: socket.socket, broker: socket.socket, doomed: set[int]) -> None:
        buffer = bytearray()
        while chunk := _recv(client):
            buffer += chunk
            for frame in split_frames(buffer):
                header = parse_request(frame)
                if header.api_key == PRODUCE and header.acks != 0:
                    with self._lock:
                        if self._armed > 0:
                            self._armed -= 1
                            doomed.add(header.correlation_id)
                    self._event("produce-forwarded", header.correlation_id)
                if not _send(broker, frame):
                    break
        self._close(client, broker)

    def _responses(self, broker: socket.socket, client: socket.socket, doomed: set[int]) -> None:
        buffer = bytearray()
        while chunk := _recv(broker):
            buffer += chunk
            for frame in split_frames(buffer):
                correlation_id = response_correlation_id(frame)
                if correlation_id in doomed:
                    # Both events are recorded before the reset: the client reacts to the reset at
                    # once, and whoever it tells must already find the whole story in the log.
                    self._event("response-dropped", correlation_id)
                    self._event("connection-reset", correlation_id)
                    self._close(client, broker)
                    return
                if not _send(client, frame):
                    break
        self._close(client, broker)

    def _close(self, *socks: socket.socket) -> None:
        for s in socks:
            self._conns.discard(s)
            _reset(s)


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def _send(sock: socket.socket, data: bytes) -> bool:
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False


def _reset(sock: socket.socket) -> None:
    """Drop the connection as a network fault would. shutdown() first: close() alone does not wake a
    thread blocked in recv() on the same socket, and the kernel would keep the connection open."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


class ProxySet:
    """One FrameProxy per broker; clients bootstrap through `bootstrap_servers`."""

    def __init__(self, proxies: dict[int, FrameProxy], bootstrap_servers: str) -> None:
        self.proxies = proxies
        self.bootstrap_servers = bootstrap_servers

    def start(self) -> ProxySet:
        started = []
        try:
            for proxy in self.proxies.values():
                started.append(proxy.start())
        except OSError as e:
            for proxy in started:
                proxy.stop()
            raise OSError(f"a proxy port is taken ({e}); is another lab's proxy still running?") from e
        return self

    def stop(self) -> None:
        for proxy in self.proxies.values():
            proxy.stop()

    def __enter__(self) -> ProxySet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def drop_produce_responses(self, node_id: int, count: int = 1) -> None:
        """Swallow the responses to the next `count` Produce requests that broker `node_id` receives."""
        self.proxies[node_id].drop_produce_responses(count)

    @property
    def events(self) -> list[ProxyEvent]:
        return sorted((e for p in self.proxies.values() for e in p.events), key=lambda e: e.at)
