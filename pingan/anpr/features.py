"""What an investigator looks at for each vehicle seen near a scene, as numbers a ranker can weigh.

One row per vehicle (plate) seen by the area's cameras in the padded window. Every feature is a thing
an experienced investigator already uses:

- ``relevance``       the watchlist entry's prior categories against the case's category (0..1)
- ``watchlisted``     on any watchlist at all (1/0); ``fuzzy`` when only matched despite a misread
- ``history_days``    days the vehicle was seen by these cameras in the weeks before (regulars are many)
- ``new_here``        never seen by these cameras in those weeks (1/0)
- ``stay_hours``      longest gap between its reads here inside the window: arrived, stayed, left
- ``in_window``       seen inside the offence window itself, not only in the pad (1/0)
- ``hour_rarity``     how unusual the hours of its reads are for traffic at these cameras (-log share)
- ``far_km``          how far from the scene its usual haunts are (its history's median camera)
- ``unknown_history`` never seen anywhere in the county in those weeks (1/0)
- ``low_confidence``  1 - mean read confidence
- ``reads``           log(1 + reads here in the window)
- ``dark_overlap``    share of the offence window the vehicle spent unseen between two reads near the
                      scene (went in, was not seen anywhere, came out): where the offender's car is
                      while the offence happens. Looked up, like ``far_km``, for a shortlist only.
- ``dark_new``        ``dark_overlap`` for a vehicle new to these cameras (a resident parked at home at
                      night is unseen too, but is no stranger)
- ``own_hour_rarity`` how unusual the hours of its reads here are for this vehicle itself, from the days
                      it was out at each hour, anywhere, in the weeks before (a night-shift worker out at 02:00 is not unusual;
                      someone who never drives at night is)
- ``near_km``         how close to the scene the nearest camera that saw it is (a car that went to the
                      scene passes the cameras on the way to it; one crossing the edge of the area does not)
- ``turn_km``         how far from the scene its longest unseen stretch here began and ended (the farther of
                      the two cameras): where it stopped, or turned off the camera network, while unseen
- ``turned_nearest``  that stretch began or ended at its camera nearest the scene: it went out of sight
                      where it was closest to the scene, rather than somewhere on the far side
- ``approach``        at the read that began that stretch, how squarely it was heading for the scene
                      (the camera's direction of travel against the bearing to the scene; 0 unknown)
- ``depart``          at the read that ended it, how squarely it was heading away from the scene
- ``could_be_there``  share of the offence window in which, given two consecutive reads anywhere, it could
                      have been at the scene: time enough to drive from the first camera to the scene and
                      on to the second (a space-time prism; unlike ``dark_overlap`` the reads need not be
                      near the scene, so a car that went in and left by a road without cameras counts)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock
from typing import Any

import numpy as np
import pandas as pd

from pingan.anpr.area import Window, reads_expr, vehicle_reads
from pingan.anpr.summaries import hourly_reads, vehicle_days
from pingan.geo import haversine_km
from pingan.store.db import Store
from pingan.timeutil import to_local, to_utc_naive

FEATURES = (
    "relevance", "watchlisted", "fuzzy", "history_days", "new_here", "stay_hours", "in_window",
    "hour_rarity", "far_km", "unknown_history", "low_confidence", "reads", "dark_overlap",
    "dark_new", "own_hour_rarity", "near_km", "turn_km", "turned_nearest",
    "approach", "depart", "could_be_there",
)

#: Reads this far out (times the radius) still bound an unseen stay near the scene.
BRACKET_FACTOR = 2.0
#: Straight-line speed for "could it have been at the scene between these two reads" (roads wind; 40 km/h
#: as the crow flies is a brisk drive on county roads).
PRISM_KMH = 40.0
#: How far either side of the padded window a vehicle's movements are read to bracket its stay.
MOVEMENT_MARGIN = timedelta(hours=6)


@dataclass(frozen=True)
class HistoryConfig:
    """How far back the ranking looks to learn what is normal."""

    days: int = 28


def history_window(window: Window, config: HistoryConfig) -> Window:
    """The weeks before the padded window, used to learn normal traffic: the ``config.days`` whole local
    days before the local day the padded window starts on (whole days, so they come from the per-day
    summaries of :mod:`pingan.anpr.summaries`; the hours of that day before the window are left out)."""
    first_local = to_local(window.start).date()
    end = to_utc_naive(datetime.combine(first_local, clock(0))) - timedelta(microseconds=1)
    start = to_utc_naive(datetime.combine(first_local - timedelta(days=config.days), clock(0)))
    return Window(start, end)


def area_history(store: Store, camera_ids: list[str], history: Window, plates: list[str] | None = None,
                 *, use_summaries: bool = True) -> tuple[pd.DataFrame, np.ndarray]:
    """Per plate: days seen by these cameras in the history window's local days; and the cameras' hourly
    profile, the share of their reads in each local hour of the day (24 values).

    With ``plates`` (the vehicles seen around the case) only those are counted, from the per-day summaries
    (:mod:`pingan.anpr.summaries`; raw reads for days not summarised); without, every vehicle the cameras
    saw, from the raw reads.
    """
    if not camera_ids:
        return pd.DataFrame(columns=["plate", "history_days"]), np.full(24, 1 / 24)
    first, last = history.days()
    # Laplace smoothing: an hour never seen is rare, not impossible
    profile = hourly_reads(store, camera_ids, first, last, use_summaries=use_summaries) + 1.0  # type: ignore[arg-type]
    if plates is None:
        t = reads_expr(store, camera_ids, history)
        per_plate = t.group_by("plate").aggregate(history_days=t.day.nunique()).to_pandas()
    else:
        seen = vehicle_days(store, plates, first, last, use_summaries=use_summaries)  # type: ignore[arg-type]
        per_plate = seen.days_at(camera_ids)
    return per_plate, profile / profile.sum()


def usual_places(store: Store, plates: list[str], history: Window, *, use_summaries: bool = True) -> pd.DataFrame:
    """Per plate: median longitude/latitude of the cameras that saw it in the history window's local days,
    each camera counted once a day it saw the vehicle; and its reads there (``history_reads``)."""
    empty = pd.DataFrame(columns=["plate", "usual_lon", "usual_lat", "history_reads"])
    if not plates:
        return empty
    first, last = history.days()
    seen = vehicle_days(store, plates, first, last, use_summaries=use_summaries)  # type: ignore[arg-type]
    cams = store.con.execute("SELECT camera_id, lon, lat FROM cameras").df().set_index("camera_id")
    rows = seen.cameras
    # positions looked up once per camera, not per row; plates stay categories (their strings are not built)
    codes, cameras = pd.factorize(rows["camera_id"])
    where = cams.reindex(pd.Index(np.asarray(cameras, dtype=object)))  # unknown cameras: no position
    lon = np.append(where["lon"].to_numpy(dtype=float), np.nan)[codes]  # code -1 (no camera): no position
    lat = np.append(where["lat"].to_numpy(dtype=float), np.nan)[codes]
    placed = pd.DataFrame({"plate": rows["plate"].reset_index(drop=True), "lon": lon, "lat": lat}).dropna(
        subset=["lon", "lat"])
    if placed.empty:
        return empty
    usual = placed.groupby("plate", observed=True).agg(usual_lon=("lon", "median"), usual_lat=("lat", "median"))
    reads = seen.days.groupby("plate", observed=True)["reads"].sum()
    usual["history_reads"] = reads.reindex(usual.index).fillna(0).astype(int)
    usual = usual.reset_index()
    usual["plate"] = usual["plate"].astype(object)
    return usual


def own_hours(store: Store, plates: list[str], history: Window, *, use_summaries: bool = True) -> pd.DataFrame:
    """Per plate and local hour of day: on how many of the history window's days it was read anywhere in
    that hour (vehicle-days, not reads: a taxi's forty reads an evening count as one evening)."""
    if not plates:
        return pd.DataFrame(columns=["plate", "hour", "n"])
    first, last = history.days()
    days = vehicle_days(store, plates, first, last, use_summaries=use_summaries).days  # type: ignore[arg-type]
    if days.empty:
        return pd.DataFrame(columns=["plate", "hour", "n"])
    bits = (days["hours"].to_numpy(dtype=np.int64)[:, None] >> np.arange(24)) & 1
    per_plate = pd.DataFrame(bits, columns=range(24)).groupby(days["plate"].astype(object).to_numpy()).sum()
    counts = per_plate.stack().rename("n").reset_index()
    counts.columns = ["plate", "hour", "n"]
    return counts[counts["n"] > 0].reset_index(drop=True)


def own_hour_rarity(reads: pd.DataFrame, hours: pd.DataFrame, offset: timedelta) -> pd.Series:
    """Per plate: -log of the share of its own past reads within an hour of the hours it was seen here."""
    if hours.empty or reads.empty:
        return pd.Series(dtype=float)
    # a row of 24 hourly counts per plate (a pivot table took longer than the rest together)
    codes, plates = pd.factorize(hours["plate"].to_numpy(dtype=object))
    matrix = np.zeros((len(plates), 24))
    np.add.at(matrix, (codes, hours["hour"].to_numpy(dtype=np.int64)), hours["n"].to_numpy(dtype=float))
    # each hour's count with its neighbours (circular), smoothed so an hour never seen is rare, not impossible
    window = matrix + np.roll(matrix, 1, axis=1) + np.roll(matrix, -1, axis=1)
    share = (window + 0.5) / (matrix.sum(axis=1, keepdims=True) * 3 + 12.0)
    all_rows = positions(reads["plate"], np.asarray(plates, dtype=object))
    kept = all_rows >= 0
    if not kept.any():
        return pd.Series(dtype=float)
    rows = all_rows[kept]
    cols = ((reads["ts"][kept] + offset).dt.hour).to_numpy()
    values = -np.log(share[rows, cols] * 8.0)  # 8 = 24 h / 3-hour neighbourhood: an even spread scores 0
    mean = pd.Series(values).groupby(rows).mean()  # by the plate's row, then named: no string per read
    return pd.Series(mean.to_numpy(), index=pd.Index(np.asarray(plates, dtype=object)[mean.index], dtype=object)).sort_index()


def positions(values: pd.Series, among: np.ndarray) -> np.ndarray:
    """Where each of ``values`` (plates) is among the unique plates ``among``; -1 where it is not. The
    window's reads hold their plates as Arrow strings: they are looked up in Arrow, in one hash table,
    rather than made into a Python string each (80,000 reads of a daytime area: 11 ms)."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        seen = pa.array(values)
        found = pc.index_in(seen, value_set=pa.array(list(among), type=seen.type))
        return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    return pd.Index(among, dtype=object).get_indexer(values.to_numpy(dtype=object))


def movements(store: Store, plates: list[str], padded: Window, *, use_index: bool = True) -> pd.DataFrame:
    """Every read, at any camera, of these plates around the padded window, with camera positions."""
    if not plates:
        return pd.DataFrame(columns=["plate", "ts", "lon", "lat"])
    around = Window(padded.start - MOVEMENT_MARGIN, padded.end + MOVEMENT_MARGIN)
    return vehicle_reads(store, plates, around, use_index=use_index)


def dark_overlap(moves: pd.DataFrame, window: Window, scene_lon: float, scene_lat: float,
                 radius_km: float) -> pd.Series:
    """Per plate: the largest share of the offence window covered by a gap between two consecutive reads
    that are both near the scene (within BRACKET_FACTOR x radius)."""
    return stays_near(moves, window, scene_lon, scene_lat, radius_km)["dark_overlap"]


def stays_near(moves: pd.DataFrame, window: Window, scene_lon: float, scene_lat: float,
               radius_km: float) -> pd.DataFrame:
    """Per plate: ``dark_overlap`` from its consecutive reads around the window.

    (A "turnaround" feature, back out past the same camera within hours, was tried and dropped: fitted on
    simulated counties it carried no signal beyond this one.)
    """
    if moves.empty:
        return pd.DataFrame(columns=["dark_overlap", "could_be_there"], dtype=float)
    m = moves.sort_values(["plate", "ts"]).reset_index(drop=True)
    km = haversine_km(m["lon"].to_numpy(), m["lat"].to_numpy(), scene_lon, scene_lat)
    near = km <= BRACKET_FACTOR * radius_km
    same = (m["plate"].to_numpy()[1:] == m["plate"].to_numpy()[:-1])
    start = m["ts"].to_numpy()[:-1].astype("datetime64[us]")
    end = m["ts"].to_numpy()[1:].astype("datetime64[us]")
    w0, w1 = np.datetime64(window.start, "us"), np.datetime64(window.end, "us")
    span = max((w1 - w0) / np.timedelta64(1, "s"), 1.0)
    overlap = (np.minimum(end, w1) - np.maximum(start, w0)) / np.timedelta64(1, "s")
    bracketed = same & near[:-1] & near[1:]
    share = np.clip(overlap / span, 0.0, 1.0) * bracketed
    # the time it could have spent at the scene between two reads, wherever they were: after driving there
    # from the first camera and before driving on to the second (straight-line distance at PRISM_KMH)
    drive = lambda d: (d / PRISM_KMH * 3600.0 * 1e6).astype("timedelta64[us]")  # noqa: E731
    earliest = start + drive(km[:-1])
    latest = end - drive(km[1:])
    there = (np.minimum(latest, w1) - np.maximum(earliest, w0)) / np.timedelta64(1, "s")
    could = np.clip(there / span, 0.0, 1.0) * same
    frame = pd.DataFrame({"dark_overlap": share, "could_be_there": could}, index=m["plate"].to_numpy()[:-1])
    return frame.groupby(level=0).max()


def vehicle_features(
    reads: pd.DataFrame,
    *,
    window: Window,
    padded: Window,
    history_days: pd.DataFrame,
    hour_profile: np.ndarray,
    usual: pd.DataFrame,
    scene_lon: float,
    scene_lat: float,
    relevance: dict[str, float],
    watch_kind: dict[str, str],
    stays: pd.DataFrame | None = None,
    own_rarity: pd.Series | None = None,
    area_cameras: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row of features per plate in ``reads`` (the area's reads in the padded window).

    ``area_cameras`` holds each area camera's ``km`` from the scene and ``toward`` it (indexed by camera_id).
    """
    if reads.empty:
        return pd.DataFrame(columns=["plate", *FEATURES])
    r = reads.sort_values(["plate", "ts"]).reset_index(drop=True)
    # sorted by plate, so the codes rise with the plates: grouping by them keeps the plates' order
    plate_code, plate_names = pd.factorize(r["plate"])
    first_read = np.concatenate([[True], plate_code[1:] != plate_code[:-1]])
    ts_us = r["ts"].to_numpy().astype("datetime64[us]").astype(np.int64)
    gap_h = np.diff(ts_us, prepend=ts_us[:1]) / 3.6e9
    gap_h[first_read] = 0.0  # a plate's first read ends no gap
    offset = to_local(window.start).utcoffset() or timedelta(0)
    local_hour = ((r["ts"] + offset).dt.hour).to_numpy()
    r = r.assign(
        rarity=-np.log(hour_profile[local_hour] * 24.0),
        in_win=((r["ts"] >= window.start) & (r["ts"] <= window.end)).astype(float),
        gap_h=gap_h,
        conf=r["confidence"].astype(float),
    )
    g = r.groupby(plate_code, sort=False)
    f = pd.DataFrame({
        "plate": pd.Series(np.asarray(plate_names, dtype=object), dtype=object),  # Python strings: looked up below
        "n_reads": g.size().to_numpy(),
        "cameras": g["camera_id"].nunique().to_numpy(),
        "first_ts": g["ts"].min().to_numpy(),
        "last_ts": g["ts"].max().to_numpy(),
        "stay_hours": g["gap_h"].max().to_numpy(),
        "in_window": g["in_win"].max().to_numpy(),
        "hour_rarity": g["rarity"].mean().to_numpy(),
        "mean_conf": g["conf"].mean().to_numpy(),
    })
    f["reads"] = np.log1p(f["n_reads"])
    f["low_confidence"] = (1.0 - f["mean_conf"].fillna(0.9)).clip(0.0, 1.0)
    plates = pd.Index(f["plate"].to_numpy(dtype=object), dtype=object)
    hist = (pd.Series(history_days["history_days"].to_numpy(), index=history_days["plate"].to_numpy(dtype=object))
            if not history_days.empty else pd.Series(dtype=float))
    f["history_days"] = per_plate(plates, hist, 0.0)
    f["new_here"] = (f["history_days"] == 0).astype(float)
    f["relevance"] = per_plate(plates, pd.Series(relevance, dtype=float), 0.0)
    kinds = pd.Series(watch_kind, dtype=object)
    f["watchlisted"] = per_plate(plates, pd.Series(1.0, index=kinds.index), 0.0)
    f["fuzzy"] = per_plate(plates, (kinds == "fuzzy").astype(float), 0.0)
    f = with_lookups(f, usual=usual, stays=stays, own_rarity=own_rarity, scene_lon=scene_lon, scene_lat=scene_lat)
    shape = unseen_stretch(r, area_cameras if area_cameras is not None
                           else pd.DataFrame({"km": [], "toward": []}, dtype=float), plates=(plate_code, plate_names))
    for name in ("near_km", "turn_km", "turned_nearest", "approach", "depart"):
        f[name] = shape[name].to_numpy()
    return f


def with_lookups(features: pd.DataFrame, *, usual: pd.DataFrame, stays: pd.DataFrame | None,
                 own_rarity: pd.Series | None, scene_lon: float, scene_lat: float) -> pd.DataFrame:
    """The features that come from looking vehicles up beyond the area (where each usually is, its stay
    near the scene, its own hours), filled in on a copy of ``features``: ``far_km``, ``unknown_history``,
    ``dark_overlap``, ``dark_new``, ``own_hour_rarity``. A vehicle not looked up gets ``unknown_history``."""
    f = features.copy()
    plates = pd.Index(f["plate"].to_numpy(dtype=object), dtype=object)
    if usual.empty:
        lon = lat = np.full(len(f), np.nan)
    else:
        u = usual.set_index(pd.Index(usual["plate"].to_numpy(dtype=object), dtype=object))
        lon, lat = per_plate(plates, u["usual_lon"], np.nan), per_plate(plates, u["usual_lat"], np.nan)
    known = ~np.isnan(lon)
    far = np.zeros(len(f))
    if known.any():
        far[known] = haversine_km(lon[known], lat[known], scene_lon, scene_lat)
    f["far_km"] = far
    f["unknown_history"] = (~known).astype(float)
    has = stays is not None and not stays.empty
    f["dark_overlap"] = per_plate(plates, stays["dark_overlap"], 0.0) if has else 0.0  # type: ignore[index]
    f["dark_new"] = f["dark_overlap"] * f["new_here"]
    f["could_be_there"] = per_plate(plates, stays["could_be_there"], 0.0) if has else 0.0  # type: ignore[index]
    has_own = own_rarity is not None and not own_rarity.empty
    f["own_hour_rarity"] = per_plate(plates, own_rarity, 0.0) if has_own else 0.0  # type: ignore[arg-type]
    return f


def per_plate(plates: pd.Index, table: pd.Series, missing: float) -> np.ndarray:
    """``table``'s numbers (indexed by plate) for each of ``plates`` (unique, an object Index), ``missing``
    where it has none. The table's plates are found among the vehicles' (one hash table of the vehicles,
    built once per Index), so a short table costs little however many vehicles were seen."""
    out = np.full(len(plates), missing, dtype=float)
    if len(table):
        at = plates.get_indexer(pd.Index(np.asarray(table.index, dtype=object), dtype=object))
        found = at >= 0
        out[at[found]] = table.to_numpy(dtype=float)[found]
    return out


def unseen_stretch(reads: pd.DataFrame, cameras: pd.DataFrame,
                   plates: tuple[np.ndarray, Any] | None = None) -> pd.DataFrame:
    """Per plate (sorted), where near the scene it went out of sight: ``near_km``, ``turn_km``,
    ``turned_nearest``, ``approach``, ``depart``.

    ``reads`` are sorted by plate and ts; ``cameras`` (indexed by camera_id) give ``km`` and ``toward``.
    The longest gap between two consecutive reads here is the stretch it spent unseen (parked, or off
    the camera network); a single read leaves it unseen on both sides of its only camera. A camera of
    unknown distance counts as at the edge of the area. ``plates``: the reads' plates factorised already.
    """
    # plates and cameras as codes (a busy area's 100,000 reads hold a few dozen cameras): mapping strings
    # read by read cost more than the rest of the function
    plate_code, plate_names = plates if plates is not None else pd.factorize(reads["plate"])
    camera_code, camera_names = pd.factorize(reads["camera_id"])
    edge = float(cameras["km"].max()) if len(cameras) else 0.0
    named = pd.Index(np.asarray(camera_names, dtype=object))
    km = cameras["km"].reindex(named).fillna(edge).to_numpy(dtype=float)[camera_code]
    toward = cameras["toward"].reindex(named).fillna(0.0).to_numpy(dtype=float)[camera_code]
    gap = reads["gap_h"].to_numpy(dtype=float) if "gap_h" in reads else np.zeros(len(reads))
    first = np.concatenate([[True], plate_code[1:] != plate_code[:-1]])
    starts = np.flatnonzero(first)
    group = np.cumsum(first) - 1
    near = np.minimum.reduceat(km, starts)
    # the read that ends the longest gap (a plate's first read has gap 0: a single read ends its own "gap")
    key = np.where(first, -1.0, gap)
    order = np.lexsort((-key, group))  # per group, the largest gap first
    best_end = order[np.searchsorted(group[order], np.arange(len(starts)))]
    single = np.diff(np.append(starts, len(reads))) == 1
    begin = np.where(single, best_end, best_end - 1)
    turn = np.maximum(km[begin], km[best_end])
    nearest = np.minimum(km[begin], km[best_end]) <= near + 0.01
    return pd.DataFrame({"near_km": near, "turn_km": turn, "turned_nearest": nearest.astype(float),
                         "approach": toward[begin], "depart": -toward[best_end]},
                        index=np.asarray(plate_names, dtype=object)[plate_code[starts]])
