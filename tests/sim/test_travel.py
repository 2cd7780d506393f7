"""Simulated vehicles drive like cars: no trip starts before the last one ended, nobody teleports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pingan.sim import SimConfig, simulate
from pingan.sim.readgen import ReadBatch
from pingan.sim.truth import Truth

#: A week (weekends interleave more tours) in a county small enough to simulate in about a second.
SMALL = SimConfig(vehicles=5_000, days=7, county_km=20, seed=3, offences=6, serial_offenders=1, clones=2,
                  companions=2)
MAX_KMH = 150.0


def test_no_vehicle_but_a_clone_moves_faster_than_a_car_can(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Consecutive reads of one vehicle more than a minute apart never imply over 150 km/h in a straight line.

    The vehicle is the one truly passing (misread plates do not matter); cloned plates' second cars are left
    out (they keep their victim's hours, which is the point). Tours that interleaved — a car leaving home on
    its evening outing while still at the shop of its commute — used to make 12–27 km jumps in 3–6 minutes.
    """
    written: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    truths: list[Truth] = []
    add = Truth.add

    def record(self: Truth, batch: ReadBatch) -> None:
        written.append((batch.vehicle.copy(), batch.camera.copy(), batch.t.copy()))
        truths.append(self)
        add(self, batch)

    monkeypatch.setattr(Truth, "add", record)
    simulate(tmp_path, SMALL)
    truth = truths[0]
    vehicle, camera, t = (np.concatenate(parts) for parts in zip(*written, strict=True))
    order = np.lexsort((t, vehicle))
    vehicle, camera, t = vehicle[order], camera[order], t[order]
    own_plate = truth.plate_id[vehicle[1:]] == vehicle[1:]  # a clone's second car carries another's plate
    consecutive = (vehicle[1:] == vehicle[:-1]) & own_plate & (np.diff(t) > 60.0)
    km = np.hypot(np.diff(truth.cams.x[camera]), np.diff(truth.cams.y[camera]))
    kmh = km / np.maximum(np.diff(t), 1e-9) * 3600.0
    assert consecutive.sum() > 100_000
    fast = np.flatnonzero(consecutive & (kmh > MAX_KMH))
    assert len(fast) == 0, [(int(vehicle[i]), round(float(km[i]), 1), round(float(np.diff(t)[i]) / 60, 1))
                            for i in fast[:5]]
