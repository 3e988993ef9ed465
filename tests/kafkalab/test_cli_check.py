"""`kafkalab check`: the soak run from a shell; its exit status says whether the strong chain held."""

import pytest

from kafkalab import cli, soak
from kafkalab.checker import Report
from kafkalab.lab import Timeline
from kafkalab.logdump import Batch


@pytest.mark.faults
@pytest.mark.timeout(120)
def test_check_strong_profile_passes_under_faults(kafka_cluster, capsys):
    argv = ["--state-dir", str(kafka_cluster.state_dir), "check", "--records", "2000", "--faults", "2"]
    try:
        status = cli.main([*argv, "--profile", "strong", "--seed", "3"])
    finally:
        kafka_cluster.wait_healthy(timeout=90)
    out = capsys.readouterr().out
    assert "acknowledged 2000, consumed 2000: lost 0, duplicated 0, reordered 0" in out, out
    verdict = next(line for line in out.splitlines() if "strong: ok; faults: " in line)
    assert verdict.split("faults: ")[1].count("broker") == 2, out
    assert status == 0


def _fake_run(lost_by_profile):
    """soak.run stand-in: a report with `lost_by_profile[name]` lost records, no cluster needed."""

    def run(cluster, profile, records, faults, seed):
        lost = [("k0", i) for i in range(lost_by_profile[profile.name])]
        report = Report(acknowledged=records, consumed=records - len(lost), lost=lost)
        return soak.SoakResult(profile.name, "t", report, [], 0.0, Timeline())

    return run


@pytest.mark.parametrize(
    ("profile", "lost", "status"),
    [("strong", {"strong": 0}, 0), ("strong", {"strong": 3}, 1), ("both", {"strong": 0, "weak": 5}, 0),
     ("both", {"strong": 1, "weak": 5}, 1), ("weak", {"weak": 5}, 0)],
)  # fmt: skip
def test_exit_status_follows_the_strong_profile_only(monkeypatch, capsys, tmp_path, profile, lost, status):
    monkeypatch.setattr(soak, "run", _fake_run(lost))
    monkeypatch.setattr(cli.Cluster, "attach", classmethod(lambda cls, state_dir=None, log=print: None))
    assert (
        cli.main(["--state-dir", str(tmp_path), "check", "--records", "10", "--faults", "0", "--profile", profile])
        == status
    )
    out = capsys.readouterr().out
    for name in lost:
        assert f"{name}: acknowledged 10, consumed {10 - lost[name]}: lost {lost[name]}," in out


@pytest.mark.parametrize("bad", [["--records", "0"], ["--faults", "-1"], ["--profile", "medium"], ["--records", "x"]])
def test_bad_arguments_are_refused(bad, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["check", *bad])
    assert exit_info.value.code == 2


@pytest.mark.parametrize(
    ("epochs", "status", "shown"),
    [((0, 1), 0, "written twice across a producer epoch bump"), ((0, 0), 1, "ANOMALIES")],
)
def test_a_duplicate_fails_unless_an_epoch_bump_wrote_it(monkeypatch, capsys, tmp_path, epochs, status, shown):
    copies = {("k1", 3): [Batch(10 + i, 10 + i, 0, 7, epoch, 1) for i, epoch in enumerate(epochs)]}

    def run(cluster, profile, records, faults, seed):
        report = Report(acknowledged=records, consumed=records + 1, duplicated=[("k1", 3)])
        return soak.SoakResult(profile.name, "t", report, [], 0.0, Timeline(), copies)

    monkeypatch.setattr(soak, "run", run)
    monkeypatch.setattr(cli.Cluster, "attach", classmethod(lambda cls, state_dir=None, log=print: None))
    argv = ["--state-dir", str(tmp_path), "check", "--records", "10", "--faults", "0", "--profile", "strong"]
    assert cli.main(argv) == status
    assert shown in capsys.readouterr().out
