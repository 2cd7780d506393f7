"""Durability: ``python -m pingan import reads FILE`` killed (SIGKILL) at 20 random points, then the store opened.

After every kill: each batch in import_batches has exactly its accepted reads and its rows set aside; no read
or set-aside row belongs to a batch that is not recorded; a batch whose process printed its report is there
in full; the audit chain verifies. Importing the same file again after a kill leaves the store with exactly
the reads a clean import gives.

The delays are seeded and span the run of the command from late in its start-up (when it opens the store) to
a quarter past the end of a clean run; the trials alternate a CSV file (with rows to set aside) and a Parquet
file, and run two at a time (the machine has two cores; the clean runs that time them run two at a time too).
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from pingan.cli import main
from pingan.governance.audit import verify
from pingan.store.db import Store, open_store
from tests.store.helpers import load_cameras

TRIALS = 20
SEED = 20261129


def reads_table(n: int, *, unknown_every: int = 1000) -> pa.Table:
    """``n`` reads at cameras K1–K3 one second apart, with read ids; every ``unknown_every``-th at camera K9,
    which does not exist (set aside)."""
    i = np.arange(n)
    cameras = np.where(i % unknown_every == 0, 3, i % 3)
    ts = np.datetime64("2026-03-01T00:00:00") + i.astype("timedelta64[s]")
    return pa.table({
        "camera_id": pa.array(np.array(["K1", "K2", "K3", "K9"])[cameras]),
        "ts": pa.array(ts.astype("datetime64[s]").astype(str)),
        "plate": pc.binary_join_element_wise("苏A", pc.utf8_lpad(pa.array(i % 99_991).cast(pa.string()), 5, "0"), ""),
        "confidence": pa.array(np.full(n, 0.9)),
        "read_id": pc.binary_join_element_wise("R", pa.array(i).cast(pa.string()), ""),
    })


@dataclass
class Kit:
    base: Path  # a store holding the cameras only
    files: list[Path]  # the reads files the trials import, in turn
    clean: dict[Path, tuple[float, dict[str, object], tuple[int, str]]]  # file → (seconds, report, reads print)
    folder: Path
    startup: float  # seconds for `python -m pingan --version`: the interpreter and the package loading


def command(db: Path, file: Path) -> list[str]:
    return [sys.executable, "-m", "pingan", "--db", str(db), "--user", "loader", "import", "reads", str(file),
            "--json", "--no-progress"]


def reads_print(store: Store) -> tuple[int, str]:
    """The reads' content, whatever batch brought them: a row count and an order-independent checksum."""
    n, checksum = store.con.execute(
        "SELECT count(*), coalesce(sum(hash(r)), 0)::VARCHAR FROM (SELECT * EXCLUDE (batch_id) FROM reads) r"
    ).fetchone()  # type: ignore[misc]
    return int(n), str(checksum)


def set_aside_print(store: Store) -> tuple[int, str]:
    n, checksum = store.con.execute(
        "SELECT count(*), coalesce(sum(hash(r)), 0)::VARCHAR FROM (SELECT * EXCLUDE (batch_id) FROM set_aside) r"
    ).fetchone()  # type: ignore[misc]
    return int(n), str(checksum)


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Kit:
    folder = tmp_path_factory.mktemp("kill")
    base = folder / "base.duckdb"
    with open_store(base) as store:
        load_cameras(store, folder)
    csv_file, parquet_file = folder / "reads.csv", folder / "reads.parquet"
    pcsv.write_csv(reads_table(150_000), csv_file)
    pq.write_table(reads_table(300_000), parquet_file, row_group_size=50_000)
    # The clean imports run as the trials do, two at once, so their times tell how long a trial's import takes.
    clean = {}
    started = time.perf_counter()
    children = {}
    for file in (csv_file, parquet_file):
        db = folder / f"clean-{file.suffix[1:]}.duckdb"
        shutil.copy(base, db)
        children[file] = (db, subprocess.Popen(command(db, file), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                               text=True))
    finished: dict[Path, float] = {}
    while len(finished) < len(children):
        for file, (_, child) in children.items():
            if file not in finished and child.poll() is not None:
                finished[file] = time.perf_counter() - started
        time.sleep(0.01)
    for file, (db, child) in children.items():
        out, err = child.communicate()
        assert child.returncode == 0, err
        with open_store(db) as store:
            clean[file] = (finished[file], json.loads(out), reads_print(store))
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pingan", "--version"], capture_output=True, timeout=60, check=True)
    return Kit(base, [csv_file, parquet_file], clean, folder, time.perf_counter() - started)


