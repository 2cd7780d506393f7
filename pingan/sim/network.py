"""The county's road network: a town centre, market towns, villages, and the roads between them.

The county is a square of ``county_km`` on a side in local kilometres (x east, y north, centre 0, 0).
Its roads form a hierarchy, as in a real Chinese county (县):

* the town centre (县城): a dense street grid, or a real OSM street pattern (:mod:`pingan.sim.core`);
* market towns (镇): small street grids;
* villages (村), joined to their neighbours by slow, winding village roads (乡道);
* county roads (县道) that follow the best village-road paths between the centre and the towns;
* a national road (国道) north–south past the centre with many level junctions, and an expressway
  (高速) east–west with interchanges every ~8 km; both leave the county, as do a few provincial roads.

Travel time on an edge is its length times a winding factor over the class's speed, plus a delay for
the junctions and signals along it. The speeds were calibrated against real camera-to-camera journeys
in Bath (``bench/sim_vs_bath.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra, minimum_spanning_tree
from scipy.spatial import Delaunay, cKDTree

from pingan.sim.core import CoreStreets, synthetic_core


class RoadClass(NamedTuple):
    speed_kmh: float
    winding: float
    """Road length over straight-line length (1 for OSM streets, which carry their real length)."""
    delay_s: float
    """Signals and junctions along one edge."""
    urban: bool
    """Urban roads slow down at rush hour."""


ROAD_CLASSES: dict[str, RoadClass] = {
    "expressway": RoadClass(95.0, 1.03, 0.0, False),
    "national": RoadClass(55.0, 1.05, 10.0, False),
    "county": RoadClass(45.0, 1.12, 8.0, False),
    "link": RoadClass(32.0, 1.15, 15.0, False),
    "village": RoadClass(28.0, 1.30, 5.0, False),
    "town": RoadClass(20.0, 1.10, 14.0, True),
    "core_fast": RoadClass(36.0, 1.0, 14.0, True),
    "core_main": RoadClass(28.0, 1.0, 22.0, True),
    "core_secondary": RoadClass(25.0, 1.0, 18.0, True),
    "core_minor": RoadClass(21.0, 1.0, 14.0, True),
    "core_street": RoadClass(15.0, 1.0, 9.0, True),
}
CLASS_NAMES = list(ROAD_CLASSES)
MAJOR_CLASSES = frozenset({"expressway", "national", "county", "core_fast", "core_main", "core_secondary"})


class NodeKind:
    CORE = 0
    TOWN = 1
    VILLAGE = 2
    JUNCTION = 3
    HIGHWAY = 4
    ENTRANCE = 5


_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"
_VILLAGE_SUFFIX = ["庄", "集", "圩", "湾", "楼", "营", "店", "桥", "河", "洼", "岗", "塘", "湖", "沟", "口", "埠"]
_TOWN_WORDS = ["新河", "马厂", "仙桥", "华冲", "龙庙", "汤涧", "钱集", "胡集", "高墟", "庙头", "贤官", "悦来",
               "扎下", "桑墟", "茆圩", "陇集", "颜集", "耿圩", "万匹", "刘集"]


@dataclass
class RoadNetwork:
    """Directed road graph of the county in local km."""

    x: np.ndarray
    y: np.ndarray
    kind: np.ndarray
    place: np.ndarray
    """Index into ``places`` (village or town the node belongs to), or -1."""
    places: list[str]
    src: np.ndarray
    dst: np.ndarray
    length_km: np.ndarray
    road_class: np.ndarray
    road_name: list[str]
    core_radius_km: float
    town_xy: np.ndarray
    town_place: list[int] = field(default_factory=list)

    @property
    def n_nodes(self) -> int:
        return len(self.x)

    @property
    def seconds(self) -> np.ndarray:
        """Free-flow travel time of each edge in seconds."""
        cls = [ROAD_CLASSES[c] for c in CLASS_NAMES]
        speed = np.array([c.speed_kmh for c in cls])[self.road_class]
        winding = np.array([c.winding for c in cls])[self.road_class]
        delay = np.array([c.delay_s for c in cls])[self.road_class]
        return self.length_km * winding / speed * 3600.0 + delay

    @property
    def urban(self) -> np.ndarray:
        return np.array([ROAD_CLASSES[c].urban for c in CLASS_NAMES])[self.road_class]

    def graph(self) -> csr_matrix:
        """The network as a sparse matrix of edge seconds (for scipy.sparse.csgraph)."""
        n = self.n_nodes
        return coo_matrix((self.seconds, (self.src, self.dst)), shape=(n, n)).tocsr()

    def heading(self) -> np.ndarray:
        """Direction of travel of each edge, degrees clockwise from north."""
        dx = self.x[self.dst] - self.x[self.src]
        dy = self.y[self.dst] - self.y[self.src]
        return np.degrees(np.arctan2(dx, dy)) % 360.0


class _Builder:
    """Collects nodes and undirected/directed edges, then freezes them into a RoadNetwork."""

    def __init__(self) -> None:
        self.x: list[float] = []
        self.y: list[float] = []
        self.kind: list[int] = []
        self.place: list[int] = []
        self.places: list[str] = []
        self.edges: list[tuple[int, int, float, str, str]] = []
        self.pair_index: dict[tuple[int, int], int] = {}

    def node(self, x: float, y: float, kind: int, place: int = -1) -> int:
        self.x.append(float(x))
        self.y.append(float(y))
        self.kind.append(kind)
        self.place.append(place)
        return len(self.x) - 1

    def road(self, a: int, b: int, road_class: str, name: str, km: float | None = None) -> None:
        length = km if km is not None else float(np.hypot(self.x[a] - self.x[b], self.y[a] - self.y[b]))
        length = max(length, 0.01)
        self.pair_index[(a, b)] = len(self.edges)
        self.pair_index[(b, a)] = len(self.edges) + 1
        self.edges.append((a, b, length, road_class, name))
        self.edges.append((b, a, length, road_class, name))

    def xy(self, nodes: list[int] | np.ndarray) -> np.ndarray:
        idx = np.asarray(nodes, dtype=int)
        return np.column_stack([np.asarray(self.x)[idx], np.asarray(self.y)[idx]])


def build_network(rng: np.random.Generator, county_km: float, n_towns: int, n_villages: int,
                  core: CoreStreets | None = None) -> RoadNetwork:
    """The county road network (largest strongly connected part)."""
    half = county_km / 2
    b = _Builder()
    core = core if core is not None else synthetic_core(rng, size_km=min(5.0, county_km / 5))
    core_gates, core_radius = _add_core(b, core)
    town_xy, town_gates, town_places = _add_towns(b, rng, n_towns, half, core_radius)
    villages = _add_villages(b, rng, n_villages, half, core_radius, town_xy)
    rural = villages + core_gates + [g for gates in town_gates for g in gates]
    rural_edges = _rural_roads(b, rural, core_radius, town_xy)
    _county_roads(b, rural, rural_edges, core_gates, town_gates, town_xy)
    _highways(b, rng, half, core_radius, villages, core_gates)
    return _freeze(b, core_radius, town_xy, town_places)


# --- pieces of the county ---------------------------------------------------------------------------


def _add_core(b: _Builder, core: CoreStreets) -> tuple[list[int], float]:
    """Place the town centre's streets; returns the junctions where county roads meet it, and its radius."""
    place = len(b.places)
    b.places.append("城区")
    nodes = [b.node(x, y, NodeKind.CORE, place) for x, y in zip(core.x, core.y, strict=True)]
    for s, d, km, c, name in zip(core.src, core.dst, core.length_km, core.road_class, core.road_name, strict=True):
        b.edges.append((nodes[int(s)], nodes[int(d)], float(km), c, name or "城区道路"))
    radius = float(np.max(np.hypot(core.x, core.y)))
    major = sorted({int(s) for s, c in zip(core.src, core.road_class, strict=True)
                    if c in ("core_fast", "core_main", "core_secondary")})
    candidates = np.array(major if len(major) >= 12 else range(core.n_nodes))
    gates: list[int] = []
    for angle in np.linspace(0, 2 * np.pi, 12, endpoint=False):
        score = core.x[candidates] * np.cos(angle) + core.y[candidates] * np.sin(angle)
        gate = nodes[int(candidates[np.argmax(score)])]
        if gate not in gates:
            gates.append(gate)
    return gates, radius


