"""Zones where trips start and end, and the cameras a car passes between any two of them.

Trips run between a limited set of zone nodes (street corners in the centre and towns, every village,
every way in or out of the county). For every ordered pair of zones the fastest path is computed once
(scipy's Dijkstra from each zone), and stored as the sequence of cameras along it with the free-flow
seconds from departure to each camera. Generating a day of traffic is then array lookups.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import dijkstra

from pingan.sim.cameras import CameraSet
from pingan.sim.network import NodeKind, RoadNetwork

#: Shares of the county's homes, jobs and shops in the centre, the towns and the villages.
_SHARES = {
    "home": {NodeKind.CORE: 0.45, NodeKind.TOWN: 0.25, NodeKind.VILLAGE: 0.30},
    "job": {NodeKind.CORE: 0.55, NodeKind.TOWN: 0.35, NodeKind.VILLAGE: 0.10},
    "shop": {NodeKind.CORE: 0.62, NodeKind.TOWN: 0.32, NodeKind.VILLAGE: 0.06},
}


@dataclass
class Zones:
    """Trip ends: a node each, with how many homes, jobs and shops it has."""

    node: np.ndarray
    kind: np.ndarray
    x: np.ndarray
    y: np.ndarray
    place: np.ndarray
    home: np.ndarray
    job: np.ndarray
    shop: np.ndarray

    @property
    def n(self) -> int:
        return len(self.node)

    def of_kind(self, *kinds: int) -> np.ndarray:
        return np.flatnonzero(np.isin(self.kind, kinds))


@dataclass
class RouteTable:
    """Cameras along the fastest path between every ordered pair of zones (CSR by pair)."""

    n_zones: int
    ptr: np.ndarray
    camera: np.ndarray
    offset_s: np.ndarray
    """Free-flow seconds from departure to passing the camera."""
    seconds: np.ndarray
    """Free-flow seconds of the whole trip, zones × zones."""
    urban_share: np.ndarray
    """Share of the trip's time on urban roads (slowed at rush hour), zones × zones."""

    def pair(self, origin: np.ndarray, dest: np.ndarray) -> np.ndarray:
        return origin.astype(np.int64) * self.n_zones + dest

    def cameras(self, origin: int, dest: int) -> tuple[np.ndarray, np.ndarray]:
        """Cameras and offsets of one route (for planting and tests)."""
        p = origin * self.n_zones + dest
        lo, hi = self.ptr[p], self.ptr[p + 1]
        return self.camera[lo:hi], self.offset_s[lo:hi]


def choose_zones(rng: np.random.Generator, net: RoadNetwork) -> Zones:
    """Zone nodes: about 250 in the centre, 8 per town, every village, every county entrance."""
    core = np.flatnonzero(net.kind == NodeKind.CORE)
    core_zones = rng.choice(core, size=min(len(core), 250), replace=False)
    town_zones = []
    for place in net.town_place:
        nodes = np.flatnonzero(net.place == place)
        town_zones.append(rng.choice(nodes, size=min(len(nodes), 8), replace=False))
    nodes = np.concatenate([np.sort(core_zones), *[np.sort(t) for t in town_zones],
                            np.flatnonzero(net.kind == NodeKind.VILLAGE),
                            np.flatnonzero(net.kind == NodeKind.ENTRANCE)])
    kind = net.kind[nodes].astype(np.int8)
    weights = {}
    for what, shares in _SHARES.items():
        w = np.zeros(len(nodes))
        for k, share in shares.items():
            mask = kind == k
            if mask.any():
                raw = rng.lognormal(0.0, 0.5, int(mask.sum()))
                w[mask] = share * raw / raw.sum()
        weights[what] = w / w.sum()
    return Zones(node=nodes, kind=kind, x=net.x[nodes], y=net.y[nodes], place=net.place[nodes],
                 home=weights["home"], job=weights["job"], shop=weights["shop"])


def build_routes(net: RoadNetwork, cams: CameraSet, zones: Zones) -> RouteTable:
    """The camera sequence and timing of the fastest path between every two zones."""
    n = net.n_nodes
    seconds = net.seconds
    dist, pred = dijkstra(net.graph(), directed=True, indices=zones.node, return_predecessors=True)
    pred = pred.astype(np.int64)
    z = zones.n
    nodes = np.broadcast_to(np.arange(n), (z, n))
    rooted = pred < 0
    # The edge each node is reached by, in each zone's shortest-path tree.
    edge_key = net.src.astype(np.int64) * n + net.dst
    order = np.argsort(edge_key)
    lookup = np.where(rooted, 0, pred * n + nodes)
    edge = order[np.searchsorted(edge_key[order], lookup)]
    camera_at = np.where(rooted, -1, cams.edge_camera[edge])
    urban_s = np.where(rooted, 0.0, seconds[edge] * net.urban[edge])

    # Nearest node at or above each node (towards the zone) that has a camera: pointer jumping.
    parent = np.where(rooted, nodes, pred)
    pointer = np.where(camera_at >= 0, nodes, parent)
    while True:
        jumped = np.take_along_axis(pointer, pointer, axis=1)
        if np.array_equal(jumped, pointer):
            break
        pointer = jumped
    has_camera = np.take_along_axis(camera_at, pointer, axis=1) >= 0
    nearest_cam = np.where(has_camera, pointer, -1)
    # Urban seconds from the zone to each node: prefix sums by pointer jumping.
    acc, up = urban_s.copy(), parent.copy()
    while not np.all(np.take_along_axis(up, up, axis=1) == up):
        acc = acc + np.take_along_axis(acc, up, axis=1)
        up = np.take_along_axis(up, up, axis=1)
    acc = acc + np.take_along_axis(acc, up, axis=1)  # the last hop onto the root adds its zero

    # Walk every pair's chain of cameras back from its destination, all pairs at once.
    src_zone = np.repeat(np.arange(z), z)
    dest_node = np.tile(zones.node, z)
    cur = nearest_cam[src_zone, dest_node]
    pair_ids: list[np.ndarray] = []
    cam_nodes: list[np.ndarray] = []
    pair = np.arange(z * z)
    alive = cur >= 0
    pair, cur, src_zone_alive = pair[alive], cur[alive], src_zone[alive]
    while len(pair):
        pair_ids.append(pair)
        cam_nodes.append(cur)
        up_node = pred[src_zone_alive, cur]
        nxt = np.where(up_node >= 0, nearest_cam[src_zone_alive, np.maximum(up_node, 0)], -1)
        keep = nxt >= 0
        pair, cur, src_zone_alive = pair[keep], nxt[keep], src_zone_alive[keep]
    all_pairs = np.concatenate(pair_ids) if pair_ids else np.zeros(0, dtype=np.int64)
    all_nodes = np.concatenate(cam_nodes) if cam_nodes else np.zeros(0, dtype=np.int64)
    origin = all_pairs // z
    offsets = dist[origin, all_nodes]
    order = np.lexsort((offsets, all_pairs))
    all_pairs, all_nodes, offsets, origin = all_pairs[order], all_nodes[order], offsets[order], origin[order]
    camera = camera_at[origin, all_nodes]
    ptr = np.zeros(z * z + 1, dtype=np.int64)
    np.cumsum(np.bincount(all_pairs, minlength=z * z), out=ptr[1:])
    total = dist[:, zones.node]
    urban = acc[:, zones.node]
    share = np.divide(urban, total, out=np.zeros_like(total), where=total > 0)
    return RouteTable(n_zones=z, ptr=ptr, camera=camera.astype(np.int32), offset_s=offsets.astype(np.float32),
                      seconds=total.astype(np.float32), urban_share=share.astype(np.float32))
