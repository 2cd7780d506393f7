"""A small hand-built county for the API and browser tests: cameras on a street grid, roads, police grids,
officers, disputes, commuters, night drivers, a watchlisted burglar with an accomplice car who strikes
three times, a cloned plate, and two years of background cases for the force's indicators.

Everything is deterministic (one seeded ``random.Random``) and built in a couple of seconds. Times are
local (Asia/Shanghai) as an analyst says them.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from shapely.geometry import LineString, box, mapping

from pingan.plates import is_valid, normalise
from pingan.store.db import Store, open_store
from pingan.timeutil import to_local, to_utc_naive
from tests.builders import SCENE, offset

#: The burglar the tests expect near the top of every burglary's suspects, and the car that follows him.
OFFENDER = "苏A12345"
ACCOMPLICE = "苏A67890"
CLONED = "苏B11111"
DAYS = 30
#: The county's traffic ends yesterday (local time), as the demo county's does: its reads are recent, so
#: queries over them need no authorisation for old reads.
LAST_DAY = datetime.combine(to_local(datetime.now(UTC).replace(tzinfo=None)).date() - timedelta(days=1), datetime.min.time())
FIRST_DAY = LAST_DAY - timedelta(days=DAYS - 1)


def day(n: int, hhmm: str = "00:00") -> datetime:
    """Local time on the n-th day of the county's traffic (0 = first, -1 = the last)."""
    base = (FIRST_DAY if n >= 0 else LAST_DAY + timedelta(days=1)) + timedelta(days=n)
    hours, minutes = hhmm.split(":")
    return base + timedelta(hours=int(hours), minutes=int(minutes))


#: The burglaries he committed (case id → (camera row, camera col, local start, local end)).
BURGLARIES = {
    "C001": (2, 2, day(-6, "01:00"), day(-6, "03:00")),
    "C002": (0, 1, day(-3, "02:00"), day(-3, "04:00")),
    "C003": (4, 3, day(-1, "00:30"), day(-1, "02:30")),
}
ROWS = ["北京路", "中山路", "人民路", "建设路", "解放路"]  # east–west, south to north
COLS = ["文化街", "光明街", "和平街", "东风街", "育才路"]  # north–south, west to east
SPACING_KM = 2.0
CATEGORIES = ["burglary", "theft", "fraud", "assault", "vehicle_crime"]


def camera_id(row: int, col: int) -> str:
    return f"K{row}{col}"


def camera_xy(row: int, col: int) -> tuple[float, float]:
    """km east, km north of the scene centre."""
    return (col - 2) * SPACING_KM, (row - 2) * SPACING_KM


def lonlat(km_east: float, km_north: float) -> tuple[float, float]:
    return offset(*SCENE, km_east=km_east, km_north=km_north)


@dataclass
class Reads:
    rows: list[tuple[object, ...]]

    def read(self, plate: str, camera: str, when: datetime, confidence: float = 0.95) -> None:
        ts = to_utc_naive(when)
        norm = normalise(plate)
        assert norm is not None
        self.rows.append((camera, ts, to_local(ts).date(), norm, plate, is_valid(norm), confidence))

    def drive(self, plate: str, cameras: list[str], start: datetime, minutes_apart: float = 3.0) -> None:
        for i, cam in enumerate(cameras):
            self.read(plate, cam, start + timedelta(minutes=minutes_apart * i))


def path(a: tuple[int, int], b: tuple[int, int]) -> list[str]:
    """Cameras along the street grid from a to b: along the row first, then up or down the column."""
    (r0, c0), (r1, c1) = a, b
    step = 1 if c1 >= c0 else -1
    cams = [camera_id(r0, c) for c in range(c0, c1 + step, step)]
    step = 1 if r1 >= r0 else -1
    cams += [camera_id(r, c1) for r in range(r0 + step, r1 + step, step)]
    return cams


