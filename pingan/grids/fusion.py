"""Fusing governance grids into police grids: each goes to the police grid that holds most of its area.

Governance grids (综治网格) are drawn by the civil administration and police grids (警格) by the police;
their borders rarely agree. Each governance grid is fused to the police grid that covers the largest part
of its area, measured in an equal-area projection, and its ``parent_id`` is set to that police grid. A
governance grid that overlaps no police grid (or only touches one along a border) is an orphan: it keeps
no parent and the report lists it, because it usually means a police grid is missing from the import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import shapely

from pingan.grids.geometry import load_grids, to_equal_area
from pingan.store.db import Store

#: Overlaps smaller than this share of the governance grid are slivers from imprecise borders.
SLIVER = 1e-6


@dataclass(frozen=True)
class Fusion:
    """Where one governance grid went, and how sure that is."""

    governance_id: str
    police_id: str | None
    share: float
    """Share of the governance grid's area inside the chosen police grid (0..1)."""
    area_km2: float
    overlaps: tuple[tuple[str, float], ...] = ()
    """Every police grid it overlaps, with the share, largest first."""
    given_parent: str | None = None
    """The parent the import gave, when it had one."""

    def to_json(self) -> dict[str, Any]:
        return {
            "governance_id": self.governance_id,
            "police_id": self.police_id,
            "share": round(self.share, 4),
            "area_km2": round(self.area_km2, 4),
            "overlaps": [{"police_id": p, "share": round(s, 4)} for p, s in self.overlaps],
            "given_parent": self.given_parent,
        }


@dataclass
class FusionReport:
    """What :func:`fuse` did."""

    fusions: list[Fusion] = field(default_factory=list)
    police_grids: int = 0
    kept_given: bool = False

    @property
    def orphans(self) -> list[str]:
        """Governance grids that overlap no police grid."""
        return [f.governance_id for f in self.fusions if f.police_id is None]

    @property
    def changed(self) -> list[Fusion]:
        """Governance grids whose imported parent differs from the one by area."""
        return [f for f in self.fusions if f.given_parent and f.police_id and f.given_parent != f.police_id]

    @property
    def split(self) -> list[Fusion]:
        """Governance grids that straddle police grids (less than 90 % inside the chosen one)."""
        return [f for f in self.fusions if f.police_id is not None and f.share < 0.9]

    def parent_of(self, governance_id: str) -> str | None:
        for f in self.fusions:
            if f.governance_id == governance_id:
                return f.police_id
        return None

    def summary(self) -> str:
        fused = len(self.fusions) - len(self.orphans)
        text = (f"Fused {fused} of {len(self.fusions)} governance grids into {self.police_grids} police grids; "
                f"{len(self.split)} straddle a border (under 90 % in one police grid)")
        if self.orphans:
            shown = ", ".join(self.orphans[:10]) + (" …" if len(self.orphans) > 10 else "")
            text += f"; {len(self.orphans)} overlap no police grid: {shown}"
        if self.changed:
            verb = "kept as imported" if self.kept_given else "replaced"
            text += f"; {len(self.changed)} imported parents disagree with the area rule ({verb})"
        return text + "."

    def to_json(self) -> dict[str, Any]:
        return {
            "governance_grids": len(self.fusions),
            "police_grids": self.police_grids,
            "fused": len(self.fusions) - len(self.orphans),
            "orphans": self.orphans,
            "straddling": len(self.split),
            "disagreements": [f.to_json() for f in self.changed],
            "kept_given": self.kept_given,
            "fusions": [f.to_json() for f in self.fusions],
        }


def compute_fusion(store: Store) -> FusionReport:
    """Which police grid holds most of each governance grid (nothing is written)."""
    police = load_grids(store, "police")
    governance = load_grids(store, "governance")
    report = FusionReport(police_grids=len(police))
    if not len(governance):
        return report
    centre = governance.centre
    gov_m = to_equal_area(governance.geoms, centre)
    gov_area = shapely.area(gov_m)
    overlaps: dict[int, list[tuple[str, float]]] = {}
    if len(police):
        pol_m = to_equal_area(police.geoms, centre)
        gi, pi = shapely.STRtree(pol_m).query(gov_m, predicate="intersects")
        shared = shapely.area(shapely.intersection(gov_m[gi], pol_m[pi]))
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(gov_area[gi] > 0, shared / gov_area[gi], 0.0)
        for g, p, s in zip(gi.tolist(), pi.tolist(), share.tolist(), strict=True):
            if s > SLIVER:
                overlaps.setdefault(g, []).append((police.ids[p], s))
    for g, gid in enumerate(governance.ids):
        # Largest share first; a tie goes to the police grid whose id sorts first.
        found = sorted(overlaps.get(g, []), key=lambda ps: (-ps[1], ps[0]))
        best, best_share = (found[0] if found else (None, 0.0))
        report.fusions.append(Fusion(
            governance_id=gid, police_id=best, share=best_share, area_km2=float(gov_area[g]) / 1e6,
            overlaps=tuple(found), given_parent=governance.parents[g],
        ))
    return report


def fuse(store: Store, *, keep_given: bool = False) -> FusionReport:
    """Set each governance grid's ``parent_id`` to the police grid holding most of its area.

    With ``keep_given``, a parent the import gave that names an existing police grid is kept (the report
    still lists where it disagrees with the area rule). Orphans get no parent.
    """
    report = compute_fusion(store)
    report.kept_given = keep_given
    police_ids = set(store.con.execute("SELECT grid_id FROM grids WHERE level = 'police'").fetchnumpy()["grid_id"])
    updates = []
    for f in report.fusions:
        parent = f.police_id
        if keep_given and f.given_parent in police_ids:
            parent = f.given_parent
        updates.append((f.governance_id, parent))
    if updates:
        table = pa.table({"grid_id": [u[0] for u in updates], "parent_id": pa.array([u[1] for u in updates],
                                                                                     type=pa.string())})
        with store.atomic() as con:
            con.register("_fusion", table)
            try:
                con.execute(
                    "UPDATE grids SET parent_id = _fusion.parent_id FROM _fusion "
                    "WHERE grids.grid_id = _fusion.grid_id AND grids.level = 'governance'"
                )
            finally:
                con.unregister("_fusion")
    return report
