"""The same service with a lifespan that starts the producer and never stops it."""

import importlib.util
import os
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
PORT = int(os.environ.get("PORT", "8000"))

_spec = importlib.util.spec_from_file_location("field_guide_web_app", Path(__file__).with_name("01_app.py"))
service = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(service)


# --8<-- [start:lifespan]
@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.producer, app.state.pending = service.new_producer(), set()
    await app.state.producer.start()
    yield  # nothing after it: at shutdown the loop ends with whatever the producer still holds


# --8<-- [end:lifespan]

app = service.create_app(lifespan)


def main() -> None:
    uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning")


if __name__ == "__main__":
    main()
