"""Synthetic grid maps for demos and benchmarks: Voronoi tessellations of a county.

Police grids and governance grids are drawn independently (different seeds and sizes), so their borders
disagree the way real ones do and fusion has real work to do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import shapely

from pingan.store.db import Store


@dataclass(frozen=True)
class SynthGrid:
    grid_id: str
    level: str
    geometry: shapely.Geometry
    population: int
    properties: dict[str, Any]


def tessellate(bounds: tuple[float, float, float, float], n: int, *, seed: int = 0,
               centre_weight: float = 0.6) -> list[shapely.Polygon]:
    """``n`` polygons covering ``bounds`` (lon/lat), smaller towards the middle like a town's grids.

    ``centre_weight`` is the share of seed points drawn around the centre (dense town) rather than
    uniformly (villages).
    """
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = bounds
    n_centre = int(n * centre_weight)
    centre = rng.normal([(x0 + x1) / 2, (y0 + y1) / 2], [(x1 - x0) / 10, (y1 - y0) / 10], (n_centre, 2))
    spread = rng.uniform([x0, y0], [x1, y1], (n - n_centre, 2))
    pts = np.vstack([centre, spread])
    pts[:, 0] = np.clip(pts[:, 0], x0 + 1e-6, x1 - 1e-6)
    pts[:, 1] = np.clip(pts[:, 1], y0 + 1e-6, y1 - 1e-6)
    frame = shapely.box(*bounds)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=frame))
    cells = shapely.intersection(cells, frame)
    # Voronoi returns cells in no particular order; sort west→east, south→north for stable ids.
    centres = shapely.centroid(cells)
    order = np.lexsort((shapely.get_x(centres), shapely.get_y(centres)))
    return [c for c in cells[order] if not c.is_empty]


def county_grids(bounds: tuple[float, float, float, float], *, police: int = 1065, governance: int = 5160,
                 seed: int = 0) -> list[SynthGrid]:
    """A county's police and governance grids with made-up residents and venues."""
    rng = np.random.default_rng(seed + 1)
    out: list[SynthGrid] = []
    for level, n, prefix, s in (("police", police, "P", seed), ("governance", governance, "G", seed + 7)):
        for i, geom in enumerate(tessellate(bounds, n, seed=s)):
            people = int(rng.lognormal(7.5 if level == "governance" else 9.0, 0.6))
            props = {"venues": int(rng.poisson(2))} if level == "police" else {}
            out.append(SynthGrid(f"{prefix}{i + 1:04d}", level, geom, people, props))
    return out


def write_grids(store: Store, grids: list[SynthGrid]) -> int:
    """Append grids straight to the store's ``grids`` table (demo and benchmark stores only; real grids
    come through ``pingan import grids``)."""
    bounds = shapely.bounds(np.array([g.geometry for g in grids], dtype=object))
    table = pa.table({
        "grid_id": [g.grid_id for g in grids],
        "level": [g.level for g in grids],
        "population": pa.array([g.population for g in grids], pa.int64()),
        "geometry": pa.array([shapely.to_wkb(g.geometry) for g in grids], pa.binary()),
        "min_lon": bounds[:, 0], "min_lat": bounds[:, 1], "max_lon": bounds[:, 2], "max_lat": bounds[:, 3],
        "properties": [json.dumps(g.properties) if g.properties else None for g in grids],
    })
    with store.atomic() as con:
        con.register("_synth_grids", table)
        try:
            con.execute("INSERT INTO grids (grid_id, level, population, geometry, min_lon, min_lat, max_lon, "
                        "max_lat, properties) SELECT grid_id, level, population, geometry, min_lon, min_lat, "
                        "max_lon, max_lat, properties::JSON FROM _synth_grids")
        finally:
            con.unregister("_synth_grids")
    return len(grids)
