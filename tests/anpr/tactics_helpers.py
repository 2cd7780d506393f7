"""Tiny builders for the vehicle-tactics tests: cameras on a map, reads at local times, journeys.

Times are local (Asia/Shanghai) as an analyst says them: ``make_read(store, "苏N12345", "A", "2026-03-10 08:00")``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pingan.anpr.area import Window
from pingan.anpr.tactic_common import Period
from pingan.plates import is_valid, normalise
from pingan.store.db import Store
from pingan.timeutil import to_local, to_utc_naive
from tests.builders import SCENE, offset

__all__ = ["SCENE", "offset", "at", "make_camera", "make_read", "drive", "period", "city_grid", "ReadBatch",
           "background"]


def at(when: str | datetime) -> datetime:
    return datetime.fromisoformat(when) if isinstance(when, str) else when


def make_camera(store: Store, camera_id: str, km_east: float = 0.0, km_north: float = 0.0) -> None:
    """A camera so many km east and north of the scene."""
    lon, lat = offset(*SCENE, km_east=km_east, km_north=km_north)
    store.con.execute("INSERT INTO cameras (camera_id, lon, lat, kind, batch_id) VALUES (?, ?, ?, 'anpr', 0)",
                      [camera_id, lon, lat])


class ReadBatch:
    """Reads collected and inserted in one go (one insert per read is slow for busy test roads)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.rows: list[tuple[object, ...]] = []

    def read(self, plate: str, camera: str, when: str | datetime, *, confidence: float | None = 0.95,
             plate_color: str | None = None, vehicle_type: str | None = None) -> datetime:
        ts = to_utc_naive(at(when))
        norm = normalise(plate)
        assert norm is not None
        self.rows.append((camera, ts, to_local(ts).date(), norm, plate, is_valid(norm), confidence,
                          plate_color, vehicle_type))
        return at(when)

    def drive(self, plate: str, cameras: list[str], start: str | datetime, minutes_apart: float = 3.0,
              **kw: object) -> list[datetime]:
        t = at(start)
        times = []
        for cam in cameras:
            self.read(plate, cam, t, **kw)  # type: ignore[arg-type]
            times.append(t)
            t = t + timedelta(minutes=minutes_apart)
        return times

    def flush(self) -> None:
        import pandas as pd

        if not self.rows:
            return
        frame = pd.DataFrame(self.rows, columns=["camera_id", "ts", "day", "plate", "plate_raw", "plate_valid",
                                                 "confidence", "plate_color", "vehicle_type"])
        frame = frame.astype({"confidence": "float64", "plate_color": "object", "vehicle_type": "object"})
        self.store.con.register("_batch", frame)
        self.store.con.execute(
            "INSERT INTO reads (camera_id, ts, day, plate, plate_raw, plate_valid, confidence, plate_color, "
            "vehicle_type, batch_id) SELECT camera_id, ts, day, plate, plate_raw, plate_valid, confidence, "
            "plate_color::VARCHAR, vehicle_type::VARCHAR, 0 FROM _batch ORDER BY day, plate, ts"
        )
        self.store.con.unregister("_batch")
        self.rows.clear()

    def __enter__(self) -> ReadBatch:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.flush()


def make_read(store: Store, plate: str, camera: str, when: str | datetime, *, confidence: float | None = 0.95,
              plate_color: str | None = None, vehicle_type: str | None = None) -> None:
    """One read of ``plate`` by ``camera`` at local time ``when``."""
    with ReadBatch(store) as batch:
        batch.read(plate, camera, when, confidence=confidence, plate_color=plate_color, vehicle_type=vehicle_type)


def drive(store: Store, plate: str, cameras: list[str], start: str | datetime, minutes_apart: float = 3.0,
          **kw: object) -> list[datetime]:
    """A journey: ``plate`` read by each camera in turn, ``minutes_apart`` between reads. Returns the times."""
    with ReadBatch(store) as batch:
        return batch.drive(plate, cameras, start, minutes_apart, **kw)


def period(start: str, end: str) -> Period:
    return Period(Window(to_utc_naive(at(start)), to_utc_naive(at(end))))


def city_grid(store: Store, n: int = 6, spacing_km: float = 2.0) -> list[list[str]]:
    """An n×n grid of cameras ``spacing_km`` apart, named G{row}{col}; returns the names by row."""
    names = []
    for row in range(n):
        names.append([])
        for col in range(n):
            name = f"G{row}{col}"
            make_camera(store, name, km_east=col * spacing_km, km_north=row * spacing_km)
            names[-1].append(name)
    return names


def background(store: Store, cameras: list[str], first_day: str, days: int, vehicles: int = 3000,
               reads_each: int = 2, seed: int = 0, hours: tuple[int, int] = (6, 22)) -> None:
    """Ordinary traffic: ``vehicles`` random cars a day, each read ``reads_each`` times at random cameras and
    times, in one bulk insert. Their plates (苏B + 5 digits) never repeat across days."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = days * vehicles * reads_each
    day_index = np.repeat(np.arange(days), vehicles * reads_each)
    serial = np.repeat(np.arange(days * vehicles), reads_each)
    seconds = rng.integers(hours[0] * 3600, hours[1] * 3600, size=n)
    local = np.datetime64(at(f"{first_day} 00:00")) + (day_index * 86400 + seconds).astype("timedelta64[s]")
    offset_s = int((to_utc_naive(at(f"{first_day} 12:00")) - at(f"{first_day} 12:00")).total_seconds())
    frame = pd.DataFrame({
        "camera_id": np.asarray(cameras, dtype=object)[rng.integers(0, len(cameras), size=n)],
        "ts": (local + np.timedelta64(offset_s, "s")).astype("datetime64[us]"),
        "day": local.astype("datetime64[D]").astype("datetime64[s]"),
        "plate": np.char.add("苏B", np.char.zfill(serial.astype(str), 5)).astype(object),
    })
    frame["day"] = frame["day"].dt.date
    store.con.register("_bg", frame)
    store.con.execute(
        "INSERT INTO reads (camera_id, ts, day, plate, plate_raw, plate_valid, confidence, batch_id) "
        "SELECT camera_id, ts, day, plate, plate, true, 0.9, 0 FROM _bg"
    )
    store.con.unregister("_bg")
