"""kafkalab.tools: one runner for Kafka's own command-line tools, bounded, with errors that say what failed."""

import sys

import pytest

from kafkalab import tools
from kafkalab.runtime import resolved


def test_a_short_name_runs_the_tool_from_its_part_of_the_runtime():
    command = tools.tool_command("TopicCommand", "--version", jvm_args=["-Xmx64m"])
    assert command[1:] == [
        "-Xmx64m",
        "-cp",
        resolved().classpath("tools"),
        "org.apache.kafka.tools.TopicCommand",
        "--version",
    ]
    assert tools.tool_command("ConfigCommand")[-2:] == [resolved().classpath("broker"), "kafka.admin.ConfigCommand"]


def test_a_main_class_and_a_java_program_take_the_part_they_are_given(tmp_path):
    clients = resolved().classpath("clients")
    assert tools.tool_command("org.example.Main", part="clients")[-2:] == [clients, "org.example.Main"]
    probe = tmp_path / "Probe.java"
    probe.write_text("class Probe {}")
    assert tools.tool_command(probe, "x")[-3:] == [clients, str(probe), "x"]


def test_bad_names_are_refused_with_what_to_name_instead(tmp_path):
    with pytest.raises(tools.ToolFailed, match="unknown Kafka tool 'TopicComand'.*TopicCommand"):
        tools.tool_command("TopicComand")
    with pytest.raises(tools.ToolFailed, match="no Java program at"):
        tools.tool_command(tmp_path / "Missing.java")


def test_the_real_tool_runs_and_prints_its_version():
    done = tools.run_tool("TopicCommand", "--version", timeout=120)
    assert done.returncode == 0 and "4.3.1" in done.stdout


def test_a_failing_tool_raises_with_its_own_words():
    with pytest.raises(tools.ToolFailed, match=r"TopicCommand failed \(exit 1\)") as failed:
        tools.run_tool("TopicCommand", "--describe", timeout=120)  # no --bootstrap-server
    assert failed.value.returncode == 1 and "bootstrap-server" in failed.value.stdout + failed.value.stderr
    assert tools.run_tool("TopicCommand", "--describe", timeout=120, check=False).returncode == 1


def test_a_tool_that_runs_too_long_is_stopped(monkeypatch):
    sleeper = [sys.executable, "-c", "import time; print('started', flush=True); time.sleep(30)"]
    monkeypatch.setattr(tools, "tool_command", lambda *a, **k: sleeper)
    with pytest.raises(tools.ToolFailed, match=r"did not finish within 1s and was stopped") as failed:
        tools.run_tool("TopicCommand", timeout=1)
    assert failed.value.returncode is None and "started" in failed.value.stdout
