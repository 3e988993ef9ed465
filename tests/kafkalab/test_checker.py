"""The checker on synthetic histories: it must find every kind of anomaly, and only those."""

from kafkalab.checker import check


def _history(keys: int = 3, per_key: int = 4):
    return [(f"k{k}", s) for s in range(per_key) for k in range(keys)]


def test_a_clean_history_is_ok():
    history = _history()
    report = check(history, history)
    assert report.ok and report.acknowledged == report.consumed == 12
    assert "lost 0, duplicated 0, reordered 0" in report.summary()


def test_lost_records_are_found():
    history = _history()
    report = check(history, [r for r in history if r != ("k1", 2)])
    assert report.lost == [("k1", 2)] and not report.ok
    assert not report.duplicated and not report.reordered, "a gap is not a reordering"


def test_duplicates_are_found_once_each():
    history = _history()
    report = check(history, [*history, ("k0", 1), ("k0", 1)])
    assert report.duplicated == [("k0", 1)]
    assert not report.reordered, "a re-read copy is a duplicate, not also a reordering"


def test_reordering_within_a_key_is_found():
    reads = [("k0", 0), ("k0", 2), ("k0", 1), ("k0", 3)]
    report = check(reads, reads)
    assert report.reordered == [(("k0", 2), ("k0", 1))]
    assert not report.lost and not report.duplicated


def test_interleaving_between_keys_is_not_reordering():
    reads = [("a", 0), ("b", 0), ("b", 1), ("a", 1), ("a", 2), ("b", 2)]
    assert check(reads, reads).ok


def test_records_read_but_never_acknowledged_are_counted_not_failed():
    acked = [("k0", 0)]
    report = check(acked, [("k0", 0), ("k0", 1)])
    assert report.ok and report.unacknowledged_read == 1
