"""End to end: contract files through the importer, then the tactics on what it stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from pingan.anpr.cloned import CloneQuery, cloned
from pingan.anpr.tactic_common import resolve_period
from pingan.anpr.trajectory import TrajectoryQuery, trajectory
from pingan.store.db import Store
from tests.builders import SCENE, offset

importers = pytest.importorskip("pingan.store.importers", reason="the importer is not built yet")


def write_county(folder: Path) -> tuple[Path, Path]:
    cams = ["camera_id,lon,lat,kind"]
    for i in range(4):
        for name, east in ((f"W{i}", 2.0 * i), (f"E{i}", 40.0 + 2.0 * i)):
            lon, lat = offset(*SCENE, km_east=east)
            cams.append(f"{name},{lon:.6f},{lat:.6f},anpr")
    reads = ["camera_id,ts,plate,confidence,read_id"]
    n = 0

    def add(cam: str, ts: str, plate: str) -> None:
        nonlocal n
        n += 1
        reads.append(f"{cam},{ts},{plate},0.93,R{n:05d}")

    for i, minute in enumerate(("00", "03", "06", "09")):  # spellings as cameras write them
        add(f"W{i}", f"2026-03-10T08:{minute}:00+08:00", ["苏A12345", "苏A·12345", "苏a12345", "苏 A 12345"][i])
    for i, minute in enumerate(("04", "07", "10")):  # the copy in the east, at the same time
        add(f"E{i}", f"2026-03-10T08:{minute}:00", "苏Ａ１２３４５")
    add("W1", "2026-03-10T08:03:01+08:00", "苏A12345")  # a double read
    (folder / "cameras.csv").write_text("\n".join(cams) + "\n", encoding="utf-8")
    (folder / "reads.csv").write_text("\n".join(reads) + "\n", encoding="utf-8")
    return folder / "cameras.csv", folder / "reads.csv"


def test_imported_spellings_are_one_plate_and_its_clone_is_found(store: Store, tmp_path: Path) -> None:
    cameras, reads = write_county(tmp_path)
    importers.import_file(store, "cameras", cameras)
    importers.import_file(store, "reads", reads)
    period = resolve_period(store, "2026-03-10T00:00", "2026-03-10T23:59:59")
    traj = trajectory(store, TrajectoryQuery(plate="苏A12345", period=period))
    assert len(traj.reads) == 8
    assert traj.to_json()["reads"][0]["ts"] == "2026-03-10T08:00:00+08:00"
    result = cloned(store, CloneQuery(period=period))
    assert [p.plate for p in result.plates] == ["苏A12345"]
    assert len(result.plates[0].second_vehicle) == 3