def _add_towns(b: _Builder, rng: np.random.Generator, n_towns: int, half: float,
               core_radius: float) -> tuple[np.ndarray, list[list[int]], list[int]]:
    names = list(rng.permutation(_TOWN_WORDS))
    angles = np.linspace(0, 2 * np.pi, n_towns, endpoint=False) + rng.uniform(0, 2 * np.pi)
    angles += rng.normal(0, 0.15, n_towns)
    radius = rng.uniform(0.55, 0.8, n_towns) * half
    radius = np.maximum(radius, core_radius + 4.0)
    xy = np.column_stack([radius * np.cos(angles), radius * np.sin(angles)])
    xy = np.clip(xy, -half + 2.0, half - 2.0)
    gates: list[list[int]] = []
    places: list[int] = []
    size, spacing = 5, 0.22
    for t, (cx, cy) in enumerate(xy):
        place = len(b.places)
        b.places.append(f"{names[t % len(names)]}镇")
        places.append(place)
        grid = [[b.node(cx + (i - 2) * spacing + rng.normal(0, 0.02), cy + (j - 2) * spacing + rng.normal(0, 0.02),
                        NodeKind.TOWN, place) for j in range(size)] for i in range(size)]
        street = b.places[place].removesuffix("镇")
        for i in range(size):
            for j in range(size):
                if i + 1 < size:
                    b.road(grid[i][j], grid[i + 1][j], "town", f"{street}大街" if j == 2 else f"{street}{j + 1}巷")
                if j + 1 < size:
                    b.road(grid[i][j], grid[i][j + 1], "town", f"{street}路" if i == 2 else f"{street}{i + 1}弄")
        gates.append([grid[0][2], grid[4][2], grid[2][0], grid[2][4]])
    return xy, gates, places


