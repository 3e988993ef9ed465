"""The FastAPI service for real: uvicorn as a separate process, HTTP requests with httpx, every accepted
event read back from the topic, and SIGTERM in the middle of the traffic."""

import asyncio
import importlib.util
import json
import signal
import time
from pathlib import Path

import httpx
import pytest

from kafkalab import new_topic
from kafkalab.lab import read_topic

_spec = importlib.util.spec_from_file_location("web_service_server", Path(__file__).with_name("server.py"))
server = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(server)


@pytest.fixture
def events_topic(kafka_bootstrap):
    return new_topic(kafka_bootstrap, "task-events", partitions=3)


MID_TRAFFIC = 50  # requests answered before SIGTERM: every client has had several


async def traffic(
    url: str, stop_after: float | None, on_stop, workers: int = 20, limit: float = 30.0, answered: int = 0
) -> list[dict]:
    """`workers` clients post events until the server stops answering; `on_stop` runs after `stop_after` s
    once `answered` requests have been accepted (a loaded machine or a TLS cluster answers fewer per second)."""
    accepted: list[dict] = []

    async def client(n: int) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            i = 0
            while time.monotonic() < deadline:
                body = {"event_type": "task.updated", "data": {"client": n, "seq": i}}
                try:
                    response = await http.post(f"/tasks/task-{n}/events", json=body)
                except httpx.TransportError:
                    return  # the server has stopped
                if response.status_code != 202:
                    return
                accepted.append(response.json() | {"task": f"task-{n}", "seq": i})
                i += 1

    deadline = time.monotonic() + limit
    clients = [asyncio.create_task(client(n)) for n in range(workers)]
    if stop_after is not None:
        await asyncio.sleep(stop_after)
        while len(accepted) < answered and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        on_stop()
    await asyncio.gather(*clients)
    return accepted


def stored_events(bootstrap: str, topic: str) -> dict[str, dict]:
    records = read_topic(bootstrap, topic)
    return {dict(r.headers())["event_id"].decode(): r for r in records}


def test_every_accepted_request_is_in_the_topic(example, events_topic, kafka_bootstrap, tmp_path):
    example("01_app.py")  # importable without side effects: no producer until the lifespan starts
    with server.serve("01_app.py", {"EVENTS_TOPIC": events_topic}, tmp_path / "uvicorn.log") as running:
        response = httpx.post(
            running.url + "/tasks/task-42/events", json={"event_type": "task.created", "data": {"title": "Design"}}
        )
        assert response.status_code == 202
        answer = response.json()
        accepted = asyncio.run(traffic(running.url, None, None, workers=5, limit=2))
    stored = stored_events(kafka_bootstrap, events_topic)

    assert len(accepted) > 20
    assert {a["event_id"] for a in accepted} | {answer["event_id"]} == set(stored)  # all of them, nothing else
    record = stored[answer["event_id"]]
    assert (record.partition(), record.offset()) == (answer["partition"], answer["offset"])
    assert record.key() == b"task-42"
    envelope = json.loads(record.value())
    assert (envelope["event_type"], envelope["entity_id"]) == ("task.created", "task-42")
    assert envelope["data"] == {"title": "Design"}
    assert dict(record.headers())["source"] == b"task-service"
    assert record.timestamp()[1] > 0


@pytest.mark.parametrize(("mode", "linger_ms"), [("await", 5), ("collect", 5), ("collect", 500)])
def test_sigterm_mid_traffic_loses_nothing_acknowledged(
    example, mode, linger_ms, events_topic, kafka_bootstrap, tmp_path
):
    example("01_app.py")
    env = {"EVENTS_TOPIC": events_topic, "EVENTS_MODE": mode, "EVENTS_LINGER_MS": str(linger_ms)}
    with server.serve("01_app.py", env, tmp_path / "uvicorn.log") as running:
        accepted = asyncio.run(traffic(running.url, 1.5, running.terminate, answered=MID_TRAFFIC))
        # uvicorn re-raises the SIGTERM it caught once its graceful shutdown (lifespan included) is done
        assert running.wait(30) == -signal.SIGTERM, running.log.read_text()[-2000:]
        assert "Traceback" not in running.log.read_text()
    stored = stored_events(kafka_bootstrap, events_topic)

    assert len(accepted) >= MID_TRAFFIC
    missing = {a["event_id"] for a in accepted} - set(stored)
    assert not missing, f"{len(missing)} of {len(accepted)} acknowledged events not in the topic"
    assert len(stored) >= len(accepted)  # requests cut off mid-answer may be stored without a 202
    print(f"\n{mode}, linger_ms={linger_ms}: {len(accepted)} acknowledged before SIGTERM, all in the topic")


def test_without_a_shutdown_acknowledged_events_are_lost(example, events_topic, kafka_bootstrap, tmp_path):
    linger_ms = 60_000  # no batch leaves on its timer before the loop ends: only full ones do
    example("02_app_without_shutdown.py")
    env = {"EVENTS_TOPIC": events_topic, "EVENTS_MODE": "collect", "EVENTS_LINGER_MS": str(linger_ms)}
    with server.serve("02_app_without_shutdown.py", env, tmp_path / "uvicorn.log") as running:
        accepted = asyncio.run(traffic(running.url, 1.5, running.terminate, answered=MID_TRAFFIC))
        running.wait(30)
    stored = stored_events(kafka_bootstrap, events_topic)

    missing = {a["event_id"] for a in accepted} - set(stored)
    assert len(accepted) >= MID_TRAFFIC
    print(f"\nno shutdown, linger_ms={linger_ms}: {len(missing)} of {len(accepted)} acknowledged events lost")
    assert len(missing) >= 1, "every acknowledged event arrived although nothing flushed at shutdown"
