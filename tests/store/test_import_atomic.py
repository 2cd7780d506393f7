"""An import stores everything or nothing: an exception part-way, or a process killed mid-import."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from pingan.store.db import Store, open_store
from pingan.store.importers import import_file
from pingan.store.importers.sources import Staged
from tests.store.helpers import count, load_cameras, make_read, write_csv, write_reads_csv

ROOT = Path(__file__).resolve().parents[2]


def many_reads(n: int) -> pa.Table:
    """``n`` reads at cameras K1–K3, one a second, with read ids."""
    i = np.arange(n)
    digits = pc.utf8_lpad(pa.array(i % 99_991).cast(pa.string()), 5, "0")
    ts = np.datetime64("2026-03-01T00:00:00") + i.astype("timedelta64[s]")
    return pa.table({
        "camera_id": pa.array(np.array(["K1", "K2", "K3"])[i % 3]),
        "ts": pa.array(ts.astype("datetime64[ms]"), pa.timestamp("ms")),
        "plate": pc.binary_join_element_wise("苏A", digits, ""),
        "confidence": pa.array(np.full(n, 0.9)),
        "read_id": pc.binary_join_element_wise("R", pa.array(i).cast(pa.string()), ""),
    })


def temp_tables(store: Store) -> list[str]:
    return [r[0] for r in store.con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()]


def test_an_exception_part_way_stores_nothing(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_cameras(store, tmp_path)
    batches = count(store, "import_batches")
    path = write_reads_csv(tmp_path, [make_read(), make_read(camera="K2"), make_read(camera="K9")])

    def fail(self: Staged) -> str:  # asked for after the reads and the rows set aside are written
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Staged, "digest", fail)
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_file(store, "reads", path)
    assert (count(store, "reads"), count(store, "set_aside"), count(store, "import_batches")) == (0, 0, batches)
    assert temp_tables(store) == []
    monkeypatch.undo()
    report = import_file(store, "reads", path)  # the connection is clean: the next import works
    assert (report.accepted, report.set_aside) == (2, 1)


def test_a_failing_after_step_takes_the_disputes_with_it(store: Store, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from pingan.store.importers import kinds

    def broken(*args: object) -> None:
        raise RuntimeError("events table locked")

    monkeypatch.setitem(kinds.KINDS, "disputes", replace(kinds.DISPUTES, after=broken))
    rows = [{"dispute_id": "D1", "lon": 118.8, "lat": 32.0, "level": "low", "status": "open",
             "opened_at": "2026-03-01 10:00"}]
    with pytest.raises(RuntimeError):
        import_file(store, "disputes", write_csv(tmp_path, "d.csv", rows))
    assert (count(store, "disputes"), count(store, "dispute_events"), count(store, "import_batches")) == (0, 0, 0)


CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from pingan.store.db import open_store
    from pingan.store.importers import import_file

    said = False

    def progress(done, total):
        global said
        # From 0.8 on, the accepted reads are being written into the store.
        if not said and done >= 0.8 * total:
            said = True
            print("storing", flush=True)

    with open_store(Path({db!r})) as store:
        import_file(store, "reads", Path({file!r}), progress=progress)
    print("finished", flush=True)
""")


@pytest.mark.slow
def test_a_process_killed_mid_import_leaves_no_half_stored_batch(tmp_path: Path) -> None:
    db = tmp_path / "pingan.duckdb"
    with open_store(db) as store:
        load_cameras(store, tmp_path)
    reads = tmp_path / "reads.parquet"
    pq.write_table(many_reads(1_500_000), reads, row_group_size=250_000)
    script = CHILD.format(root=str(ROOT), db=str(db), file=str(reads))
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    assert line == "storing", f"the import never got to storing: {child.stderr.read() if child.stderr else ''}"
    assert child.returncode == -signal.SIGKILL
    with open_store(db) as store:  # the store opens (DuckDB replays or drops its log)
        assert count(store, "reads") == 0
        assert store.con.execute("SELECT kind FROM import_batches").fetchall() == [("cameras",)]
        assert count(store, "set_aside") == 0
        assert count(store, "cameras") == 3
        small = write_reads_csv(tmp_path, [make_read()])
        assert import_file(store, "reads", small).accepted == 1  # and takes the next import