def _add_villages(b: _Builder, rng: np.random.Generator, n_villages: int, half: float, core_radius: float,
                  town_xy: np.ndarray) -> list[int]:
    chosen: list[tuple[float, float]] = []
    min_gap = min(1.6, 0.75 * np.sqrt((2 * half) ** 2 / max(n_villages, 1)))
    tries = 0
    while len(chosen) < n_villages and tries < n_villages * 200:
        tries += 1
        x, y = rng.uniform(-half + 0.5, half - 0.5, 2)
        if np.hypot(x, y) < core_radius + 1.2:
            continue
        if len(town_xy) and np.min(np.hypot(town_xy[:, 0] - x, town_xy[:, 1] - y)) < 1.3:
            continue
        if chosen and np.min(np.hypot(*(np.asarray(chosen) - (x, y)).T)) < min_gap:
            continue
        chosen.append((x, y))
    used: set[str] = set()
    nodes = []
    for x, y in chosen:
        name = _village_name(rng, used)
        place = len(b.places)
        b.places.append(name)
        nodes.append(b.node(x, y, NodeKind.VILLAGE, place))
    return nodes


def _village_name(rng: np.random.Generator, used: set[str]) -> str:
    for _ in range(100):
        name = str(rng.choice(list(_SURNAMES))) + str(rng.choice(_VILLAGE_SUFFIX))
        if rng.random() < 0.3:
            name = ("大" if rng.random() < 0.5 else "小") + name
        name += "村"
        if name not in used:
            used.add(name)
            return name
    name = f"新{len(used)}村"
    used.add(name)
    return name


