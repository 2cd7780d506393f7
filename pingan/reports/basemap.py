"""The county's own base layers (roads, police grids, cameras) for maps drawn without any online tiles.

Roads come from, in order: a ``roads`` table in the store (``geometry`` as WKB, ``name``, ``road_class``),
a ``roads.geojson`` file beside the store or in its ``county/`` folder (what the simulator writes), or,
when neither exists, straight links between consecutive cameras on the same named road.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from shapely import wkb
from shapely.geometry import mapping

from pingan.store.db import Store

ROAD_FILES = ("roads.geojson", "county/roads.geojson")


def _has_table(store: Store, name: str) -> bool:
    row = store.con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()
    return bool(row and row[0])


def roads_file(store: Store) -> Path | None:
    """The roads GeoJSON file that belongs to this store, if there is one."""
    folder = Path(store.path).parent
    for name in ROAD_FILES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def roads(store: Store) -> dict[str, Any]:
    """The county's roads as a GeoJSON FeatureCollection; ``source`` says where they came from."""
    if _has_table(store, "roads"):
        columns = {r[0] for r in store.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'roads'").fetchall()}
        name = "name" if "name" in columns else "NULL"
        road_class = "road_class" if "road_class" in columns else "NULL"
        rows = store.con.execute(f"SELECT geometry, {name}, {road_class} FROM roads").fetchall()
        features = [{"type": "Feature", "geometry": mapping(wkb.loads(bytes(g))),
                     "properties": {"name": n, "road_class": c}} for g, n, c in rows if g is not None]
        return {"type": "FeatureCollection", "source": "store", "features": features}
    path = roads_file(store)
    if path is not None:
        collection = json.loads(path.read_text(encoding="utf-8"))
        collection["source"] = path.name
        return collection
    return {"type": "FeatureCollection", "source": "cameras", "features": camera_links(store)}


def camera_links(store: Store) -> list[dict[str, Any]]:
    """Cameras on the same named road joined in a chain (nearest neighbour first): a sketch of the roads."""
    rows = store.con.execute(
        "SELECT road, lon, lat FROM cameras WHERE road IS NOT NULL AND road <> '' ORDER BY road, camera_id"
    ).fetchall()
    by_road: dict[str, list[tuple[float, float]]] = {}
    for road, lon, lat in rows:
        by_road.setdefault(road, []).append((float(lon), float(lat)))
    features = []
    for road, points in by_road.items():
        if len(points) < 2:
            continue
        chain = _chain(np.array(points))
        features.append({"type": "Feature", "properties": {"name": road, "road_class": "camera_link"},
                         "geometry": {"type": "LineString", "coordinates": chain}})
    return features


def _chain(points: np.ndarray) -> list[list[float]]:
    """Order points into a path: start at one end of the longest axis, then always the nearest unvisited."""
    axis = int(np.argmax(points.max(axis=0) - points.min(axis=0)))
    current = int(np.argmin(points[:, axis]))
    left = set(range(len(points))) - {current}
    order = [current]
    while left:
        rest = np.array(sorted(left))
        d = np.hypot(*(points[rest] - points[current]).T)
        current = int(rest[int(np.argmin(d))])
        order.append(current)
        left.remove(current)
    return [[float(points[i, 0]), float(points[i, 1])] for i in order]


def grids(store: Store, level: str | None = "police") -> dict[str, Any]:
    """The grids of one level (all when None) as a GeoJSON FeatureCollection with their properties."""
    sql = "SELECT grid_id, level, name, parent_id, officer_id, population, geometry FROM grids"
    params: list[Any] = []
    if level is not None:
        sql += " WHERE level = ?"
        params.append(level)
    features = []
    for grid_id, lvl, name, parent, officer, population, geometry in store.con.execute(
            sql + " ORDER BY grid_id", params).fetchall():
        features.append({
            "type": "Feature", "id": grid_id, "geometry": mapping(wkb.loads(bytes(geometry))),
            "properties": {"grid_id": grid_id, "level": lvl, "name": name, "parent_id": parent,
                           "officer_id": officer, "population": population},
        })
    return {"type": "FeatureCollection", "features": features}


def bounds(store: Store) -> tuple[float, float, float, float] | None:
    """(min_lon, min_lat, max_lon, max_lat) of the cameras and grids: the county's extent."""
    row = store.con.execute(
        "SELECT min(x0), min(y0), max(x1), max(y1) FROM ("
        " SELECT min(lon) x0, min(lat) y0, max(lon) x1, max(lat) y1 FROM cameras"
        " UNION ALL SELECT min(min_lon), min(min_lat), max(max_lon), max(max_lat) FROM grids)"
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return float(row[0]), float(row[1]), float(row[2]), float(row[3])
