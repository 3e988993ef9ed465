"""One kafka-python throughput run in a fresh interpreter (runners.kafka_python_isolated).

A fresh process decides which optional C extensions kafka-python finds: modules named in "hide"
are made unimportable before kafka is imported (an entry of None in sys.modules makes `import`
raise ImportError), and whatever else is on PYTHONPATH is found as usual. Prints one JSON line.
"""

import json
import sys
from pathlib import Path


def main(spec: dict) -> dict:
    for name in spec["hide"]:
        sys.modules[name] = None  # kafka.record.util: `from crc32c import crc32c` now raises ImportError

    import kafka.record.util as record_util

    from perf import runners as r

    payloads = {"letters100": r.letters_payloads(100), "json": r.json_events()}[spec["payload"]]
    partition_dir = Path(spec["partition_dir"]) if spec["partition_dir"] else None
    probe = r.Probe(spec["broker_pids"], partition_dir)
    out = r.kafka_python_throughput(spec["bootstrap"], spec["topic"], spec["settings"], payloads, spec["n"], probe)
    out["crc32c_implementation"] = "crc32c" if record_util.crc32c_c is not None else "pure Python"
    return out


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