def _rural_roads(b: _Builder, rural: list[int], core_radius: float,
                 town_xy: np.ndarray) -> list[tuple[int, int]]:
    """Village roads: a Delaunay mesh between villages and the gates of the centre and towns."""
    xy = b.xy(rural)
    tri = Delaunay(xy)
    pairs = set()
    for simplex in tri.simplices:
        for i in range(3):
            a, c = sorted((int(simplex[i]), int(simplex[(i + 1) % 3])))
            pairs.add((a, c))
    pairs_list = sorted(pairs)
    length = np.array([np.hypot(*(xy[a] - xy[c])) for a, c in pairs_list])
    n = len(rural)
    mst = minimum_spanning_tree(coo_matrix((length, ([p[0] for p in pairs_list], [p[1] for p in pairs_list])),
                                           shape=(n, n))).tocoo()
    in_mst = {tuple(sorted((int(r), int(c)))) for r, c in zip(mst.row, mst.col, strict=True)}
    kinds = np.asarray(b.kind)[rural]
    places = np.asarray(b.place)[rural]
    kept: list[tuple[int, int]] = []
    for (a, c), km in zip(pairs_list, length, strict=True):
        same_place = kinds[a] != NodeKind.VILLAGE and places[a] == places[c]
        crosses_core = _segment_distance(xy[a], xy[c], np.zeros(2)) < core_radius * 0.85
        crosses_town = any(_segment_distance(xy[a], xy[c], t) < 0.35 for t in town_xy) and not (
            kinds[a] == NodeKind.TOWN or kinds[c] == NodeKind.TOWN)
        if same_place or crosses_core or crosses_town:
            continue
        if km > 6.0 and (a, c) not in in_mst:
            continue
        kept.append((rural[a], rural[c]))
    for a, c in kept:
        b.road(a, c, "village", "")
    return kept


def _county_roads(b: _Builder, rural: list[int], rural_edges: list[tuple[int, int]], core_gates: list[int],
                  town_gates: list[list[int]], town_xy: np.ndarray) -> None:
    """County roads: the shortest village-road paths from the centre to each town and between towns."""
    index = {node: i for i, node in enumerate(rural)}
    n = len(rural)
    rows = [index[a] for a, c in rural_edges]
    cols = [index[c] for a, c in rural_edges]
    km = [float(np.hypot(b.x[a] - b.x[c], b.y[a] - b.y[c])) for a, c in rural_edges]
    graph = coo_matrix((km + km, (rows + cols, cols + rows)), shape=(n, n)).tocsr()
    targets: list[tuple[int, int]] = []
    gate_xy = b.xy(core_gates)
    for gates in town_gates:
        txy = b.xy(gates)
        pair = min(((g, c) for g in range(len(gates)) for c in range(len(core_gates))),
                   key=lambda gc: float(np.hypot(*(txy[gc[0]] - gate_xy[gc[1]]))))
        targets.append((gates[pair[0]], core_gates[pair[1]]))
    if len(town_xy) >= 3:
        ring = Delaunay(town_xy)
        links = {tuple(sorted((int(s[i]), int(s[(i + 1) % 3])))) for s in ring.simplices for i in range(3)}
    else:
        links = {(0, 1)} if len(town_xy) == 2 else set()
    for t1, t2 in sorted(links):
        g1 = town_gates[t1][0]
        g2 = town_gates[t2][0]
        targets.append((g1, g2))
    upgraded: set[tuple[int, int]] = set()
    for number, (a, c) in enumerate(targets):
        _, pred = dijkstra(graph, indices=index[a], return_predecessors=True)
        node = index[c]
        name = f"X{201 + number:03d}县道"
        while pred[node] >= 0:
            p = int(pred[node])
            key = tuple(sorted((rural[p], rural[node])))
            if key not in upgraded:
                upgraded.add(key)
                _upgrade(b, key, "county", name)
            node = p


def _upgrade(b: _Builder, pair: tuple[int, int], road_class: str, name: str) -> None:
    for key in (pair, pair[::-1]):
        i = b.pair_index[key]
        s, d, km, c, _ = b.edges[i]
        if c == "village":
            b.edges[i] = (s, d, km, road_class, name)