def check_consistent(store: Store) -> list[tuple[int, int, int]]:
    """Every recorded batch holds exactly its accepted reads and its rows set aside; nothing else is stored.
    Returns the reads batches as (batch_id, accepted, set_aside)."""
    batches = store.con.execute(
        "SELECT batch_id, accepted, set_aside FROM import_batches WHERE kind = 'reads' ORDER BY batch_id").fetchall()
    for batch_id, accepted, set_aside in batches:
        stored = store.con.execute("SELECT count(*) FROM reads WHERE batch_id = ?", [batch_id]).fetchone()[0]
        aside = store.con.execute("SELECT count(*) FROM set_aside WHERE batch_id = ?", [batch_id]).fetchone()[0]
        assert (stored, aside) == (accepted, set_aside), f"batch {batch_id} is half-stored"
    for table in ("reads", "set_aside"):
        orphans = store.con.execute(
            f"SELECT DISTINCT batch_id FROM {table} WHERE batch_id NOT IN (SELECT batch_id FROM import_batches)"
        ).fetchall()
        assert orphans == [], f"{table} rows of batches that were never recorded: {orphans}"
    assert store.con.execute("SELECT count(*) FROM cameras").fetchone() == (3,)
    return [(int(b), int(a), int(s)) for b, a, s in batches]


@dataclass
class Trial:
    number: int
    file: Path
    db: Path
    delay: float
    child: subprocess.Popen[str] | None = None
    out: str = ""


def run_pair(trials: list[Trial]) -> None:
    """Start the trials' imports together (two cores, two imports) and kill each at its own delay."""
    started = time.perf_counter()
    for t in trials:
        t.child = subprocess.Popen(command(t.db, t.file), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for t in sorted(trials, key=lambda t: t.delay):
        time.sleep(max(0.0, t.delay - (time.perf_counter() - started)))
        assert t.child is not None
        t.child.send_signal(signal.SIGKILL)
    for t in trials:
        assert t.child is not None
        t.out, _ = t.child.communicate(timeout=60)


@pytest.mark.slow
def test_twenty_kills_during_imports_lose_nothing_acknowledged_and_half_store_nothing(
        kit: Kit, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(SEED)
    trials = []
    for number in range(TRIALS):
        file = kit.files[number % 2]
        db = kit.folder / f"trial-{number}.duckdb"
        shutil.copy(kit.base, db)
        # From late in start-up (the store is being opened) to past the end of a clean run.
        trials.append(Trial(number, file, db, rng.uniform(0.7 * kit.startup, 1.25 * kit.clean[file][0])))
    for pair in range(0, TRIALS, 2):
        run_pair(trials[pair:pair + 2])
    outcomes = [check_trial(kit, t, capsys) for t in trials]
    stored = sum(bool(o["stored"]) for o in outcomes)
    summary = {"trials": TRIALS, "seed": SEED, "stored_whole": stored, "stored_nothing": TRIALS - stored,
               "acknowledged": sum(bool(o["acknowledged"]) for o in outcomes),
               "stored_without_audit_entry": sum(bool(o["stored_without_audit_entry"]) for o in outcomes),
               "reimported_identical": sum(bool(o.get("reimported_identical")) for o in outcomes),
               "clean_seconds": {f.suffix[1:]: round(kit.clean[f][0], 2) for f in kit.files},
               "startup_seconds": round(kit.startup, 2)}
    with capsys.disabled():
        print("\nkill-during-import trials:", json.dumps(summary))
    assert stored < TRIALS, "no kill landed before the commit: the delays do not span the import"


def check_trial(kit: Kit, trial: Trial, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    _, clean_report, clean_reads = kit.clean[trial.file]
    assert trial.child is not None
    acknowledged = trial.child.returncode == 0 and trial.out.strip().endswith("}")
    with open_store(trial.db) as store:  # DuckDB replays its log, or drops a transaction that never committed
        batches = check_consistent(store)
        assert reads_print(store)[0] in (0, clean_report["accepted"]), "a partial import is visible"
        if acknowledged:
            report = json.loads(trial.out)
            assert (report["batch_id"], report["accepted"], report["set_aside"]) in batches
            assert reads_print(store) == clean_reads
        assert verify(store).ok, "the audit chain does not verify after a kill"
        audited = store.con.execute(
            "SELECT count(*) FROM audit_log WHERE operation = 'import.reads' AND outcome = 'ok'").fetchone()[0]
    outcome: dict[str, object] = {"trial": trial.number, "file": trial.file.suffix[1:],
                                  "delay_s": round(trial.delay, 2), "stored": bool(batches),
                                  "acknowledged": acknowledged,
                                  "stored_without_audit_entry": bool(batches) and audited == 0}
    if trial.number % 8 in (0, 5):  # import the same file again after the kill: the clean store's reads, no more
        assert main(["--db", str(trial.db), "import", "reads", str(trial.file), "--json", "--no-progress"]) == 0
        capsys.readouterr()
        with open_store(trial.db) as store:
            check_consistent(store)
            assert reads_print(store) == clean_reads, "re-importing after a kill does not give the clean store"
            if not batches:
                with open_store(kit.folder / f"clean-{trial.file.suffix[1:]}.duckdb") as clean_store:
                    assert set_aside_print(store) == set_aside_print(clean_store)
        outcome["reimported_identical"] = True
    trial.db.unlink()
    return outcome
