"""Figures for kafkalab's schema registry (Apicurio Registry, assembled by `kafkalab fetch`): the time
from starting its JVM to a healthy /health/ready, and its resident memory (RSS) when ready and after
work (schemas registered, Avro records serialized through it), beside the RSS of the one-node
cluster's Kafka JVM measured in the same run. One cluster; the registry starts and stops once per round.

Usage: python benchmarks/registry_startup.py [--runs 5] [--schemas 20] [--records 2000] [--port-base N]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

from confluent_kafka import SerializingProducer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import StringSerializer

from kafkalab import Cluster, client_settings

SECURITY = client_settings("confluent-kafka")

PORT_BASE = 23142  # beside cluster_startup.py's 23092 (its ports B+0..402), clear of its registry port too
QUARKUS_STARTED = re.compile(r"started in (\d+\.\d+)s")


def _record_schema(i: int) -> str:
    fields = [{"name": "id", "type": "string"}, *({"name": f"f{j}", "type": "long"} for j in range(i % 5))]
    return json.dumps({"type": "record", "name": f"Event{i}", "namespace": "bench", "fields": fields})


def one_round(cluster: Cluster, schemas: int, records: int, topic: str) -> dict:
    started = time.monotonic()
    url = cluster.start_registry(timeout=120)
    ready_s = time.monotonic() - started
    registry = cluster.registry
    quarkus = QUARKUS_STARTED.findall(registry.log_tail(400))
    rss_ready = registry.rss_bytes() / 2**20
    try:
        client = SchemaRegistryClient({"url": url})
        ids = {client.register_schema(f"bench-{i}-value", Schema(_record_schema(i), "AVRO")) for i in range(schemas)}
        producer = SerializingProducer(
            {
                "bootstrap.servers": cluster.bootstrap_servers,
                **SECURITY,
                "key.serializer": StringSerializer(),
                "value.serializer": AvroSerializer(client, _record_schema(0)),
                "linger.ms": 5,
            }
        )
        delivered = []
        for i in range(records):
            producer.produce(topic, key=str(i), value={"id": str(i)}, on_delivery=lambda e, m: delivered.append(e))
            producer.poll(0)
        left = producer.flush(60)
        rss_worked = registry.rss_bytes() / 2**20
    finally:
        cluster.stop_registry()
    del producer
    gc.collect()  # the producer's connections close now, not during a later round
    return {
        "ready_s": ready_s,
        "quarkus_started_s": float(quarkus[-1]) if quarkus else None,
        "rss_ready_mb": rss_ready,
        "rss_after_work_mb": rss_worked,
        "distinct_schema_ids": len(ids),
        "delivered_ok": sum(1 for e in delivered if e is None),
        "undelivered": left,
        "broker_rss_mb": cluster.nodes[0].rss_bytes() / 2**20,
        "load_1min": os.getloadavg()[0],
    }


def run(runs: int, schemas: int, records: int, port_base: int, progress=print) -> dict:
    result: dict = {"runs": [], "cpus": os.cpu_count(), "load_at_start": os.getloadavg()}
    with tempfile.TemporaryDirectory() as state:
        cluster = Cluster(1, port_base=port_base, state_dir=state, die_with_parent=True, log=lambda _: None)
        cluster.up()
        try:
            topic = f"registry-bench-{time.time_ns()}"
            cluster.create_topic(topic)
            for i in range(runs):
                r = one_round(cluster, schemas, records, topic)
                result["runs"].append(r)
                progress(
                    f"  round {i + 1}/{runs}: ready {r['ready_s']:.2f}s (Quarkus says {r['quarkus_started_s']}s); "
                    f"RSS {r['rss_ready_mb']:.0f} MB ready, {r['rss_after_work_mb']:.0f} MB after {schemas} schemas "
                    f"+ {r['delivered_ok']} records; broker {r['broker_rss_mb']:.0f} MB; load {r['load_1min']:.1f}"
                )
        finally:
            cluster.down()
    rs = result["runs"]
    result["summary"] = {
        "median_ready_s": statistics.median(r["ready_s"] for r in rs),
        "max_ready_s": max(r["ready_s"] for r in rs),
        "median_rss_ready_mb": statistics.median(r["rss_ready_mb"] for r in rs),
        "median_rss_after_work_mb": statistics.median(r["rss_after_work_mb"] for r in rs),
        "median_broker_rss_mb": statistics.median(r["broker_rss_mb"] for r in rs),
    }
    s = result["summary"]
    s["registry_to_broker_rss_ratio"] = s["median_rss_after_work_mb"] / s["median_broker_rss_mb"]
    result["load_at_end"] = os.getloadavg()
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--schemas", type=int, default=20)
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--port-base", type=int, default=PORT_BASE)
    args = ap.parse_args()
    result = run(args.runs, args.schemas, args.records, args.port_base)
    s = result["summary"]
    print(
        f"\nschema registry, {args.runs} starts, load {result['load_at_start'][0]:.1f} -> "
        f"{result['load_at_end'][0]:.1f} on {result['cpus']} CPUs:\n"
        f"  start to healthy: median {s['median_ready_s']:.2f}s, max {s['max_ready_s']:.2f}s\n"
        f"  RSS: {s['median_rss_ready_mb']:.0f} MB when ready, {s['median_rss_after_work_mb']:.0f} MB after work; "
        f"the broker beside it {s['median_broker_rss_mb']:.0f} MB (ratio {s['registry_to_broker_rss_ratio']:.2f})"
    )
    out = Path(__file__).parent / "results" / "registry_startup.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
