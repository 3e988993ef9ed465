"""The configuration reference's "What to set" table is the production producer's configuration: each
Python column is that client's example's SETTINGS, the Java column the Java example's properties, and the
examples' tests run those producers against the cluster (examples/production/production-producer)."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "reference" / "configuration.md"
EXAMPLES = ROOT / "examples" / "production" / "production-producer"
JAVA = ROOT / "examples" / "java" / "src" / "main" / "java" / "guide" / "fieldguide" / "producer"
JAVA_PUT = re.compile(r'props\.put\(ProducerConfig\.(?P<constant>\w+), "(?P<value>[^"]*)"\)')


def what_to_set() -> dict[str, dict[str, str]]:
    """{Java name: {client: the cell's code}} from the page's "What to set" table."""
    section = PAGE.read_text().split("## What to set", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    table = {}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        name, _, confluent, kafka_python, java = cells
        table[name.strip("`")] = {"confluent-kafka": confluent, "kafka-python": kafka_python, "Java": java}
    return table


def _code(cell: str) -> str:
    assert cell.startswith("`") and cell.endswith("`"), f"not a code cell: {cell!r}"
    return cell[1:-1]


def python_settings(filename: str, load_module) -> dict[str, object]:
    return load_module(f"production_producer_{filename[:2]}", EXAMPLES / filename).SETTINGS


def java_settings() -> dict[str, str]:
    """ProducerConfig.X_CONFIG -> x (the constants spell the property names), as the example puts them."""
    source = (JAVA / "ProductionProducer.java").read_text()
    found = {}
    for put in JAVA_PUT.finditer(source):
        name = put["constant"].removesuffix("_CONFIG").lower().replace("_", ".")
        found[name] = put["value"]
    return found


TABLE = what_to_set()


def test_the_table_lists_the_settings_that_matter():
    assert set(TABLE) >= {"acks", "enable.idempotence", "delivery.timeout.ms", "max.in.flight.requests.per.connection"}


@pytest.mark.parametrize(
    ("client", "filename", "spell"),
    [
        ("confluent-kafka", "01_confluent_kafka.py", lambda name: name),
        ("kafka-python", "02_kafka_python.py", lambda name: name.replace(".", "_")),
    ],
)
def test_python_columns_are_the_production_producers_settings(client, filename, spell, load_module):
    settings = python_settings(filename, load_module)
    shown = {spell(name): ast.literal_eval(_code(cells[client])) for name, cells in TABLE.items()}
    assert shown == settings


def test_java_column_is_the_java_production_producers_properties():
    settings = java_settings()
    shown = {name: ast.literal_eval(_code(cells["Java"])) for name, cells in TABLE.items()}
    assert {name: settings.get(name) for name in shown} == shown
    assert set(settings) - {"bootstrap.servers"} == set(shown), "every setting the example makes is in the table"
