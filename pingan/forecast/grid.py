"""Square forecast cells: project lon/lat to a metric CRS, name each cell, give its WGS 84 bbox.

Cells are ``cell_m`` squares of the UTM zone that holds the data's centre. Rows and columns count from
the zone's own origin (northing 0, easting 0), so a cell id like ``"r19372_c2522"`` names the same square
whatever data or date produced it: forecasts for different weeks can be compared cell by cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from pyproj import CRS, Transformer

from pingan.errors import BadInput

_CELL_ID = re.compile(r"^r(-?\d+)_c(-?\d+)$")
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def utm_epsg(lon: float, lat: float) -> int:
    """Which UTM zone (as an EPSG code) holds this point."""
    zone = int(np.floor((lon + 180.0) / 6.0)) % 60 + 1
    return (32600 if lat >= 0 else 32700) + zone


@dataclass(frozen=True)
class Grid:
    """A square grid of ``cell_m`` metres in one UTM zone."""

    epsg: int
    cell_m: float = 250.0
    _fwd: Transformer = field(init=False, repr=False, compare=False)
    _inv: Transformer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.cell_m > 0:
            raise BadInput(f"The cell size was {self.cell_m} m but must be a positive number of metres.")
        crs = CRS.from_epsg(self.epsg)
        object.__setattr__(self, "_fwd", Transformer.from_crs(4326, crs, always_xy=True))
        object.__setattr__(self, "_inv", Transformer.from_crs(crs, 4326, always_xy=True))

    @classmethod
    def for_points(cls, lon: npt.ArrayLike, lat: npt.ArrayLike, cell_m: float = 250.0) -> Grid:
        """The grid for these points: the UTM zone of their median (deterministic for the same points)."""
        lon_a, lat_a = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        if lon_a.size == 0:
            raise BadInput("There are no cases to build a forecast grid from; import cases first.")
        return cls(epsg=utm_epsg(float(np.median(lon_a)), float(np.median(lat_a))), cell_m=float(cell_m))

    def project(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Easting and northing in metres of each lon/lat."""
        x, y = self._fwd.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)

    def row_col(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[IntArray, IntArray]:
        """The row and column of the cell holding each projected point."""
        row = np.floor(np.asarray(y, dtype=float) / self.cell_m).astype(np.int64)
        col = np.floor(np.asarray(x, dtype=float) / self.cell_m).astype(np.int64)
        return row, col

    def locate(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[IntArray, IntArray]:
        """The row and column of the cell holding each lon/lat."""
        return self.row_col(*self.project(lon, lat))

    def centre(self, row: npt.ArrayLike, col: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Projected centre (x, y) of each cell."""
        return ((np.asarray(col, dtype=float) + 0.5) * self.cell_m,
                (np.asarray(row, dtype=float) + 0.5) * self.cell_m)

    def bbox(self, row: npt.ArrayLike, col: npt.ArrayLike) -> FloatArray:
        """Each cell's WGS 84 box ``[min_lon, min_lat, max_lon, max_lat]`` (n × 4).

        The projected square's edges are slightly curved in lon/lat, so each edge is sampled at
        five points and the box holds all of them (a point in the cell always lies in its box).
        """
        row_a = np.atleast_1d(np.asarray(row, dtype=float))
        col_a = np.atleast_1d(np.asarray(col, dtype=float))
        steps = np.linspace(0.0, 1.0, 5)
        # the perimeter of the unit square, as (dx, dy) offsets in cell units
        ring = np.concatenate([
            np.stack([steps, np.zeros_like(steps)], 1), np.stack([steps, np.ones_like(steps)], 1),
            np.stack([np.zeros_like(steps), steps], 1), np.stack([np.ones_like(steps), steps], 1),
        ])
        x = (col_a[:, None] + ring[None, :, 0]) * self.cell_m
        y = (row_a[:, None] + ring[None, :, 1]) * self.cell_m
        lon, lat = self._inv.transform(x.ravel(), y.ravel())
        lon = np.asarray(lon).reshape(x.shape)
        lat = np.asarray(lat).reshape(x.shape)
        # a hair of padding so a point on an edge is inside after floating-point round trips
        eps = 1e-9
        return np.stack([lon.min(1) - eps, lat.min(1) - eps, lon.max(1) + eps, lat.max(1) + eps], axis=1)


def cell_id(row: int, col: int) -> str:
    """The stable name of the cell at (row, col)."""
    return f"r{int(row)}_c{int(col)}"


def parse_cell_id(text: str) -> tuple[int, int]:
    """The (row, col) a cell id names."""
    match = _CELL_ID.match(text)
    if not match:
        raise BadInput(f"The cell id '{text}' is not a forecast cell id; it looks like r19372_c2522.")
    return int(match.group(1)), int(match.group(2))


@dataclass(frozen=True)
class CellSet:
    """The study area: cells with at least one case before ``as_of``, laid on a dense raster.

    ``rows``/``cols`` are absolute grid indices; ``r``/``c`` are the same cells' positions in a raster
    of shape ``shape`` whose corner is (``row0``, ``col0``), padded so neighbourhood filters fit.
    """

    grid: Grid
    rows: IntArray
    cols: IntArray
    row0: int
    col0: int
    shape: tuple[int, int]

    PAD = 8

    @classmethod
    def from_row_col(cls, grid: Grid, rows: IntArray, cols: IntArray) -> CellSet:
        """The distinct cells among these (row, col) pairs, in row-major order."""
        if rows.size == 0:
            raise BadInput("There are no cases before the forecast time, so there is no study area.")
        pairs = np.unique(np.stack([rows, cols], 1), axis=0)
        row0 = int(pairs[:, 0].min()) - cls.PAD
        col0 = int(pairs[:, 1].min()) - cls.PAD
        shape = (int(pairs[:, 0].max()) - row0 + cls.PAD + 1, int(pairs[:, 1].max()) - col0 + cls.PAD + 1)
        return cls(grid, pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64), row0, col0, shape)

    def __len__(self) -> int:
        return int(self.rows.size)

    @property
    def r(self) -> IntArray:
        return self.rows - self.row0

    @property
    def c(self) -> IntArray:
        return self.cols - self.col0

    def flat(self) -> IntArray:
        """Each study cell's index into the flattened raster."""
        return self.r * self.shape[1] + self.c

    def index_of(self, rows: IntArray, cols: IntArray) -> IntArray:
        """Position of each (row, col) in this cell set, or -1 when outside the study area."""
        lookup = np.full(self.shape[0] * self.shape[1], -1, dtype=np.int64)
        lookup[self.flat()] = np.arange(len(self))
        rr, cc = rows - self.row0, cols - self.col0
        inside = (rr >= 0) & (rr < self.shape[0]) & (cc >= 0) & (cc < self.shape[1])
        out = np.full(rows.shape, -1, dtype=np.int64)
        out[inside] = lookup[rr[inside] * self.shape[1] + cc[inside]]
        return out

    def ids(self) -> list[str]:
        """Each study cell's id."""
        return [cell_id(r, c) for r, c in zip(self.rows.tolist(), self.cols.tolist(), strict=True)]
