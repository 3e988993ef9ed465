"""The registry's wire format by hand, for clients without registry serializers (kafka-python, aiokafka):
fastavro for the Avro payload, the registry's Confluent-compatible REST API for the schema id."""

# --8<-- [start:wire]
import functools
import io
import json
import struct
from urllib.parse import quote

import fastavro
import httpx

HEADER = struct.Struct(">bI")  # magic byte 0, then the schema id as 4 bytes, big-endian
REGISTRY_TIMEOUT = 10.0


@functools.cache
def schema_id(registry_url: str, subject: str, schema: str) -> int:
    """Register the schema under the subject (the registry answers the existing id if it is there)."""
    response = httpx.post(
        f"{registry_url}/subjects/{quote(subject, safe='')}/versions",
        json={"schema": schema},
        timeout=REGISTRY_TIMEOUT,
    )
    response.raise_for_status()
    return response.json()["id"]


@functools.cache
def parsed(schema: str) -> dict:
    return fastavro.parse_schema(json.loads(schema))


def encode(registry_url: str, subject: str, schema: str, value: dict) -> bytes:
    out = io.BytesIO()
    out.write(HEADER.pack(0, schema_id(registry_url, subject, schema)))
    fastavro.schemaless_writer(out, parsed(schema), value)
    return out.getvalue()


@functools.cache
def writer_schema(registry_url: str, id_: int) -> str:
    response = httpx.get(f"{registry_url}/schemas/ids/{id_}", timeout=REGISTRY_TIMEOUT)
    response.raise_for_status()
    return response.json()["schema"]


def decode(registry_url: str, raw: bytes) -> dict:
    magic, id_ = HEADER.unpack_from(raw)
    if magic != 0:
        raise ValueError(f"not the registry's wire format: magic byte {magic}")
    return fastavro.schemaless_reader(io.BytesIO(raw[HEADER.size :]), parsed(writer_schema(registry_url, id_)))


# --8<-- [end:wire]
