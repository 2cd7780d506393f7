"""From trips to reads: which cameras a car passes and when, and what each camera makes of it.

A pass is a car going by a camera (the truth). A read is what the camera reports: some passes are
missed, some are read twice within seconds, some have one character misread, and each read has a
confidence that is lower on misreads on average but overlaps with good reads. Per-camera quality
varies (:mod:`pingan.sim.cameras`); rates are renormalised per day so that the realised shares match
the configuration. Misreads are likelier at night.

Planted offences get special care: an offender's passes within 5 km of the scene are never missed
(the answer key promises they were seen), the first of them on the way there is never misread, and
for some offences the first on the way back is misread on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pingan.sim.arrays import ragged_index
from pingan.sim.cameras import CameraSet
from pingan.sim.platebook import VEHICLE_TYPES, WIDTH, misread
from pingan.sim.routes import RouteTable
from pingan.sim.trips import DAY_S, Trips

#: Offender passes this close to the scene are protected (a little inside the 5 km search radius).
NEAR_SCENE_KM = 4.9
_CAR, _SUV = VEHICLE_TYPES.index("car"), VEHICLE_TYPES.index("suv")


@dataclass
class Passes:
    """One row per car passing a camera."""

    vehicle: np.ndarray
    camera: np.ndarray
    t: np.ndarray
    trip: np.ndarray


@dataclass
class ReadBatch:
    """Reads as the cameras report them (before spelling): one row per read."""

    camera: np.ndarray
    t: np.ndarray
    """Period seconds (local time since midnight of the first day)."""
    vehicle: np.ndarray
    """The vehicle truly passing (truth; never written to the reads file)."""
    misread_row: np.ndarray
    """Row of ``codes`` holding the misread plate, or -1 when the plate was read right."""
    codes: np.ndarray
    confidence: np.ndarray
    vehicle_type: np.ndarray

    def __len__(self) -> int:
        return len(self.camera)

    @staticmethod
    def empty() -> ReadBatch:
        return ReadBatch(np.zeros(0, np.int32), np.zeros(0), np.zeros(0, np.int32), np.zeros(0, np.int32),
                         np.zeros((0, WIDTH), np.uint32), np.zeros(0), np.zeros(0, np.int8))

    @staticmethod
    def concat(a: ReadBatch, b: ReadBatch) -> ReadBatch:
        shifted = np.where(b.misread_row >= 0, b.misread_row + len(a.codes), -1)
        return ReadBatch(
            camera=np.concatenate([a.camera, b.camera]), t=np.concatenate([a.t, b.t]),
            vehicle=np.concatenate([a.vehicle, b.vehicle]),
            misread_row=np.concatenate([a.misread_row, shifted]).astype(np.int32),
            codes=np.concatenate([a.codes, b.codes]), confidence=np.concatenate([a.confidence, b.confidence]),
            vehicle_type=np.concatenate([a.vehicle_type, b.vehicle_type]),
        )

    def take(self, index: np.ndarray) -> ReadBatch:
        """Selected reads, with only the misread plates they use."""
        rows = self.misread_row[index]
        used = rows >= 0
        new_rows = np.full(len(rows), -1, dtype=np.int32)
        new_rows[used] = np.arange(int(used.sum()), dtype=np.int32)
        return ReadBatch(camera=self.camera[index], t=self.t[index], vehicle=self.vehicle[index],
                         misread_row=new_rows, codes=self.codes[rows[used]], confidence=self.confidence[index],
                         vehicle_type=self.vehicle_type[index])


def expand(trips: Trips, routes: RouteTable, rng: np.random.Generator) -> Passes:
    """Every camera passed on every trip, timed from departure by the route's offsets and the trip's factor."""
    pair = routes.pair(trips.origin, trips.dest)
    lo = routes.ptr[pair]
    count = routes.ptr[pair + 1] - lo
    trip, position = ragged_index(count)
    k = lo[trip] + position
    offset = routes.offset_s[k]
    stopped = offset >= trips.stop_at[trip] * routes.seconds[trips.origin, trips.dest][trip]
    t = (trips.depart[trip] + offset * trips.factor[trip] + np.where(stopped, trips.stop_s[trip], np.float32(0))
         + rng.uniform(0.0, 1.5, len(k)))
    return Passes(vehicle=trips.vehicle[trip], camera=routes.camera[k], t=t, trip=trip)


@dataclass(frozen=True)
class ObservationRates:
    miss: float
    double: float
    misread: float


def observe(passes: Passes, trips: Trips, rng: np.random.Generator, cams: CameraSet, codes: np.ndarray,
            vehicle_type: np.ndarray, rates: ObservationRates, scene_xy: np.ndarray,
            force_misread: np.ndarray) -> ReadBatch:
    """What the cameras report for these passes."""
    n = len(passes.camera)
    plant = trips.plant[passes.trip]
    role = trips.role[passes.trip]
    planted = np.flatnonzero(plant >= 0)
    near = np.zeros(n, dtype=bool)
    if len(planted):
        sx, sy = scene_xy[plant[planted]].T
        cam = passes.camera[planted]
        near[planted] = np.hypot(cams.x[cam] - sx, cams.y[cam] - sy) <= NEAR_SCENE_KM

    # Misses: per-camera quality, scaled by today's traffic at each camera so the share is the rate.
    traffic = np.bincount(passes.camera, minlength=cams.n)
    scale = rates.miss * n / max(float(traffic @ cams.miss_factor), 1e-9)
    miss_p = np.clip(cams.miss_factor * scale, 0.0, 0.9).astype(np.float32)[passes.camera]
    seen = (rng.random(n, dtype=np.float32) >= miss_p) | near
    keep = np.flatnonzero(seen)
    first_near = _first_per_group(np.flatnonzero(near), passes.trip)
    anchor = first_near[role[first_near] == 1]
    back = first_near[role[first_near] == 2]
    forced = back[force_misread[plant[back]]]

    doubled = keep[rng.random(len(keep), dtype=np.float32) < rates.double]
    idx = np.concatenate([keep, doubled])
    t = np.concatenate([passes.t[keep], passes.t[doubled] + rng.uniform(0.3, 4.0, len(doubled))])
    camera = passes.camera[idx]
    vehicle = passes.vehicle[idx]

    m = len(idx)
    second = t % DAY_S
    night = (second >= 22 * 3600) | (second < 6 * 3600)
    # Misreads: per-camera quality, 1.4 times likelier at night, scaled so today's share is the rate.
    weight = cams.misread_factor.astype(np.float32)[camera] * np.where(night, np.float32(1.4), np.float32(1.0))
    wrong = rng.random(m, dtype=np.float32) < _normalised(rates.misread, weight)
    # Near-scene passes are never missed, so they sit among the first len(keep) rows (not the doubles).
    wrong[np.searchsorted(keep, anchor)] = False
    wrong[np.searchsorted(keep, forced)] = True
    rows = np.flatnonzero(wrong)
    misread_row = np.full(len(idx), -1, dtype=np.int32)
    misread_row[rows] = np.arange(len(rows), dtype=np.int32)
    bad_codes = misread(rng, codes[vehicle[rows]])

    z = rng.standard_normal(m, dtype=np.float32)
    confidence = np.where(wrong, np.float32(0.83) + np.float32(0.07) * z, np.float32(0.935) + np.float32(0.035) * z)
    confidence -= np.where(night, np.float32(0.02), np.float32(0.0))
    confidence = np.round(np.clip(confidence, 0.30, 0.999).astype(np.float64), 3)

    vtype = vehicle_type[vehicle]
    swap = rng.random(m, dtype=np.float32) < 0.03
    vtype[swap & (vtype == _CAR)] = _SUV
    vtype[swap & (vehicle_type[vehicle] == _SUV)] = _CAR
    return ReadBatch(camera=camera.astype(np.int32), t=t, vehicle=vehicle.astype(np.int32), misread_row=misread_row,
                     codes=bad_codes, confidence=confidence, vehicle_type=vtype.astype(np.int8))


def _normalised(rate: float, factor: np.ndarray) -> np.ndarray:
    """Per-row probabilities proportional to ``factor`` whose mean is ``rate``."""
    if len(factor) == 0 or rate <= 0:
        return np.zeros(len(factor), dtype=np.float32)
    return np.clip(factor * np.float32(rate / float(factor.mean(dtype=np.float64))), 0.0, 0.9).astype(np.float32)


def _first_per_group(rows: np.ndarray, group: np.ndarray) -> np.ndarray:
    """The first of ``rows`` (ascending) in each group."""
    if len(rows) == 0:
        return rows
    _, first = np.unique(group[rows], return_index=True)
    return rows[first]
