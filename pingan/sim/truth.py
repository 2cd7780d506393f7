"""What really happened, tallied from the reads as they are written (for the answer key).

Per plate: how many reads, how many at night (22:00–06:00 local), the first day it was seen.
Per planted offence: the offender's reads within 5 km of the scene during the case window widened by
2 h — how many, and how many of them misread. Per loiterer: the days its area's cameras read it.
"""

from __future__ import annotations

import numpy as np

from pingan.geo import geodesic_km
from pingan.sim.cameras import CameraSet
from pingan.sim.loiterers import Loiterer
from pingan.sim.offenders import Plan
from pingan.sim.readgen import ReadBatch
from pingan.sim.trips import DAY_S

NIGHT_START_H = 22
NIGHT_END_H = 6
SCENE_RADIUS_KM = 5.0
PAD_S = 2 * 3600.0


class Truth:
    """Running tallies over the written reads."""

    def __init__(self, plate_id: np.ndarray, cams: CameraSet, camera_lonlat: tuple[np.ndarray, np.ndarray],
                 plan: Plan, scene_lonlat: np.ndarray, loiterers: list[Loiterer] | None = None) -> None:
        self.plate_id = plate_id
        n = int(plate_id.max()) + 1 if len(plate_id) else 0
        self.total = np.zeros(n, dtype=np.int64)
        self.night = np.zeros(n, dtype=np.int64)
        self.first_day = np.full(n, -1, dtype=np.int64)
        self.cams = cams
        self.cam_lon, self.cam_lat = camera_lonlat
        self.scene_lonlat = scene_lonlat
        self.offences = plan.offences
        self.offenders = np.array(sorted({o.vehicle for o in plan.offences}), dtype=np.int64)
        self.near_reads = np.zeros(len(plan.offences), dtype=np.int64)
        self.near_misreads = np.zeros(len(plan.offences), dtype=np.int64)
        self.reads = 0
        self.misreads = 0
        self.loiterers = loiterers or []
        self.loiterer_vehicles = np.array([lo.vehicle for lo in self.loiterers], dtype=np.int64)
        self.loiterer_days: list[set[int]] = [set() for _ in self.loiterers]

    def add(self, batch: ReadBatch) -> None:
        """Tally reads of one written batch (one calendar day, or the tail after the period)."""
        if len(batch) == 0:
            return
        pid = self.plate_id[batch.vehicle]
        hour = (batch.t % DAY_S) // 3600
        night = (hour >= NIGHT_START_H) | (hour < NIGHT_END_H)
        counts = np.bincount(pid, minlength=len(self.total))
        day = int(batch.t[0] // DAY_S)
        self.first_day[(counts > 0) & (self.first_day < 0)] = day
        self.total += counts
        self.night += np.bincount(pid[night], minlength=len(self.total))
        self.reads += len(batch)
        self.misreads += int((batch.misread_row >= 0).sum())
        mine = np.flatnonzero(np.isin(batch.vehicle, self.offenders))
        for o in self.offences:
            rows = mine[batch.vehicle[mine] == o.vehicle]
            t = batch.t[rows]
            rows = rows[(t >= o.start - PAD_S) & (t <= o.end + PAD_S)]
            cam = batch.camera[rows]
            lon, lat = self.scene_lonlat[o.index]
            rows = rows[geodesic_km(self.cam_lon[cam], self.cam_lat[cam], lon, lat) <= SCENE_RADIUS_KM]
            self.near_reads[o.index] += len(rows)
            self.near_misreads[o.index] += int((batch.misread_row[rows] >= 0).sum())
        mine = np.flatnonzero(np.isin(batch.vehicle, self.loiterer_vehicles))
        for k, lo in enumerate(self.loiterers):
            rows = mine[(batch.vehicle[mine] == lo.vehicle) & np.isin(batch.camera[mine], lo.cameras)]
            self.loiterer_days[k].update((batch.t[rows] // DAY_S).astype(np.int64).tolist())

    def night_active(self, min_reads: int = 8, min_share: float = 0.6) -> np.ndarray:
        """Plate ids whose reads are mostly at night."""
        share = np.divide(self.night, self.total, out=np.zeros(len(self.total)), where=self.total > 0)
        return np.flatnonzero((self.total >= min_reads) & (share >= min_share))