def _highways(b: _Builder, rng: np.random.Generator, half: float, core_radius: float, villages: list[int],
              core_gates: list[int]) -> None:
    """A national road north–south, an expressway east–west, and provincial roads to the border."""
    anchor_nodes = villages + core_gates
    anchors = b.xy(anchor_nodes)
    tree = cKDTree(anchors)

    # National road: passes east of the centre with a level junction wherever a village is near.
    x_line = core_radius + 1.2
    ys = np.arange(-half, half + 1e-9, 1.5)
    national = []
    for k, y in enumerate(ys):
        kind = NodeKind.ENTRANCE if k in (0, len(ys) - 1) else NodeKind.HIGHWAY
        national.append(b.node(x_line + rng.normal(0, 0.15) * (0 < k < len(ys) - 1), y, kind))
    for p, q in zip(national, national[1:], strict=False):
        b.road(p, q, "national", "G205国道")
    for node in national[1:-1]:
        dist, nearest = tree.query([b.x[node], b.y[node]])
        if dist < 2.5:
            b.road(node, anchor_nodes[int(nearest)], "county" if dist > 0.8 else "link", "G205连接线")
    east_gate = max(core_gates, key=lambda g: b.x[g])
    nearest_nat = min(national, key=lambda n: np.hypot(b.x[n] - b.x[east_gate], b.y[n] - b.y[east_gate]))
    b.road(nearest_nat, east_gate, "link", "G205连接线")

    # Expressway: south of the centre, interchanges every ~8 km and one with the national road.
    y_line = -(core_radius + 4.0)
    xs = np.arange(-half, half + 1e-9, 2.0)
    express = []
    for k, x in enumerate(xs):
        kind = NodeKind.ENTRANCE if k in (0, len(xs) - 1) else NodeKind.HIGHWAY
        express.append(b.node(x, y_line, kind))
    for p, q in zip(express, express[1:], strict=False):
        b.road(p, q, "expressway", "G25长深高速")
    for k, node in enumerate(express[1:-1], start=1):
        if k % 4 == 2:
            _, nearest = tree.query([b.x[node], b.y[node]])
            b.road(node, anchor_nodes[int(nearest)], "link", "G25互通")
    cross = min(express, key=lambda n: abs(b.x[n] - x_line))
    nat_cross = min(national, key=lambda n: abs(b.y[n] - y_line))
    b.road(cross, nat_cross, "link", "G25/G205枢纽")

    # Provincial roads: three more ways in and out of the county.
    for number, (x, y) in enumerate(((-half, half * 0.45), (half * 0.5, half), (half, -half * 0.55))):
        entrance = b.node(x, y, NodeKind.ENTRANCE)
        _, nearest = tree.query([x * 0.9, y * 0.9])
        b.road(entrance, anchor_nodes[int(nearest)], "county", f"S{245 + 20 * number}省道")


def _freeze(b: _Builder, core_radius: float, town_xy: np.ndarray, town_places: list[int]) -> RoadNetwork:
    x = np.asarray(b.x)
    y = np.asarray(b.y)
    src = np.array([e[0] for e in b.edges], dtype=np.int64)
    dst = np.array([e[1] for e in b.edges], dtype=np.int64)
    n = len(x)
    graph = coo_matrix((np.ones(len(src)), (src, dst)), shape=(n, n)).tocsr()
    _, label = connected_components(graph, directed=True, connection="strong")
    keep_label = np.bincount(label).argmax()
    keep = label == keep_label
    new_index = np.full(n, -1, dtype=np.int64)
    new_index[keep] = np.arange(int(keep.sum()))
    edge_keep = keep[src] & keep[dst]
    # Parallel edges: keep the first (the builder never makes two of one class between a pair).
    order = np.flatnonzero(edge_keep)
    seen: set[tuple[int, int]] = set()
    chosen = []
    for e in order:
        key = (int(src[e]), int(dst[e]))
        if key in seen:
            continue
        seen.add(key)
        chosen.append(int(e))
    idx = np.array(chosen, dtype=np.int64)
    classes = np.array([CLASS_NAMES.index(b.edges[e][3]) for e in idx], dtype=np.int8)
    names = [b.edges[e][4] or _village_road_name(e) for e in idx]
    return RoadNetwork(
        x=x[keep], y=y[keep], kind=np.asarray(b.kind, dtype=np.int8)[keep],
        place=np.asarray(b.place, dtype=np.int32)[keep], places=b.places,
        src=new_index[src[idx]].astype(np.int32), dst=new_index[dst[idx]].astype(np.int32),
        length_km=np.array([b.edges[e][2] for e in idx]), road_class=classes, road_name=names,
        core_radius_km=core_radius, town_xy=town_xy, town_place=town_places,
    )


def _village_road_name(edge: int) -> str:
    return f"Y{(edge // 2) % 900 + 100:03d}乡道"


def _segment_distance(a: np.ndarray, c: np.ndarray, p: np.ndarray) -> float:
    ab = c - a
    t = float(np.clip(np.dot(p - a, ab) / max(float(np.dot(ab, ab)), 1e-12), 0.0, 1.0))
    return float(np.hypot(*(a + t * ab - p)))
