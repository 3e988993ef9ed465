"""The `kafkalab` command: the cluster and its faults from a shell."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from . import registry, runtime
from .certs import LabCertificates
from .cluster import Cluster
from .errors import ClusterStateError, KafkalabError
from .proxy import ProxyEvent
from .registry import APICURIO_VERSION
from .topology import DEFAULT_PORT_BASE

SASL_CHOICES = {"plain": "PLAIN", "scram": "SCRAM-SHA-512", "oauthbearer": "OAUTHBEARER"}


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"kafkalab: {name}={raw!r} is not a whole number") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kafkalab", description="Real Apache Kafka brokers for labs and tests.")
    p.add_argument(
        "--state-dir", help="where the cluster lives (default $KAFKALAB_STATE_DIR or ~/.cache/kafkalab/cluster)"
    )
    sub = p.add_subparsers(dest="command", required=True)
    fetch_help = f"resolve the Apache Kafka {runtime.KAFKA_VERSION} jars, assemble the schema registry (Maven, once)"
    sub.add_parser("fetch", help=fetch_help)
    up = sub.add_parser("up", help="format and start the cluster, wait until it is ready")
    up.add_argument("--brokers", type=int, default=_env_int("KAFKALAB_BROKERS", 3), help="1 gives one combined node")
    up.add_argument("--port-base", type=int, default=_env_int("KAFKALAB_PORT_BASE", DEFAULT_PORT_BASE))
    up.add_argument("--no-elr", action="store_true", help="format without Eligible Leader Replicas (KIP-966)")
    up.add_argument(
        "--sasl",
        nargs="?",
        const="plain",
        choices=sorted(SASL_CHOICES),
        help="logins and ACLs on the client listener: plain (the default; no TLS unless --tls), scram "
        "(SCRAM-SHA-512 over TLS, users created at format time), oauthbearer (over TLS; LAB ONLY: Kafka's "
        "unsecured-JWT validator accepts unsigned tokens)",
    )
    tls = up.add_mutually_exclusive_group()
    tls.add_argument("--tls", action="store_true", help="TLS on the client listener; kafkalab makes the CA")
    tls.add_argument("--mtls", action="store_true", help="TLS with client certificates (mutual TLS)")
    up.add_argument(
        "--registry", action="store_true", help=f"a schema registry too (Apicurio Registry {APICURIO_VERSION})"
    )
    up.add_argument("--timeout", type=float, default=120.0)
    sub.add_parser("down", help="stop every node and remove the cluster's data")
    certs = sub.add_parser(
        "certs", help="write a lab CA and certificates (for 127.0.0.1 and localhost) to DIR, as `up --tls` does"
    )
    certs.add_argument("dir", help="e.g. lab-certs, for docker-compose.tls.yml and docker-compose.mtls.yml")
    sub.add_parser("status", help="each node: id, role, pid, ports, state")
    sub.add_parser("bootstrap", help="print the bootstrap servers alone")
    sub.add_parser("registry-url", help="print the schema registry's URL alone (see `up --registry`)")
    logs = sub.add_parser("logs", help="print the tail of a node's log")
    logs.add_argument("node", type=int)
    logs.add_argument("-n", "--lines", type=int, default=50)
    for name, text in [
        ("kill", "SIGKILL a node (crash)"),
        ("stop", "SIGTERM a node (clean shutdown)"),
        ("pause", "SIGSTOP a node (freeze)"),
        ("resume", "SIGCONT a paused node"),
        ("start", "restart a stopped or killed node with its data"),
    ]:
        sub.add_parser(name, help=text).add_argument("node", type=int)
    for name in ("leader", "isr"):
        q = sub.add_parser(name, help=f"print the {name} of a partition")
        q.add_argument("topic")
        q.add_argument("partition", type=int, nargs="?", default=0)
    heal = sub.add_parser("wait-healthy", help="resume, restart, and wait until every ISR is full")
    heal.add_argument("--timeout", type=float, default=60.0)
    proxy = sub.add_parser(
        "proxy", help="put a Kafka-aware proxy in front of every broker, print what it sees, drop Produce responses"
    )
    proxy.add_argument(
        "--drop",
        metavar="NODE[:COUNT]",
        type=_drop_rule,
        action="append",
        default=[],
        help="swallow the responses to the next COUNT (default 1) acks>0 Produce requests broker NODE receives, "
        "resetting the connection each time (repeatable)",
    )
    proxy.add_argument("--seconds", type=_positive, default=600, help="how long to run (Ctrl-C stops it sooner)")
    check = sub.add_parser(
        "check", help="produce keyed records while leaders crash and pause, read back, report lost/dup/reordered"
    )
    check.add_argument("--records", type=_positive, default=20000)
    check.add_argument("--faults", type=_non_negative, default=10)
    check.add_argument("--profile", choices=("strong", "weak", "both"), default="strong")
    check.add_argument("--seed", type=int, help="fault choices (default: random, printed)")
    return p


def _positive(raw: str) -> int:
    value = _non_negative(raw)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _drop_rule(raw: str) -> tuple[int, int]:
    node, _, count = raw.partition(":")
    return _non_negative(node), _positive(count) if count else 1


def _non_negative(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except KafkalabError as e:
        print(f"kafkalab: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kafkalab: interrupted", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    cmd = args.command
    if cmd == "fetch":
        runtime.fetch()
        registry.fetch()
    elif cmd == "up":
        Cluster(
            args.brokers, port_base=args.port_base, state_dir=args.state_dir, elr=not args.no_elr,
            sasl=SASL_CHOICES[args.sasl] if args.sasl else False,
            tls="mutual" if args.mtls else ("server" if args.tls else ""), registry=args.registry,
        ).up(args.timeout)  # fmt: skip
    elif cmd == "down":
        _down(args.state_dir)
    elif cmd == "certs":
        made = LabCertificates(Path(args.dir)).create()
        print(f"kafkalab: CA certificate {made.ca} (clients trust it); broker key and certificate {made.broker}; "
              f"client certificate {made.client_cert} and key {made.client_key}")  # fmt: skip
    else:
        cluster = Cluster.attach(args.state_dir)
        if cmd == "status":
            print(f"Apache Kafka {cluster.version}, bootstrap servers {cluster.bootstrap_servers}")
            if cluster.client_config_file:
                print(f"client listener: {cluster.security}; client settings (KAFKA_CLIENT_CONFIG) "
                      f"{cluster.client_config_file}")  # fmt: skip
            if cluster.ca_file:
                print(f"CA certificate: {cluster.ca_file}")
            if cluster.registry_url:
                print(f"schema registry: {cluster.registry_url} (pid {cluster.registry.pid})")
            print(f"{'node':>4}  {'role':<10}  {'pid':>7}  {'state':<7}  ports")
            for s in cluster.status():
                ports = " ".join(f"{k}={v}" for k, v in s.ports.items())
                print(f"{s.node_id:>4}  {s.role:<10}  {s.pid or '-':>7}  {s.state:<7}  {ports}")
        elif cmd == "bootstrap":
            if not cluster.is_up():
                raise ClusterStateError(f"the cluster in {cluster.state_dir} is not running: `kafkalab up`")
            print(cluster.bootstrap_servers)
        elif cmd == "registry-url":
            if not cluster.registry_url:
                raise ClusterStateError(f"no schema registry runs with the cluster in {cluster.state_dir}: "
                                        "`kafkalab up --registry`")  # fmt: skip
            print(cluster.registry_url)
        elif cmd == "logs":
            print(cluster.node(args.node).log_tail(args.lines))
        elif cmd in ("kill", "stop", "pause", "resume", "start"):
            getattr(cluster, cmd)(args.node)
            print(f"kafkalab: node {args.node} is {cluster.node(args.node).state()}")
        elif cmd == "leader":
            print(cluster.leader(args.topic, args.partition))
        elif cmd == "isr":
            print(" ".join(map(str, cluster.isr(args.topic, args.partition))))
        elif cmd == "wait-healthy":
            cluster.wait_healthy(args.timeout)
            print("kafkalab: healthy")
        elif cmd == "check":
            return _check(cluster, args)
        elif cmd == "proxy":
            _proxy(cluster, args)
    return 0


def _proxy(cluster: Cluster, args: argparse.Namespace) -> None:
    """Run the lab proxy in the foreground; clients must bootstrap from the address it prints."""
    brokers = {n.spec.node_id for n in cluster.brokers}
    for node, _ in args.drop:
        if node not in brokers:
            raise ClusterStateError(f"--drop {node}: not a broker of this cluster (brokers: {sorted(brokers)})")
    if not cluster.is_up():
        raise ClusterStateError(f"the cluster in {cluster.state_dir} is not running: `kafkalab up`")

    def show(event: ProxyEvent) -> None:
        print(f"kafkalab proxy: port {event.port}: {event.what} (correlation id {event.correlation_id})", flush=True)

    try:
        proxies = cluster.proxies(on_event=show)
    except OSError as e:
        raise ClusterStateError(str(e)) from None
    with proxies:
        for node, count in args.drop:
            proxies.drop_produce_responses(node, count)
            print(f"kafkalab proxy: will swallow the next {count} Produce response(s) from broker {node}")
        print(f"kafkalab proxy: bootstrap servers {proxies.bootstrap_servers} for {args.seconds}s", flush=True)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is the normal way to stop it early
            time.sleep(args.seconds)
    print("kafkalab proxy: stopped")


def _check(cluster: Cluster, args: argparse.Namespace) -> int:
    """Exit status 1 when the strong profile loses or reorders a record, or writes a duplicate within one
    producer epoch; the weak profile's results are only shown. A duplicate written across an epoch bump
    is shown, not failed: librdkafka's idempotent producer can do that (see lab 8)."""
    import random

    from . import soak  # needs confluent-kafka: imported only for this command

    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    names = ("strong", "weak") if args.profile == "both" else (args.profile,)
    status = 0
    for name in names:
        print(f"kafkalab check: {name} profile, {args.records} records, {args.faults} faults, seed {seed}", flush=True)
        result = soak.run(cluster, soak.PROFILES[name], records=args.records, faults=args.faults, seed=seed)
        report = result.report
        held = not (report.lost or report.reordered or result.unexplained_duplicates)
        verdict = "ok" if held else ("ANOMALIES" if name == "strong" else "anomalies (expected)")
        print(f"kafkalab check: {name}: {report.summary()}")
        for record in result.epoch_bump_duplicates:
            epochs = ", ".join(f"offset {b.base_offset} epoch {b.producer_epoch}" for b in result.copies[record])
            print(f"kafkalab check: {name}: {record} written twice across a producer epoch bump ({epochs})")
        print(f"kafkalab check: {name}: {verdict}; faults: {', '.join(result.faults) or 'none'}; {result.seconds:.0f}s")
        if name == "strong" and not held:
            status = 1
    return status


def _down(state_dir: str | None) -> None:
    try:
        cluster = Cluster.attach(state_dir)
    except KafkalabError:
        print("kafkalab: no cluster is up; nothing to stop")
        return
    cluster.down()
    print("kafkalab: cluster stopped and its data removed")


if __name__ == "__main__":
    sys.exit(main())
