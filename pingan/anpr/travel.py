"""Could one vehicle have made this move? The travel rule shared by cloned plates and trajectories.

A move from camera A at time t1 to camera B at time t2 is *impossible* when the road distance
(straight-line distance times a road factor) cannot be covered at ``max_kmh`` in the time between,
even granting the cameras' clocks ``clock_slack_s`` of disagreement. Cameras closer than ``min_km``
never make an impossible move: two cameras at one junction, or the two directions of one site, read
the same pass seconds apart, and their clocks drift.

The defaults were checked against real journeys: on the Bath & North East Somerset survey (66 real
camera sites, 1.35 M real camera-to-camera journeys) no site pair's average journey comes near the
limit (the fastest is 54 km/h straight-line, 70 km/h on the road; see ``docs/tactics.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pingan.errors import BadInput
from pingan.geo import EARTH_RADIUS_KM, haversine_km


@dataclass(frozen=True)
class TravelRule:
    """When a move between two reads is too fast for one vehicle.

    Parameters
    ----------
    max_kmh : fastest believable average speed on the road between two cameras.
    road_factor : road distance over straight-line distance (1.3 is typical of city grids).
    min_km : cameras nearer than this never make an impossible move.
    clock_slack_s : seconds of camera-clock disagreement granted to every move.
    """

    max_kmh: float = 150.0
    road_factor: float = 1.3
    min_km: float = 2.0
    clock_slack_s: float = 60.0

    def __post_init__(self) -> None:
        if not self.max_kmh > 0:
            raise BadInput(f"The speed limit max_kmh must be more than 0, not {self.max_kmh}.")
        if not self.road_factor >= 1.0:
            raise BadInput(f"The road factor must be at least 1 (roads are never shorter than a straight line), "
                           f"not {self.road_factor}.")
        if self.min_km < 0 or self.clock_slack_s < 0:
            raise BadInput("min_km and clock_slack_s must not be negative.")

    def road_km(self, km: npt.ArrayLike) -> npt.NDArray[np.float64]:
        return np.asarray(km, dtype=float) * self.road_factor

    def implied_kmh(self, km: npt.ArrayLike, seconds: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Road speed needed to make the move (inf when no time passed between distinct places)."""
        km = np.asarray(km, dtype=float)
        hours = np.abs(np.asarray(seconds, dtype=float)) / 3600.0
        with np.errstate(divide="ignore", invalid="ignore"):
            kmh = np.where(hours > 0, km * self.road_factor / np.where(hours > 0, hours, 1.0),
                           np.where(km > 0, np.inf, 0.0))
        return kmh

    def impossible(self, km: npt.ArrayLike, seconds: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Is each move (straight-line km, seconds between reads) impossible for one vehicle?"""
        km = np.asarray(km, dtype=float)
        seconds = np.abs(np.asarray(seconds, dtype=float))
        needed_s = km * self.road_factor / self.max_kmh * 3600.0
        return (km >= self.min_km) & (seconds + self.clock_slack_s < needed_s)

    def sql_impossible(self, km: str, seconds: str) -> str:
        """The same test as a SQL expression over two SQL expressions (km, seconds)."""
        return (f"(({km}) >= {self.min_km!r} AND abs({seconds}) + {self.clock_slack_s!r} "
                f"< ({km}) * {self.road_factor / self.max_kmh * 3600.0!r})")

    def to_json(self) -> dict[str, float]:
        return {"max_kmh": self.max_kmh, "road_factor": self.road_factor, "min_km": self.min_km,
                "clock_slack_s": self.clock_slack_s}


def sql_haversine_km(lon1: str, lat1: str, lon2: str, lat2: str) -> str:
    """Great-circle distance in km between two SQL points (as :func:`pingan.geo.haversine_km`)."""
    return (
        f"(2 * {EARTH_RADIUS_KM!r} * asin(sqrt(least(1.0, "
        f"pow(sin(radians({lat2} - {lat1}) / 2), 2) + "
        f"cos(radians({lat1})) * cos(radians({lat2})) * pow(sin(radians({lon2} - {lon1}) / 2), 2)))))"
    )


def pairwise_km(lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """All-pairs great-circle distances (km) between points, as an n×n matrix."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])


def longest_feasible_chain(km: npt.NDArray[np.float64], seconds: npt.NDArray[np.float64],
                           rule: TravelRule) -> npt.NDArray[np.bool_]:
    """Which reads (in time order) one vehicle can have made: the longest chain of possible moves.

    ``km`` and ``seconds`` are n×n matrices between the reads. The reads left out are the fewest whose
    removal leaves a journey one vehicle could drive; they are the evidence of a second vehicle (or of
    misreads). Ties keep the earlier reads.
    """
    n = km.shape[0]
    if n == 0:
        return np.zeros(0, dtype=bool)
    ok = ~rule.impossible(km, seconds)
    best = np.ones(n, dtype=np.int64)
    back = np.full(n, -1, dtype=np.int64)
    for i in range(1, n):
        prev = np.flatnonzero(ok[:i, i])
        if prev.size:
            j = prev[np.argmax(best[prev])]
            best[i], back[i] = best[j] + 1, j
    keep = np.zeros(n, dtype=bool)
    i = int(np.argmax(best))
    while i >= 0:
        keep[i] = True
        i = int(back[i])
    return keep
