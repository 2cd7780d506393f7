"""Where the ANPR checkpoints (卡口) stand, and which camera reads a car on each road edge.

A checkpoint site is a junction; it has one camera per direction of travel that reaches it (N, E, S,
W), as in the Bath survey where each location has one camera per direction. Sites are dense in the
town centre, at the market towns, every few km along county and national roads, at expressway
interchanges and at every way in or out of the county, and sparse in the villages (a few village
entrances carry a camera).

Cameras differ: each has its own share of missed passes and misreads around the configured rates,
and its own way of writing plates (its vendor's export: ``苏N·12345``, full-width, lower case …).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from pingan.sim.network import CLASS_NAMES, MAJOR_CLASSES, NodeKind, RoadNetwork

DIRECTIONS = ("N", "E", "S", "W")
_DIRECTION_CN = {"N": "北向", "E": "东向", "S": "南向", "W": "西向"}

#: How each camera vendor's export spells plates, and the share of cameras that do it.
#: The styles are rendered in :mod:`pingan.sim.platebook`.
STYLE_SHARES = (0.62, 0.14, 0.08, 0.06, 0.06, 0.04)


@dataclass
class CameraSet:
    """Checkpoint sites and their directional cameras."""

    site_node: np.ndarray
    camera_site: np.ndarray
    camera_direction: np.ndarray
    """Index into :data:`DIRECTIONS`."""
    camera_id: list[str]
    name: list[str]
    road: list[str]
    x: np.ndarray
    y: np.ndarray
    edge_camera: np.ndarray
    """For each directed road edge, the camera that reads a car arriving along it, or -1."""
    style: np.ndarray
    miss_factor: np.ndarray
    misread_factor: np.ndarray

    @property
    def n(self) -> int:
        return len(self.camera_id)


def place_cameras(rng: np.random.Generator, net: RoadNetwork) -> CameraSet:
    """Choose checkpoint sites on the network and give each the cameras its approaches need."""
    sites = _choose_sites(rng, net)
    site_of_node = np.full(net.n_nodes, -1, dtype=np.int64)
    site_of_node[sites] = np.arange(len(sites))
    bucket = ((net.heading() + 45.0) // 90.0).astype(np.int64) % 4
    edge_site = site_of_node[net.dst]
    reads = edge_site >= 0
    key = edge_site[reads] * 4 + bucket[reads]
    cam_keys = np.unique(key)
    edge_camera = np.full(len(net.src), -1, dtype=np.int64)
    edge_camera[reads] = np.searchsorted(cam_keys, key)
    camera_site = cam_keys // 4
    camera_direction = cam_keys % 4
    names, roads = _describe(net, sites, camera_site, camera_direction, edge_camera)
    n = len(cam_keys)
    camera_id = [f"K{int(s):04d}{DIRECTIONS[int(d)]}" for s, d in zip(camera_site, camera_direction, strict=True)]
    style = rng.choice(len(STYLE_SHARES), size=n, p=np.asarray(STYLE_SHARES) / sum(STYLE_SHARES))
    miss = rng.lognormal(0.0, 0.5, n)
    misread = rng.lognormal(0.0, 0.4, n)
    node = sites[camera_site]
    return CameraSet(
        site_node=sites, camera_site=camera_site, camera_direction=camera_direction, camera_id=camera_id,
        name=names, road=roads, x=net.x[node], y=net.y[node], edge_camera=edge_camera,
        style=style.astype(np.int8), miss_factor=miss / miss.mean(), misread_factor=misread / misread.mean(),
    )


def _choose_sites(rng: np.random.Generator, net: RoadNetwork) -> np.ndarray:
    major = np.array([c in MAJOR_CLASSES for c in CLASS_NAMES])[net.road_class]
    indegree = np.bincount(net.dst, minlength=net.n_nodes)
    on_major = np.zeros(net.n_nodes, dtype=bool)
    on_major[net.dst[major]] = True
    chosen: list[int] = []

    def greedy(candidates: np.ndarray, spacing_km: float, limit: int | None = None) -> None:
        taken = 0
        for node in rng.permutation(candidates):
            if limit is not None and taken >= limit:
                return
            if chosen:
                pts = np.asarray(chosen)
                if np.min(np.hypot(net.x[pts] - net.x[node], net.y[pts] - net.y[node])) < spacing_km:
                    continue
            chosen.append(int(node))
            taken += 1

    core = net.kind == NodeKind.CORE
    span = np.ptp(net.x[core]) * np.ptp(net.y[core])
    greedy(np.flatnonzero(core & on_major & (indegree >= 3)), 0.35, int(np.clip(5.0 * span, 25, 160)))
    greedy(np.flatnonzero(net.kind == NodeKind.ENTRANCE), 0.0)
    # Expressway interchanges (not the national road's many level junctions, which get a site every ~3 km).
    link = np.array([c == "link" for c in CLASS_NAMES])[net.road_class]
    express = np.array([c == "expressway" for c in CLASS_NAMES])[net.road_class]
    interchange = np.zeros(net.n_nodes, dtype=bool)
    interchange[net.dst[link]] = True
    on_expressway = np.zeros(net.n_nodes, dtype=bool)
    on_expressway[net.dst[express]] = True
    greedy(np.flatnonzero(interchange & on_expressway), 0.5)
    for place in net.town_place:
        in_town = np.flatnonzero(net.place == place)
        centre = in_town[np.argsort(np.hypot(net.x[in_town] - net.x[in_town].mean(),
                                             net.y[in_town] - net.y[in_town].mean()))]
        greedy(centre[:1], 0.0)
        greedy(centre[8:], 0.3, 1)
    rural_major = on_major & ~core & (net.kind != NodeKind.TOWN)
    greedy(np.flatnonzero(rural_major), 3.0)
    villages = np.flatnonzero(net.kind == NodeKind.VILLAGE)
    greedy(villages, 1.0, max(1, round(0.12 * len(villages))))
    return np.array(sorted(set(chosen)), dtype=np.int64)


def _describe(net: RoadNetwork, sites: np.ndarray, camera_site: np.ndarray, camera_direction: np.ndarray,
              edge_camera: np.ndarray) -> tuple[list[str], list[str]]:
    """A name (place and crossing roads, direction) and the road of each camera."""
    roads_at: dict[int, Counter[str]] = {}
    for e in np.flatnonzero(edge_camera >= 0):
        roads_at.setdefault(int(edge_camera[e]), Counter())[net.road_name[e]] += 1
    site_roads: dict[int, list[str]] = {}
    for e in range(len(net.src)):
        node = int(net.dst[e])
        site_roads.setdefault(node, [])
        if net.road_name[e] not in site_roads[node]:
            site_roads[node].append(net.road_name[e])
    names: list[str] = []
    roads: list[str] = []
    for cam, (s, d) in enumerate(zip(camera_site, camera_direction, strict=True)):
        node = int(sites[s])
        road = roads_at[cam].most_common(1)[0][0]
        crossing = [r for r in site_roads.get(node, []) if r != road][:1]
        place = net.places[net.place[node]] if net.place[node] >= 0 else ""
        where = f"{road}与{crossing[0]}交叉口" if crossing else road
        if net.kind[node] == NodeKind.ENTRANCE:
            where = f"{road}县界检查站"
        elif place and net.kind[node] != NodeKind.CORE:
            where = f"{place}{where}"
        names.append(f"{where}{_DIRECTION_CN[DIRECTIONS[int(d)]]}")
        roads.append(road)
    return names, roads