def build_county(store: Store, roads_file: Path | None = None) -> None:
    """Fill an empty store with the test county; write its roads as GeoJSON to ``roads_file`` if given."""
    rng = random.Random(6)
    con = store.con
    # Cameras at the crossings of the street grid.
    for r in range(5):
        for c in range(5):
            lon, lat = lonlat(*camera_xy(r, c))
            con.execute("INSERT INTO cameras (camera_id, lon, lat, kind, name, road, batch_id) "
                        "VALUES (?, ?, ?, 'anpr', ?, ?, 0)",
                        [camera_id(r, c), lon, lat, f"{ROWS[r]}/{COLS[c]}", ROWS[r]])
    if roads_file is not None:
        features = []
        for r, name in enumerate(ROWS):
            line = LineString([lonlat(camera_xy(r, 0)[0] - 1, camera_xy(r, 0)[1]),
                               lonlat(camera_xy(r, 4)[0] + 1, camera_xy(r, 4)[1])])
            features.append({"type": "Feature", "geometry": mapping(line),
                             "properties": {"name": name, "road_class": "county"}})
        for c, name in enumerate(COLS):
            line = LineString([lonlat(camera_xy(0, c)[0], camera_xy(0, c)[1] - 1),
                               lonlat(camera_xy(4, c)[0], camera_xy(4, c)[1] + 1)])
            features.append({"type": "Feature", "geometry": mapping(line),
                             "properties": {"name": name, "road_class": "village"}})
        roads_file.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                              encoding="utf-8")

    # Police grids: 4 × 4 squares of 2.5 km (G00 in the south-west, G33 in the north-east), officers for
    # the first twelve; one governance grid over all.
    grids = {}
    for r in range(4):
        for c in range(4):
            n = r * 4 + c
            grid_id = f"G{r}{c}"
            grids[grid_id] = (-5 + 2.5 * c, -5 + 2.5 * r, -2.5 + 2.5 * c, -2.5 + 2.5 * r)
            _add_grid(con, grid_id, "police", f"第{n + 1}网格", grids[grid_id], parent="GOV-1",
                      officer=f"O{n + 1}" if n < 12 else None, population=2000 + 250 * n)
    _add_grid(con, "GOV-1", "governance", "城关镇", (-5, -5, 5, 5), parent=None, officer=None, population=38000)
    for i in range(12):
        con.execute("INSERT INTO officers (officer_id, name, grid_ids, phone, batch_id) VALUES (?, ?, ?, ?, 0)",
                    [f"O{i + 1}", f"民警{i + 1:02d}", [f"G{i // 4}{i % 4}"], f"1380000{i:04d}"])
    for i, (grid_id, level, status) in enumerate([
        ("G00", "high", "open"), ("G00", "medium", "mediating"), ("G33", "low", "open"),
        ("G33", "medium", "resolved"), ("G30", "low", "escalated"), ("G03", "low", "resolved"),
    ]):
        x0, y0, x1, y1 = grids[grid_id]
        lon, lat = lonlat((x0 + x1) / 2 + 0.2 * i - 0.5, (y0 + y1) / 2)
        opened = to_utc_naive(day(10 + 2 * i, "09:00"))
        closed = opened + timedelta(days=3) if status == "resolved" else None
        con.execute("INSERT INTO disputes (dispute_id, lon, lat, level, status, opened_at, closed_at, category, "
                    "parties, description, grid_id, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                    [f"D{i + 1:03d}", lon, lat, level, status, opened, closed, "neighbours",
                     [f"P{100 + i}", f"P{200 + i}"], "邻里纠纷 noise between neighbours", grid_id])

    # Watchlist: the burglar, and an unrelated prior (fraud) who commutes through the scenes.
    for plate, person, cats in [(OFFENDER, "P001", ["burglary"]), ("苏C22222", "P002", ["fraud"]),
                                ("苏E33333", "P003", ["assault"])]:
        con.execute("INSERT INTO watchlist (list, plate, plate_raw, person_id, categories, batch_id) "
                    "VALUES ('priors', ?, ?, ?, ?, 0)", [normalise(plate), plate, person, cats])

    reads = Reads([])
    # Commuters: home and work crossings, out in the morning, back in the evening, on weekdays.
    letters = "CDEFGHJKLMNPQRSTUVWXYZ"
    commuters = [f"苏{letters[i % len(letters)]}{10000 + 37 * i:05d}" for i in range(90)] + ["苏C22222"]
    for plate in commuters:
        home = (rng.randrange(5), rng.randrange(5))
        work = (rng.randrange(5), rng.randrange(5))
        leave, back = rng.randrange(420, 540), rng.randrange(1020, 1140)
        for d in range(DAYS):
            today = FIRST_DAY + timedelta(days=d)
            if today.weekday() >= 5 and rng.random() < 0.8:
                continue
            reads.drive(plate, path(home, work), today + timedelta(minutes=leave + rng.randrange(-10, 10)))
            reads.drive(plate, path(work, home), today + timedelta(minutes=back + rng.randrange(-10, 10)))
    # Night drivers: taxis and shift workers, somewhere every night.
    for i in range(12):
        plate = f"苏N{20000 + 131 * i:05d}"
        for d in range(DAYS):
            today = FIRST_DAY + timedelta(days=d)
            a = (rng.randrange(5), rng.randrange(5))
            b = (rng.randrange(5), rng.randrange(5))
            reads.drive(plate, path(a, b), today + timedelta(minutes=rng.randrange(-120, 300)))
    # The burglar and his accomplice: come in from the edge, stay near the scene, leave.
    for case_id, (r, c, start, _end) in BURGLARIES.items():
        t0 = start - timedelta(minutes=20)
        edge = (r, 0 if c >= 2 else 4)
        route = path(edge, (r, c))
        reads.drive(OFFENDER, route, t0)
        reads.drive(ACCOMPLICE, route, t0 + timedelta(seconds=40))
        leave = start + timedelta(minutes=80)
        reads.drive(OFFENDER, list(reversed(route)), leave)
        reads.drive(ACCOMPLICE, list(reversed(route)), leave + timedelta(seconds=35))
    # Once by day, far from any scene: he has a life too.
    reads.drive(OFFENDER, path((4, 4), (4, 2)), day(-10, "15:00"))
    # A cloned plate: the same plate at opposite corners of the county three minutes apart, twice.
    for when in (day(-8, "10:00"), day(-5, "10:00")):
        reads.read(CLONED, camera_id(0, 0), when)
        reads.read(CLONED, camera_id(4, 4), when + timedelta(minutes=3))
        reads.read(CLONED, camera_id(0, 1), when + timedelta(minutes=6))
        reads.read(CLONED, camera_id(4, 3), when + timedelta(minutes=8))
    frame = pd.DataFrame(reads.rows, columns=["camera_id", "ts", "day", "plate", "plate_raw", "plate_valid",
                                              "confidence"])
    con.register("_county_reads", frame)
    con.execute("INSERT INTO reads (camera_id, ts, day, plate, plate_raw, plate_valid, confidence, batch_id) "
                "SELECT camera_id, ts, day, plate, plate_raw, plate_valid, confidence, 0 FROM _county_reads "
                "ORDER BY day, plate, ts")
    con.unregister("_county_reads")

    # Cases: the three burglaries, a daytime theft, and two years of background cases for the indicators.
    cases = []
    for case_id, (r, c, start, end) in BURGLARIES.items():
        x, y = camera_xy(r, c)
        cases.append((case_id, "burglary", *lonlat(x + 0.3, y + 0.2), start.isoformat(sep=" "),
                      end.isoformat(sep=" "), "入室盗窃 burglary", "open", end.isoformat(sep=" "), None))
    cases.append(("C004", "theft", *lonlat(0.4, -0.2), day(-2, "14:00").isoformat(sep=" "),
                  day(-2, "15:00").isoformat(sep=" "), "电动车被盗 e-bike stolen", "open",
                  day(-2, "16:00").isoformat(sep=" "), None))
    start = LAST_DAY - timedelta(days=740)
    for i in range(360):
        when = start + timedelta(days=rng.uniform(0, 730), hours=rng.uniform(0, 24))
        when = when.replace(second=0, microsecond=0)
        category = rng.choice(CATEGORIES)
        reported = when + timedelta(hours=rng.uniform(0.5, 12))
        solved = reported + timedelta(days=rng.expovariate(1 / 20)) if rng.random() < 0.45 else None
        if solved is not None and solved > LAST_DAY:
            solved = None
        x, y = rng.uniform(-4.5, 4.5), rng.uniform(-4.5, 4.5)
        cases.append((f"H{i + 1:04d}", category, *lonlat(x, y), when.isoformat(sep=" "),
                      (when + timedelta(hours=1)).isoformat(sep=" "), None,
                      "solved" if solved else "open", reported.isoformat(sep=" "),
                      solved.isoformat(sep=" ") if solved else None))
    for case_id, category, lon, lat, s, e, description, status, reported, solved in cases:
        con.execute(
            "INSERT INTO cases (case_id, category, lon, lat, start_ts, end_ts, description, status, reported_at, "
            "solved_at, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            [case_id, category, lon, lat, _utc(s), _utc(e), description, status, _utc(reported),
             _utc(solved) if solved else None],
        )


