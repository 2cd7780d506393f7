"""Distances and camera selection. Geometry lives in Python (architecture decision 4)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from pyproj import Geod

EARTH_RADIUS_KM = 6371.0088
_GEOD = Geod(ellps="WGS84")


def haversine_km(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Great-circle distance in km (vectorised); within 0.5 % of the geodesic."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def geodesic_km(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Geodesic distance on the WGS 84 ellipsoid in km (vectorised)."""
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (lon1, lat1, lon2, lat2))
    )
    _, _, metres = _GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(metres, dtype=float) / 1000.0


def valid_lon_lat(lon: float, lat: float) -> bool:
    return -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0


def bearing_degrees(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Initial bearing from point 1 to point 2, degrees clockwise from north (vectorised, WGS 84)."""
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (lon1, lat1, lon2, lat2))
    )
    azimuth, _, _ = _GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(azimuth, dtype=float) % 360.0


_COMPASS = {"N": 0.0, "NE": 45.0, "E": 90.0, "SE": 135.0, "S": 180.0, "SW": 225.0, "W": 270.0, "NW": 315.0}
_WORDS = {"NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W", "北": "N", "南": "S", "东": "E", "西": "W"}


def heading_degrees(direction: str | None) -> float | None:
    """A camera's direction of travel as degrees clockwise from north, or None when it cannot be told.

    Accepts compass points (``N``, ``NE``, ``northbound``, ``North East``), Chinese (``北``, ``东北``,
    ``由南向北``: the part after 向 is where traffic goes) and plain degrees (``90``).
    """
    if direction is None:
        return None
    text = str(direction).strip().upper()
    if not text:
        return None
    try:
        return float(text) % 360.0
    except ValueError:
        pass
    if "向" in text:
        before, after = text.rsplit("向", 1)
        text = after or before
    for suffix in ("BOUND", "WARDS", "WARD", "方向", "向", "行"):
        text = text.removesuffix(suffix)
    for word, letter in _WORDS.items():
        text = text.replace(word, letter)
    text = text.replace(" ", "").replace("-", "")
    if text in ("EN", "ES", "WN", "WS"):  # 东北 is read east-north: the compass calls it north-east
        text = text[::-1]
    return _COMPASS.get(text)
