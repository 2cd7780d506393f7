"""The dense town centre of the county: a real OSMnx street network, or a synthetic grid of streets.

Either way the result is a directed street graph in local kilometres centred on (0, 0), with a road
class per edge (``core_fast`` / ``core_main`` / ``core_secondary`` / ``core_minor`` / ``core_street``)
and a street name, ready to be placed in the middle of the county.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: OSM highway tags cars may drive on, and the core road class each becomes.
_OSM_CLASS = {
    "motorway": "core_fast", "motorway_link": "core_fast", "trunk": "core_fast", "trunk_link": "core_fast",
    "primary": "core_main", "primary_link": "core_main",
    "secondary": "core_secondary", "secondary_link": "core_secondary",
    "tertiary": "core_minor", "tertiary_link": "core_minor",
    "unclassified": "core_street", "residential": "core_street", "living_street": "core_street",
    "service": "core_street", "road": "core_street",
}
_CLASS_RANK = ["core_fast", "core_main", "core_secondary", "core_minor", "core_street"]

#: Street names for the synthetic grid: the names every Chinese county town has.
_MAIN_NAMES = ["人民路", "建设路", "解放路", "中山路", "新华路", "长江路", "黄河路", "发展大道", "振兴路", "幸福路"]
_STREET_NAMES = ["文化街", "光明街", "和平街", "东风街", "育才路", "工农路", "青年路", "朝阳路", "健康路", "公园路",
                 "淮海路", "胜利街", "府前街", "商贸街", "体育路", "红旗路", "友谊路", "团结路", "北京路", "上海路"]


@dataclass(frozen=True)
class CoreStreets:
    """A directed street graph in km around (0, 0)."""

    x: np.ndarray
    y: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    length_km: np.ndarray
    road_class: list[str]
    road_name: list[str]

    @property
    def n_nodes(self) -> int:
        return len(self.x)


def load_osm_core(path: Path) -> CoreStreets:
    """The drivable streets of an OSMnx GraphML file, projected to km around their centre."""
    import networkx as nx

    graph = nx.read_graphml(path)
    lon = {n: float(d["x"]) for n, d in graph.nodes(data=True)}
    lat = {n: float(d["y"]) for n, d in graph.nodes(data=True)}
    edges: list[tuple[str, str, float, str, str]] = []
    for u, v, data in graph.edges(data=True):
        road_class = _osm_class(str(data.get("highway", "")))
        if road_class is None:
            continue
        name = _first(str(data.get("name", ""))) or str(data.get("ref", "")) or ""
        edges.append((u, v, float(data.get("length", 0.0)) / 1000.0, road_class, name))
    # Keep the largest strongly connected part: a car can leave every street it can enter.
    drivable = nx.DiGraph()
    drivable.add_edges_from((u, v) for u, v, *_ in edges)
    keep = max(nx.strongly_connected_components(drivable), key=len)
    nodes = sorted(keep)
    index = {n: i for i, n in enumerate(nodes)}
    lons = np.array([lon[n] for n in nodes])
    lats = np.array([lat[n] for n in nodes])
    lon0, lat0 = (lons.min() + lons.max()) / 2, (lats.min() + lats.max()) / 2
    x = (lons - lon0) * 111.320 * np.cos(np.radians(lat0))
    y = (lats - lat0) * 110.574
    kept = sorted((index[u], index[v], km, c, name) for u, v, km, c, name in edges if u in keep and v in keep)
    # A multigraph may hold parallel edges; routing needs one, the fastest class.
    best: dict[tuple[int, int], tuple[float, str, str]] = {}
    for u, v, km, c, name in kept:
        old = best.get((u, v))
        if old is None or _CLASS_RANK.index(c) < _CLASS_RANK.index(old[1]):
            best[(u, v)] = (max(km, 0.005), c, name)
    pairs = sorted(best)
    return CoreStreets(
        x=x, y=y,
        src=np.array([u for u, _ in pairs], dtype=np.int32),
        dst=np.array([v for _, v in pairs], dtype=np.int32),
        length_km=np.array([best[p][0] for p in pairs]),
        road_class=[best[p][1] for p in pairs],
        road_name=[best[p][2] for p in pairs],
    )


def synthetic_core(rng: np.random.Generator, size_km: float) -> CoreStreets:
    """A town centre of ``size_km`` × ``size_km``: a jittered street grid with main roads every km."""
    spacing = 0.25
    n = int(round(size_km / spacing)) + 1
    half = (n - 1) * spacing / 2
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    x = (ii * spacing - half + rng.normal(0, 0.025, ii.shape)).ravel()
    y = (jj * spacing - half + rng.normal(0, 0.025, jj.shape)).ravel()
    main_every = 4
    src: list[int] = []
    dst: list[int] = []
    classes: list[str] = []
    names: list[str] = []
    main_names = list(rng.permutation(_MAIN_NAMES))
    street_names = list(rng.permutation(_STREET_NAMES))

    def add(a: int, b: int, road_class: str, name: str) -> None:
        src.extend((a, b))
        dst.extend((b, a))
        classes.extend((road_class, road_class))
        names.extend((name, name))

    for i in range(n):
        for j in range(n):
            here = i * n + j
            for di, dj, line in ((1, 0, j), (0, 1, i)):
                if i + di >= n or j + dj >= n:
                    continue
                main = line % main_every == 0
                # Minor streets are missing here and there, as in any real town.
                if not main and rng.random() < 0.12:
                    continue
                pool = main_names if main else street_names
                name = str(pool[(line // (main_every if main else 1) + (0 if di else 3)) % len(pool)])
                add(here, (i + di) * n + (j + dj), "core_main" if main else "core_street", name)
    src_a = np.array(src, dtype=np.int32)
    dst_a = np.array(dst, dtype=np.int32)
    length = np.hypot(x[src_a] - x[dst_a], y[src_a] - y[dst_a]) * 1.05
    return CoreStreets(x=x, y=y, src=src_a, dst=dst_a, length_km=length, road_class=classes, road_name=names)


def _osm_class(tag: str) -> str | None:
    tags = ast.literal_eval(tag) if tag.startswith("[") else [tag]
    found = [_OSM_CLASS[t] for t in tags if t in _OSM_CLASS]
    return min(found, key=_CLASS_RANK.index) if found else None


def _first(name: str) -> str:
    if name.startswith("["):
        names = ast.literal_eval(name)
        return str(names[0]) if names else ""
    return "" if name == "nan" else name
