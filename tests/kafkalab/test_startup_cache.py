"""The start-up caches (class-data archive, storage templates): keyed by what shapes them, and a
damaged or stale one is rebuilt with a message, never a failed start."""

import json
import os
import shutil
import zlib
from pathlib import Path

import pytest

from kafkalab import Cluster, runtime
from kafkalab.node import JVM_OPTS, START_FLAGS

SPARE_BASE = 27092  # a short-lived cluster beside the session cluster, as in test_bad_input.py


@pytest.fixture
def own_home(tmp_path, monkeypatch):
    """A KAFKALAB_HOME of the test's own whose runtime folders link to the cached jars: start-up
    caches built or broken here touch nobody else's."""
    real = runtime.fetch(log=lambda _: None).root
    linked = tmp_path / "home" / "runtime" / real.name
    linked.mkdir(parents=True)
    for entry in real.iterdir():
        if entry.name != "startup":
            (linked / entry.name).symlink_to(entry)
    monkeypatch.setenv("KAFKALAB_HOME", str(tmp_path / "home"))
    return runtime.resolved()


def _cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


def _up(tmp_path: Path, name: str) -> tuple[Cluster, list[str]]:
    lines: list[str] = []
    cluster = Cluster(1, port_base=SPARE_BASE, state_dir=tmp_path / name, die_with_parent=True, log=lines.append)
    cluster.up(timeout=120)
    return cluster, lines


def _archive_of(cluster: Cluster) -> Path:
    args = [a for a in _cmdline(cluster.nodes[0].pid) if a.startswith("-XX:SharedArchiveFile=")]
    assert len(args) == 1, "the node runs with the class-data archive"
    return Path(args[0].split("=", 1)[1])


def _meta(data_dir: Path) -> dict[str, str]:
    text = (data_dir / "meta.properties").read_text()
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))