def _utc(local: str) -> datetime:
    return to_utc_naive(datetime.fromisoformat(local))


def _add_grid(con, grid_id: str, level: str, name: str, km_box: tuple[float, float, float, float],  # type: ignore[no-untyped-def]
              parent: str | None, officer: str | None, population: int) -> None:
    (x0, y0, x1, y1) = km_box
    lon0, lat0 = lonlat(x0, y0)
    lon1, lat1 = lonlat(x1, y1)
    poly = box(lon0, lat0, lon1, lat1)
    con.execute(
        "INSERT INTO grids (grid_id, level, name, parent_id, officer_id, population, geometry, min_lon, min_lat, "
        "max_lon, max_lat, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
        [grid_id, level, name, parent, officer, population, poly.wkb, lon0, lat0, lon1, lat1],
    )


USERS = {
    "ana": "analyst",
    "sup": "supervisor",
    "off": "officer",
    "aud": "auditor",
    "adm": "admin",
}
PASSWORD = "correct horse battery staple"


def build_store(folder: Path) -> Path:
    """A store file in ``folder`` holding the county and one user per role (password :data:`PASSWORD`)."""
    from pingan.governance.users import create_user

    db = folder / "pingan.duckdb"
    with open_store(db) as store:
        build_county(store, roads_file=folder / "roads.geojson")
        grade_weekly(store)
        for user, role in USERS.items():
            create_user(store, user, role, PASSWORD)
    return db


def grade_weekly(store: Store, weeks: int = 12) -> None:
    """Grade the police grids every week for the last ``weeks`` weeks (when the grading library is here)."""
    try:
        from pingan.grids.grading import grade_series, series_dates
    except ModuleNotFoundError:
        return
    end = to_utc_naive(LAST_DAY + timedelta(days=1))
    grade_series(store, series_dates(end - timedelta(weeks=weeks), end, timedelta(days=7)), user="tests")
