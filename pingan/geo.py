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