@pytest.mark.timeout(300)
def test_a_damaged_archive_or_template_is_rebuilt_and_the_start_succeeds(own_home, tmp_path):
    java = runtime.java_executable()
    archive = runtime.ClassArchive.for_runtime(own_home, java, [*JVM_OPTS, *START_FLAGS])
    template = runtime.StorageTemplate.for_format(own_home, "combined", [], {})
    # What a full disk leaves: the start of an archive, and a manifest that recorded all of it (a
    # JVM mapping such a file dies of SIGBUS); and a template whose checkpoint is garbage.
    archive.path.parent.mkdir(parents=True)
    archive.path.write_bytes(runtime.ARCHIVE_MAGIC + os.urandom(4096))
    mtime = archive.path.stat().st_mtime_ns
    archive.manifest.write_text(json.dumps({"size": 50_000_000, "mtime_ns": mtime, "crc32": 0}))
    template.path.mkdir()
    (template.path / "bootstrap.checkpoint").write_bytes(b"garbage")
    (template.path / "meta.properties").write_text("version=1\n")
    (template.path / "manifest.json").write_text("{}")

    first, said = _up(tmp_path, "first")
    try:
        assert any(f"class-data archive {archive.path} is unusable (changed since it was built" in x for x in said)
        assert any("class-data archive built" in line for line in said), said
        assert any(f"storage template {template.path} is unusable (bootstrap.checkpoint changed" in x for x in said)
        assert _archive_of(first) == archive.path and archive.problem() is None
        assert template.problem() is None, "the template was recorded again"
        assert _meta(first.nodes[0].data_dir)["cluster.id"] == first.cluster_id
    finally:
        first.down()

    # Damage that keeps the size and the time is found by the checksum.
    good = archive.path.read_bytes()
    with open(archive.path, "r+b") as f:
        f.seek(len(good) // 2)
        f.write(bytes(b ^ 0xFF for b in good[len(good) // 2 : len(good) // 2 + 64]))
    os.utime(archive.path, ns=(mtime, json.loads(archive.manifest.read_text())["mtime_ns"]))
    assert archive.problem() == "changed since it was built (checksum differs)"

    # An archive the JVM refuses although every check here passes (its jars were copied since, so
    # their times differ): the node says so, runs without it, and the archive goes.
    broker = own_home.root / "broker"
    jars = broker.resolve()
    broker.unlink()
    shutil.copytree(jars, broker, copy_function=shutil.copyfile)  # new times
    moved = runtime.ClassArchive.for_runtime(own_home, java, [*JVM_OPTS, *START_FLAGS])
    assert moved != archive, "other jars, another archive"
    moved.path.write_bytes(good)
    st = moved.path.stat()
    crc = zlib.crc32(good)
    moved.manifest.write_text(json.dumps({"size": st.st_size, "mtime_ns": st.st_mtime_ns, "crc32": crc}))
    second, said = _up(tmp_path, "second")
    try:
        assert _archive_of(second) == moved.path
        assert any("node 1 could not use the class-data archive ([" in line for line in said), said
        assert not moved.path.exists(), "removed, so that the next `up` builds a new one"
        assert second.admin().registered_brokers() == {1}
    finally:
        second.down()


def test_an_archive_no_jvm_can_map_is_not_installed(own_home):
    archive = runtime.ClassArchive.for_runtime(own_home, runtime.java_executable(), [*JVM_OPTS, *START_FLAGS])
    archive.path.parent.mkdir(parents=True)
    dumped = archive.path.with_name("dumped.jsa")
    dumped.write_bytes(runtime.ARCHIVE_MAGIC + os.urandom(65536))  # the right magic, then noise
    with pytest.raises(ValueError, match="a JVM could not map the new archive"):
        archive.install(dumped)
    assert archive.problem() == "missing"
    assert not list(archive.path.parent.glob("*.hs_err")), "no crash log left behind"


def test_archives_of_an_updated_java_are_discarded_others_kept(tmp_path):
    def archive(name: str, java: list[str]) -> runtime.ClassArchive:
        a = runtime.ClassArchive(tmp_path / f"classes-{name}.jsa")
        a.path.write_bytes(runtime.ARCHIVE_MAGIC)
        a.manifest.write_text(json.dumps({"java": java}))
        return a

    old = archive("old", ["/usr/lib/jvm/17/bin/java", 'openjdk version "17.0.14"'])
    other = archive("other", ["/opt/jdk-21/bin/java", 'openjdk version "21.0.5"'])
    new = archive("new", ["/usr/lib/jvm/17/bin/java", 'openjdk version "17.0.15"'])
    new._discard_superseded(["/usr/lib/jvm/17/bin/java", 'openjdk version "17.0.15"'])
    assert not old.path.exists() and not old.manifest.exists()
    assert other.path.exists() and new.path.exists()


def test_templates_and_archives_are_keyed_by_what_shapes_them(own_home):
    java = runtime.java_executable()
    opts = ["-Xmx512m"]
    archive = runtime.ClassArchive.for_runtime(own_home, java, opts)
    assert runtime.ClassArchive.for_runtime(own_home, java, opts) == archive
    assert runtime.ClassArchive.for_runtime(own_home, java, [*opts, "-XX:TieredStopAtLevel=1"]) != archive

    def template(role="broker", args=(), overrides=None):
        return runtime.StorageTemplate.for_format(own_home, role, list(args), overrides or {})

    base = template()
    no_elr = template(args=["--feature", "eligible.leader.replicas.version=0"])
    assert len({base, no_elr, template(role="controller"), template(overrides={"log.dirs": "/x"})}) == 4
    assert template() == base


def test_a_changed_runtime_gets_new_caches(tmp_path):
    """A re-fetched jar (another size or time) changes the classpath the archive was made from."""
    rt = runtime.Runtime(tmp_path / "rt")
    (rt.root / "broker").mkdir(parents=True)
    jar = rt.root / "broker" / "kafka.jar"
    jar.write_bytes(b"one")
    java = runtime.java_executable()
    before = (runtime.ClassArchive.for_runtime(rt, java, []), runtime.StorageTemplate.for_format(rt, "broker", [], {}))
    jar.write_bytes(b"other")
    after = (runtime.ClassArchive.for_runtime(rt, java, []), runtime.StorageTemplate.for_format(rt, "broker", [], {}))
    assert before[0] != after[0] and before[1] != after[1]


def test_a_template_copy_has_its_own_node_cluster_and_directory_ids(tmp_path):
    formatted = tmp_path / "formatted"
    formatted.mkdir()
    (formatted / "bootstrap.checkpoint").write_bytes(b"\x00feature levels")
    (formatted / "meta.properties").write_text(
        "#\n#Tue Dec 01 15:11:48 UTC 2026\nnode.id=0\ndirectory.id=wGogeaLWBmb9IJeyxArVCw\nversion=1\n"
        "cluster.id=AAAAAAAAAAAAAAAAAAAAAA\n"
    )
    template = runtime.StorageTemplate(tmp_path / "startup" / "storage-x")
    assert template.problem() == "missing"
    assert template.record(formatted)
    assert template.problem() is None

    template.copy_to(tmp_path / "n1", 1, "clusterA")
    template.copy_to(tmp_path / "n2", 2, "clusterA")
    one, two = _meta(tmp_path / "n1"), _meta(tmp_path / "n2")
    assert (one["node.id"], one["cluster.id"], one["version"]) == ("1", "clusterA", "1")
    assert two["node.id"] == "2"
    ids = {one["directory.id"], two["directory.id"], "wGogeaLWBmb9IJeyxArVCw"}
    assert len(ids) == 3 and all(len(i) == 22 and not i.startswith("-") for i in ids)
    assert (tmp_path / "n1" / "bootstrap.checkpoint").read_bytes() == b"\x00feature levels"

    (template.path / "extra.file").write_text("?")
    assert "holds" in template.problem()


def test_a_format_with_files_the_template_cannot_rewrite_is_not_kept(tmp_path):
    formatted = tmp_path / "formatted"
    formatted.mkdir()
    for name in ("bootstrap.checkpoint", "meta.properties", "00000000000000000000-0000000000.checkpoint"):
        (formatted / name).write_text("x")
    template = runtime.StorageTemplate(tmp_path / "startup" / "storage-x")
    assert not template.record(formatted)
    assert template.problem() == "missing"


def test_session_cluster_nodes_have_distinct_storage_ids(kafka_cluster):
    metas = [_meta(n.data_dir) for n in kafka_cluster.nodes]
    assert [m["node.id"] for m in metas] == [str(n.spec.node_id) for n in kafka_cluster.nodes]
    assert {m["cluster.id"] for m in metas} == {kafka_cluster.cluster_id}
    assert len({m["directory.id"] for m in metas}) == len(metas)
