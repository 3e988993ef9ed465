"""A FastAPI service whose lifespan starts and stops one shared aiokafka producer; every request produces
one event envelope (the "In production" part's envelope, imported from its example folder)."""

import asyncio
import importlib.util
import os
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("aiokafka")
TOPIC = os.environ.get("EVENTS_TOPIC", "task-events")
ACKS = os.environ.get("EVENTS_ACKS", "all")  # "all" or "1"
MODE = os.environ.get("EVENTS_MODE", "await")  # "await": answer once stored; "collect": answer at once
LINGER_MS = int(os.environ.get("EVENTS_LINGER_MS", "5"))
PORT = int(os.environ.get("PORT", "8000"))
SHUTDOWN_TIMEOUT = 30.0

# The envelope module of docs/production/event-envelope.md, loaded by path (its folder name has a hyphen).
_ENVELOPE = Path(__file__).resolve().parents[2] / "production" / "event-envelope" / "envelope.py"
_spec = importlib.util.spec_from_file_location("field_guide_envelope", _ENVELOPE)
envelope = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(envelope)


def new_producer() -> AIOKafkaProducer:
    # --8<-- [start:producer]
    return AIOKafkaProducer(
        bootstrap_servers=BOOTSTRAP_SERVERS,
        **SECURITY,
        acks="all" if ACKS == "all" else int(ACKS),
        enable_idempotence=ACKS == "all",  # aiokafka refuses idempotence with acks=1
        linger_ms=LINGER_MS,
        request_timeout_ms=30000,
    )
    # --8<-- [end:producer]


# --8<-- [start:lifespan]
@asynccontextmanager
async def lifespan(app: FastAPI):
    producer = new_producer()
    await producer.start()  # inside the server's running loop
    app.state.producer, app.state.pending = producer, set()
    try:
        yield
    finally:  # uvicorn got SIGTERM and has answered the requests in progress
        if app.state.pending:
            await asyncio.wait(app.state.pending, timeout=SHUTDOWN_TIMEOUT)
        await producer.stop()  # sends what is still batched and waits for the answers


# --8<-- [end:lifespan]


class TaskEvent(BaseModel):
    event_type: str
    data: dict = {}


def create_app(lifespan=lifespan) -> FastAPI:
    app = FastAPI(lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok"}

    # --8<-- [start:endpoint]
    @app.post("/tasks/{task_id}/events", status_code=202)
    async def post_event(task_id: str, event: TaskEvent, request: Request) -> dict:
        built = envelope.build_envelope(event.event_type, task_id, event.data, source="task-service")
        record = envelope.to_record(built)
        producer: AIOKafkaProducer = request.app.state.producer
        try:
            delivery = await producer.send(TOPIC, **record)
            if MODE == "collect":  # fire-and-collect: answer now, the lifespan waits for it at shutdown
                request.app.state.pending.add(delivery)
                delivery.add_done_callback(request.app.state.pending.discard)
                return {"event_id": built["event_id"]}
            stored = await delivery  # await-per-request: answer once the broker has it
        except KafkaError as exc:
            raise HTTPException(status_code=503, detail=f"event not stored: {exc}") from exc
        return {"event_id": built["event_id"], "partition": stored.partition, "offset": stored.offset}

    # --8<-- [end:endpoint]
    return app


app = create_app()


def main() -> None:
    uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning")


if __name__ == "__main__":
    main()
