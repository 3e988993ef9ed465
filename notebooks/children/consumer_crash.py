"""Lab 6's child: a consumer process in group GROUP that takes a batch of BATCH records from partition 0 and
crashes (os._exit(1): no clean-up, no final commit) inside it. It reports each step to the lab
(kafkalab.child.say).

    python consumer_crash.py MODE BOOTSTRAP TOPIC GROUP BATCH CRASH_AFTER
    MODE auto-commit: wait until the background commit covers the whole batch, process CRASH_AFTER records, crash.
    MODE process-then-commit: process and commit one by one; crash after processing record CRASH_AFTER,
    before committing it.
"""

import os
import sys
import time

from confluent_kafka import Consumer, TopicPartition

import kafkalab
from kafkalab.child import say

SECURITY = kafkalab.client_settings("confluent-kafka")


def main(mode: str, bootstrap: str, topic: str, group: str, batch: int, crash_after: int) -> None:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            **SECURITY,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": mode == "auto-commit",
            "auto.commit.interval.ms": 200,
        }
    )
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    records, deadline = [], time.monotonic() + 30
    while len(records) < batch and time.monotonic() < deadline:
        records += [m for m in consumer.consume(batch - len(records), timeout=1.0) if m.error() is None]
    say("polled", offsets=[m.offset() for m in records])

    def committed() -> int:
        return consumer.committed([tp], timeout=10)[0].offset

    if mode == "auto-commit":
        deadline = time.monotonic() + 30
        while committed() != records[-1].offset() + 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        say("auto-committed", offset=committed())
        for m in records[:crash_after]:
            say("processed", offset=m.offset(), value=m.value().decode())
    else:
        for i, m in enumerate(records[: crash_after + 1]):
            say("processed", offset=m.offset(), value=m.value().decode())
            if i == crash_after:
                break  # the crash comes between processing and committing this one
            consumer.commit(message=m, asynchronous=False)
            say("committed", offset=committed())
    say("crash", committed=committed())
    os._exit(1)


if __name__ == "__main__":
    mode, bootstrap, topic, group, batch, crash_after = sys.argv[1:7]
    main(mode, bootstrap, topic, group, int(batch), int(crash_after))
