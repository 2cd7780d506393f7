"""Police grids (警务网格) and governance grids (综治网格) tiling the county, and the officers who run them.

The county square is cut into police grids of about 5 km, and those over the town centre into
1.25 km grids (more people, more work). Each police grid is split into governance grids (2 × 2 in the
centre, 3 × 3 elsewhere) whose ``parent_id`` is the police grid. Populations follow where the
simulated vehicles live. Officers hold one or two neighbouring police grids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from pingan.sim.config import SimConfig
from pingan.sim.network import RoadNetwork
from pingan.sim.projection import LocalProjection
from pingan.sim.routes import Zones

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕丁任沈"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文斌鹏辉玲飞宇浩凯峰晨"
#: People per simulated vehicle (the simulated fleet is a sample of the county's).
PEOPLE_PER_VEHICLE = 40


@dataclass
class Grid:
    grid_id: str
    level: str
    name: str
    box: tuple[float, float, float, float]
    """x0, y0, x1, y1 in local km."""
    population: int
    parent_id: str | None = None
    officer_id: str | None = None


def make_grids(rng: np.random.Generator, config: SimConfig, zones: Zones, net: RoadNetwork,
               home_counts: np.ndarray) -> tuple[list[Grid], list[tuple[str, str, list[str]]]]:
    """Police and governance grids, and officers as (officer_id, name, grid ids)."""
    half = config.county_km / 2
    n_base = max(2, round(config.county_km / 5))
    edges = np.linspace(-half, half, n_base + 1)
    core_reach = net.core_radius_km + 1.0
    boxes: list[tuple[float, float, float, float]] = []
    small: list[bool] = []
    for j in range(n_base):  # rows from south to north, cells west to east
        for i in range(n_base):
            x0, x1, y0, y1 = edges[i], edges[i + 1], edges[j], edges[j + 1]
            if _box_distance((x0, y0, x1, y1)) < core_reach:
                sub = np.linspace(0, 1, 5)
                for b in range(4):
                    for a in range(4):
                        boxes.append((x0 + (x1 - x0) * sub[a], y0 + (y1 - y0) * sub[b],
                                      x0 + (x1 - x0) * sub[a + 1], y0 + (y1 - y0) * sub[b + 1]))
                        small.append(True)
            else:
                boxes.append((x0, y0, x1, y1))
                small.append(False)
    people = home_counts * PEOPLE_PER_VEHICLE
    grids: list[Grid] = []
    for k, (box, is_small) in enumerate(zip(boxes, small, strict=True)):
        pid = f"PG{k + 1:03d}"
        name = f"{_nearest_place(zones, net, box)}警务网格{k + 1}"
        pop = _people_in(zones, people, box) + int(rng.integers(50, 400))
        grids.append(Grid(pid, "police", name, box, pop))
        split = 2 if is_small else 3
        xs = np.linspace(box[0], box[2], split + 1)
        ys = np.linspace(box[1], box[3], split + 1)
        for b in range(split):
            for a in range(split):
                sub_box = (xs[a], ys[b], xs[a + 1], ys[b + 1])
                gid = f"GG{k + 1:03d}{b * split + a + 1:02d}"
                sub_pop = _people_in(zones, people, sub_box) + int(rng.integers(20, 150))
                grids.append(Grid(gid, "governance", f"{name}-{b * split + a + 1}", sub_box, sub_pop, parent_id=pid))
    police = [g for g in grids if g.level == "police"]
    officers: list[tuple[str, str, list[str]]] = []
    k = 0
    while k < len(police):
        take = 1 if police[k].population > 30_000 or rng.random() < 0.5 else 2
        mine = police[k : k + take]
        officer = f"O{len(officers) + 1:04d}"
        for g in mine:
            g.officer_id = officer
        officers.append((officer, _person_name(rng), [g.grid_id for g in mine]))
        k += take
    return grids, officers


def grids_geojson(grids: list[Grid], proj: LocalProjection) -> str:
    """The grids as a GeoJSON FeatureCollection of Polygons (WGS 84)."""
    features: list[dict[str, Any]] = []
    for g in grids:
        x0, y0, x1, y1 = g.box
        lon, lat = proj.to_lonlat([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0])
        props: dict[str, Any] = {"grid_id": g.grid_id, "level": g.level, "name": g.name, "population": g.population}
        if g.parent_id is not None:
            props["parent_id"] = g.parent_id
        if g.officer_id is not None:
            props["officer_id"] = g.officer_id
        features.append({"type": "Feature", "properties": props,
                         "geometry": {"type": "Polygon",
                                      "coordinates": [[[float(a), float(b)] for a, b in zip(lon, lat, strict=True)]]}})
    # One feature a line: readable, diffable, and written by the fast (C) JSON encoder.
    lines = ",\n".join(json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features)
    return f'{{"type":"FeatureCollection","features":[\n{lines}\n]}}\n'


def _box_distance(box: tuple[float, float, float, float]) -> float:
    x0, y0, x1, y1 = box
    dx = max(x0, 0.0, -x1)
    dy = max(y0, 0.0, -y1)
    return float(np.hypot(dx, dy))


def _people_in(zones: Zones, people: np.ndarray, box: tuple[float, float, float, float]) -> int:
    x0, y0, x1, y1 = box
    inside = (zones.x >= x0) & (zones.x < x1) & (zones.y >= y0) & (zones.y < y1)
    return int(people[inside].sum())


def _nearest_place(zones: Zones, net: RoadNetwork, box: tuple[float, float, float, float]) -> str:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    named = np.flatnonzero(zones.place >= 0)
    z = named[np.argmin(np.hypot(zones.x[named] - cx, zones.y[named] - cy))]
    return net.places[zones.place[z]]


def _person_name(rng: np.random.Generator) -> str:
    surname = _SURNAMES[int(rng.integers(0, len(_SURNAMES)))]
    given = "".join(_GIVEN[int(i)] for i in rng.integers(0, len(_GIVEN), int(rng.integers(1, 3))))
    return surname + given
