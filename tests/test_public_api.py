"""Outside kafkalab/, the project uses only kafkalab's public API, and no code names a machine's own folders.

The rule, checked on every Python file git knows (tracked, or new and not ignored) outside ``kafkalab/``
and ``tests/kafkalab/`` (the package's own tests may reach inside it):

- ``kafkalab`` exports the names in ``kafkalab/__init__.py``'s ``__all__``, and its public modules.
- The public modules are :data:`PUBLIC_MODULES`. A public module exports the names in its ``__all__``
  when it has one; otherwise every top-level name it defines itself (``def``, ``class``, assignment)
  that does not start with ``_``. A name it only imports is not part of its API.
- Every other module of the package (``kafkalab.admin``, ``kafkalab.cluster``, ``kafkalab.errors``, ...)
  is private, even where the name imported from it is public through ``kafkalab``: import that name
  from ``kafkalab``.

Imports are read with :mod:`ast`: ``import kafkalab[.module] [as name]`` (then every attribute used on
that name is checked), and ``from kafkalab[.module] import name``. :data:`PENDING` lists the private
imports that existed when this test was written, each with the public import that replaces it; the
test fails on any other private import and on a PENDING entry that is gone (so the list can
only shrink).

Separately, no tracked code file contains an absolute path into a machine's own folders
(``/work/``, ``/root/``, ``/home/``): code writes under the repository or a folder it is given.
"""

import ast
import re
import subprocess
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "kafkalab"
PUBLIC_MODULES = (
    "lab",
    "checker",
    "soak",
    "logdump",
    "proxy",
    "runtime",
    "picture",
    "chart",
    # the lab kit: Kafka's tools, faults on a timeline, topics and their ELR, the controller's record, the watch,
    # client events, child processes
    "tools",
    "faults",
    "topics",
    "controller",
    "watch",
    "recorders",
    "child",
    # secured clusters: the lab CA and its certificates, the connection contract ($KAFKA_CLIENT_CONFIG)
    "certs",
    "connection",
)
# file -> (private import as written, the public import to use instead)
PENDING: dict[str, tuple[str, str]] = {}
CODE_SUFFIXES = {".py", ".java", ".js", ".sh", ".yml", ".yaml", ".toml", ".cfg", ".ini", ".json"}
CODE_NAMES = {"Makefile", "run"}
MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|root|home)/")


def _git_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    return [f for f in out.splitlines() if (ROOT / f).is_file()]


def _dunder_all(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return list(ast.literal_eval(node.value))
    return None


def _defined(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if not n.startswith("_")}


@cache
def public_names(module: str) -> frozenset[str]:
    """The public names of ``kafkalab`` or ``kafkalab.<module>``; empty for a private module."""
    if module == "kafkalab":
        exported = _dunder_all(ast.parse((PACKAGE / "__init__.py").read_text()))
        assert exported is not None, "kafkalab/__init__.py has no __all__"
        return frozenset(exported) | frozenset(PUBLIC_MODULES)
    short = module.removeprefix("kafkalab.")
    if short not in PUBLIC_MODULES:
        return frozenset()
    tree = ast.parse((PACKAGE / f"{short}.py").read_text())
    exported = _dunder_all(tree)
    return frozenset(exported) if exported is not None else frozenset(_defined(tree))


def _is_kafkalab(module: str | None) -> bool:
    return module is not None and (module == "kafkalab" or module.startswith("kafkalab."))


def _check(module: str, name: str) -> str | None:
    """``None`` when ``name`` may be taken from ``module``, else the private name as ``module.name``."""
    if module != "kafkalab" and module.removeprefix("kafkalab.") not in PUBLIC_MODULES:
        return f"{module}.{name}"  # a private module: nothing in it is for outside use
    return None if name in public_names(module) else f"{module}.{name}"


def _chain(node: ast.AST) -> list[str] | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    return None


def private_uses(source: str) -> set[str]:
    """Every non-public kafkalab name the Python ``source`` imports or reaches through an imported module."""
    tree = ast.parse(source)
    found: set[str] = set()
    bound: dict[str, str] = {}  # local name -> the kafkalab module it is
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not _is_kafkalab(alias.name):
                    continue
                if alias.name != "kafkalab" and (bad := _check("kafkalab", alias.name.split(".")[1])):
                    found.add(bad)
                    continue
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    bound["kafkalab"] = "kafkalab"
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _is_kafkalab(node.module):
            for alias in node.names:
                if alias.name == "*":
                    continue  # takes exactly the module's __all__
                if bad := _check(node.module, alias.name):
                    found.add(bad)
                elif node.module == "kafkalab" and alias.name in PUBLIC_MODULES:
                    bound[alias.asname or alias.name] = f"kafkalab.{alias.name}"
    for node in ast.walk(tree):
        chain = _chain(node) if isinstance(node, ast.Attribute) else None
        if not chain or chain[0] not in bound:
            continue
        module = bound[chain[0]]
        for attr in chain[1:]:
            if module == "kafkalab" and attr in PUBLIC_MODULES:
                module = f"kafkalab.{attr}"
                continue
            if bad := _check(module, attr):
                found.add(bad)
            break
    return found


def _outside_python_files() -> list[str]:
    return [
        f for f in _git_files() if f.endswith(".py") and not f.startswith(("kafkalab/", "tests/kafkalab/", ".venv/"))
    ]


def test_code_outside_the_package_uses_only_the_public_api():
    problems, still_pending = [], set()
    for rel in _outside_python_files():
        for use in sorted(private_uses((ROOT / rel).read_text(encoding="utf-8"))):
            if PENDING.get(rel, (None,))[0] == use:
                still_pending.add(rel)
            else:
                problems.append(f"{rel}: {use}")
    assert not problems, "private kafkalab names used outside kafkalab/:\n" + "\n".join(problems)
    fixed = sorted(set(PENDING) - still_pending)
    assert not fixed, f"fixed, now remove from PENDING: {fixed}"


def test_the_rule_tells_public_from_private():
    assert private_uses("from kafkalab import Cluster, new_topic, logdump\nfrom kafkalab.lab import Timeline") == set()
    assert private_uses("from kafkalab.cluster import Cluster") == {"kafkalab.cluster.Cluster"}
    assert private_uses("from kafkalab import not_exported") == {"kafkalab.not_exported"}
    assert private_uses("from kafkalab.lab import _private") == {"kafkalab.lab._private"}
    assert private_uses("import kafkalab\nkafkalab.node.Node\nkafkalab.new_topic('t')") == {"kafkalab.node"}
    assert private_uses("import kafkalab.admin as a") == {"kafkalab.admin"}
    assert private_uses("from kafkalab import soak as s\ns._internal") == {"kafkalab.soak._internal"}
    assert private_uses("import kafkalab.lab as lab\nlab.wait_until") == set()


def test_every_exported_name_exists():
    namespace: dict = {}
    exec("from kafkalab import *", namespace)
    assert set(public_names("kafkalab")) - set(PUBLIC_MODULES) <= set(namespace)


def test_no_machine_specific_paths_in_code():
    found = []
    for rel in _git_files():
        path = ROOT / rel
        if path.suffix not in CODE_SUFFIXES and path.name not in CODE_NAMES:
            continue
        if rel == "tests/test_public_api.py":
            continue  # names the paths it looks for
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if MACHINE_PATH.search(line):
                found.append(f"{rel}:{number}: {line.strip()}")
    assert not found, "absolute machine paths in code:\n" + "\n".join(found)
