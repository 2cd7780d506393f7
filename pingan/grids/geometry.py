"""Grid polygons from the store as shapely geometries, and placing points in them fast.

Grids are stored as WKB in WGS 84 (see :mod:`pingan.store.schema`). A :class:`GridSet` holds one level
(police or governance) with an STRtree over its polygons; :meth:`GridSet.locate` places a million points
in about half a second (``bench/grids_locate.py``): one bounding-box query of the tree for all points at
once, then one vectorised exact test of the candidate (point, polygon) pairs. A point on the border of two
grids goes to the one whose id sorts first, so the answer never depends on input order.

Areas are computed in a Lambert azimuthal equal-area projection centred on the grids themselves, which
keeps area errors far below a percent over a county or a city.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer

from pingan.errors import BadInput, NotFound
from pingan.store.db import Store

Level = Literal["police", "governance"]
LEVELS: tuple[str, ...] = ("police", "governance")

#: Points are placed in chunks of this many, which bounds memory for very large inputs.
CHUNK = 1_000_000


def check_level(level: str) -> Level:
    """``level`` as a :data:`Level`, or BadInput naming the allowed values."""
    if level not in LEVELS:
        raise BadInput(f"The grid level '{level}' is not known; use one of {list(LEVELS)}.")
    return level  # type: ignore[return-value]


def equal_area_transformer(lon: float, lat: float) -> Transformer:
    """WGS 84 → a Lambert azimuthal equal-area projection in metres centred on (lon, lat)."""
    return Transformer.from_crs(
        "EPSG:4326", f"+proj=laea +lat_0={lat:.6f} +lon_0={lon:.6f} +datum=WGS84 +units=m", always_xy=True
    )


def to_equal_area(geoms: npt.NDArray[Any], centre: tuple[float, float]) -> npt.NDArray[Any]:
    """The geometries projected to metres (equal-area) around ``centre``."""
    transformer = equal_area_transformer(*centre)

    def project(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, project)


@dataclass(frozen=True)
class Grid:
    """One grid as stored."""

    grid_id: str
    level: str
    name: str | None
    parent_id: str | None
    officer_id: str | None
    population: int | None
    properties: dict[str, Any]
    geometry: shapely.Geometry


@dataclass(eq=False)
class GridSet:
    """All grids of one level, ordered by id, with a spatial index over their polygons."""

    level: str
    ids: npt.NDArray[np.object_]
    geoms: npt.NDArray[np.object_]
    names: list[str | None] = field(default_factory=list)
    parents: list[str | None] = field(default_factory=list)
    officers: list[str | None] = field(default_factory=list)
    population: list[int | None] = field(default_factory=list)
    properties: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Invalid rings (a self-touching polygon drawn by hand) would make GEOS raise mid-query.
        bad = ~shapely.is_valid(self.geoms)
        if bad.any():
            self.geoms = self.geoms.copy()
            self.geoms[bad] = shapely.make_valid(self.geoms[bad])
        shapely.prepare(self.geoms)

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def tree(self) -> shapely.STRtree:
        return shapely.STRtree(self.geoms)

    @cached_property
    def position(self) -> dict[str, int]:
        """Grid id → its index in this set."""
        return {gid: i for i, gid in enumerate(self.ids)}

    @cached_property
    def centre(self) -> tuple[float, float]:
        """The middle of the grids' extent (lon, lat): the centre of their equal-area projection."""
        if not len(self):
            return (0.0, 0.0)
        x0, y0, x1, y1 = shapely.total_bounds(self.geoms)
        return ((x0 + x1) / 2, (y0 + y1) / 2)

    @cached_property
    def areas_km2(self) -> npt.NDArray[np.float64]:
        """Each grid's area in km²."""
        if not len(self):
            return np.zeros(0)
        return shapely.area(to_equal_area(self.geoms, self.centre)) / 1e6

    def grid(self, grid_id: str) -> Grid:
        """One grid by id, or NotFound."""
        i = self.position.get(grid_id)
        if i is None:
            raise NotFound(f"There is no {self.level} grid '{grid_id}'; list them with `pingan grids show`.")
        return Grid(self.ids[i], self.level, self.names[i], self.parents[i], self.officers[i],
                    self.population[i], self.properties[i], self.geoms[i])

    def locate_index(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """For each point, the index of the grid holding it, or -1 outside every grid."""
        x = np.asarray(lon, dtype=float).ravel()
        y = np.asarray(lat, dtype=float).ravel()
        if x.shape != y.shape:
            raise BadInput(f"Got {x.size} longitudes but {y.size} latitudes; give one of each per point.")
        out = np.full(x.size, -1, dtype=np.int64)
        if not len(self) or not x.size:
            return out
        for start in range(0, x.size, CHUNK):
            xs, ys = x[start:start + CHUNK], y[start:start + CHUNK]
            finite = np.isfinite(xs) & np.isfinite(ys)
            points = shapely.points(np.where(finite, xs, 0.0), np.where(finite, ys, 0.0))
            # Bounding boxes first (cheap, all points at once), then the exact test on candidate pairs only.
            pt, grid = self.tree.query(points)
            hit = shapely.intersects_xy(self.geoms[grid], xs[pt], ys[pt]) & finite[pt]
            # Several hits only on shared borders: keep the lowest index (grids are sorted by id).
            best = np.full(xs.size, len(self), dtype=np.int64)
            np.minimum.at(best, pt[hit], grid[hit])
            best[best == len(self)] = -1
            out[start:start + xs.size] = best
        return out

    def locate(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> list[str | None]:
        """For each point, the id of the grid holding it, or None outside every grid.

        Examples
        --------
        >>> grids.locate([118.80, 0.0], [32.05, 0.0])  # doctest: +SKIP
        ['P001', None]
        """
        idx = self.locate_index(lon, lat)
        ids = np.append(self.ids, None)  # index -1 → None
        return ids[idx].tolist()


def load_grids(store: Store, level: str = "police") -> GridSet:
    """The grids of one level from the store, sorted by id (an empty set when none are stored)."""
    level = check_level(level)
    rows = store.con.execute(
        "SELECT grid_id, name, parent_id, officer_id, population, geometry, properties "
        "FROM grids WHERE level = ? ORDER BY grid_id",
        [level],
    ).fetchall()
    geoms = shapely.from_wkb([bytes(r[5]) for r in rows]) if rows else np.empty(0, dtype=object)
    return GridSet(
        level=level,
        ids=np.array([r[0] for r in rows], dtype=object),
        geoms=np.asarray(geoms, dtype=object),
        names=[r[1] for r in rows],
        parents=[r[2] for r in rows],
        officers=[r[3] for r in rows],
        population=[r[4] for r in rows],
        properties=[_properties(r[6]) for r in rows],
    )


def _properties(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def locate(store: Store, lon: npt.ArrayLike, lat: npt.ArrayLike, level: str = "police") -> list[str | None]:
    """The grid (of ``level``) holding each point, or None; loads the grids once for all points."""
    return load_grids(store, level).locate(lon, lat)
