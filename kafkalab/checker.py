"""Layer 4b: did every acknowledged record arrive, once, in order per key?

A history is what the producer was told (acknowledged (key, seq) pairs) and what a consumer read
afterwards ((key, seq) in the order read, per partition). The checker is pure: it never talks to
Kafka, so it is tested on synthetic histories and reused by the labs and `kafkalab check`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

Record = tuple[str, int]  # (key, sequence number within that key)


@dataclass(frozen=True)
class Report:
    acknowledged: int
    consumed: int
    lost: list[Record] = field(default_factory=list)  # acknowledged, never read
    duplicated: list[Record] = field(default_factory=list)  # read more than once
    reordered: list[tuple[Record, Record]] = field(default_factory=list)  # (earlier read, later read) out of order
    unacknowledged_read: int = 0  # read although the producer was told it failed or never heard back

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.reordered)

    def summary(self) -> str:
        return (
            f"acknowledged {self.acknowledged}, consumed {self.consumed}: lost {len(self.lost)}, "
            f"duplicated {len(self.duplicated)}, reordered {len(self.reordered)} "
            f"(read but not acknowledged: {self.unacknowledged_read})"
        )


def check(acknowledged: Iterable[Record], consumed: Iterable[Record]) -> Report:
    """Compare what was acknowledged with what was read (in read order; one key stays in one partition).

    Lost: acknowledged but never read. Duplicated: read more than once. Reordered: a key's sequence
    numbers not strictly increasing in read order (a duplicate read later counts as a duplicate, not
    also as a reordering).
    """
    acked = set(acknowledged)
    reads = list(consumed)
    counts = Counter(reads)
    lost = sorted(acked - counts.keys())
    duplicated = sorted(r for r, n in counts.items() if n > 1)
    reordered: list[tuple[Record, Record]] = []
    last: dict[str, Record] = {}
    seen: set[Record] = set()
    for record in reads:
        if record in seen:
            continue
        seen.add(record)
        previous = last.get(record[0])
        if previous is not None and record[1] < previous[1]:
            reordered.append((previous, record))
        else:
            last[record[0]] = record
    return Report(
        acknowledged=len(acked),
        consumed=len(reads),
        lost=lost,
        duplicated=duplicated,
        reordered=reordered,
        unacknowledged_read=len(counts.keys() - acked),
    )
