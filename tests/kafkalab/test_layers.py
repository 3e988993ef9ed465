"""kafkalab's layering, checked: each module imports only from its own layer or the layers below it.

runtime (jars, and the runner for Kafka's own tools) -> node (one JVM; the schema registry's JVM) -> cluster
(topology, readiness, the state file) -> the lab kit (faults, proxy, checker, watches, pictures, soak) ->
pytest plugin -> CLI.
Imports inside functions count too: a lazy import is still a dependency. A new module must be given a
layer here, so that its place is a decision."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "kafkalab"
LAYERS = [
    {"errors", "proxy", "checker", "certs", "connection"},  # no kafkalab imports at all
    {"runtime"},
    {"node", "tools", "registry"},
    {"topology", "admin"},
    {"cluster"},
    {"controller", "faults", "lab", "logdump", "picture", "chart", "recorders", "watch", "topics", "child", "soak"},
    {"plugin"},
    {"cli", "__init__", "__main__"},
]
LAYER = {module: i for i, modules in enumerate(LAYERS) for module in modules}


def kafkalab_imports(module: str, package: Path = PACKAGE) -> set[str]:
    """The kafkalab modules `module` imports, anywhere in its file."""
    tree = ast.parse((package / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                found |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
            elif node.module and node.module.split(".")[0] == "kafkalab":
                found.add(node.module.split(".")[1] if "." in node.module else "__init__")
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("kafkalab.")}
    return found - {module}


MODULES = sorted(p.stem for p in PACKAGE.glob("*.py"))


def test_every_module_has_a_layer():
    assert set(MODULES) == set(LAYER), f"give these a layer: {sorted(set(MODULES) - set(LAYER))}"


@pytest.mark.parametrize("module", MODULES)
def test_imports_go_down_the_layers(module: str):
    upward = {dep: LAYER[dep] for dep in kafkalab_imports(module) if LAYER[dep] > LAYER[module]}
    assert not upward, f"kafkalab.{module} (layer {LAYER[module]}) imports from higher layers: {upward}"


def test_the_import_reader_sees_relative_absolute_and_lazy_imports(tmp_path):
    (tmp_path / "sample.py").write_text(
        "from .cluster import Cluster\nimport kafkalab.soak\n\ndef f():\n    from kafkalab.picture import Picture\n"
    )
    assert kafkalab_imports("sample", tmp_path) == {"cluster", "soak", "picture"}
