"""Local kilometres ↔ WGS 84 longitude/latitude around the county centre."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

_KM_PER_DEG_LAT = 110.574
_KM_PER_DEG_LON_EQUATOR = 111.320

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LocalProjection:
    """An equirectangular projection; over a 40 km county it is within 0.1 % of the geodesic."""

    lon0: float
    lat0: float

    @property
    def _kx(self) -> float:
        return _KM_PER_DEG_LON_EQUATOR * float(np.cos(np.radians(self.lat0)))

    def to_lonlat(self, x_km: npt.ArrayLike, y_km: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Longitude and latitude (6 decimals, about 0.1 m) of points given in local km."""
        lon = self.lon0 + np.asarray(x_km, dtype=float) / self._kx
        lat = self.lat0 + np.asarray(y_km, dtype=float) / _KM_PER_DEG_LAT
        return np.round(lon, 6), np.round(lat, 6)

    def to_km(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Local km of points given in longitude and latitude."""
        x = (np.asarray(lon, dtype=float) - self.lon0) * self._kx
        y = (np.asarray(lat, dtype=float) - self.lat0) * _KM_PER_DEG_LAT
        return x, y
