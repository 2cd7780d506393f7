"""Disputes (矛盾纠纷) that grid officers mediate: where, how serious, how far along.

Disputes arise where people live, a few a day, over neighbours, land, family, wages, debts, traffic
and property management. Older disputes are more likely to be resolved (or escalated); recent ones
are still open or being mediated. Parties are pseudonymous person ids; now and then one of them is a
person on the watchlist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from pingan.sim.config import SimConfig
from pingan.sim.network import NodeKind
from pingan.sim.routes import Zones

DAY_S = 86_400.0
DISPUTE_COLUMNS = ["dispute_id", "lon", "lat", "level", "status", "opened_at", "closed_at", "category", "parties",
                   "description"]
_CATEGORIES = {"neighbour": 0.24, "land": 0.16, "family": 0.18, "labour": 0.12, "debt": 0.12, "traffic": 0.10,
               "property": 0.08}
_TEXT = {
    "neighbour": "Neighbours at odds over noise and a shared passage.",
    "land": "Boundary of a contracted field disputed between two households.",
    "family": "Family quarrel over care of an elderly parent.",
    "labour": "Workers say wages for last month were not paid.",
    "debt": "Private loan not repaid on time.",
    "traffic": "Compensation after a minor collision not agreed.",
    "property": "Residents and the property manager disagree over fees.",
}


@dataclass
class Dispute:
    dispute_id: str
    x: float
    y: float
    level: str
    status: str
    opened: float
    closed: float | None
    category: str
    parties: list[str]
    description: str


def make_disputes(rng: np.random.Generator, config: SimConfig, zones: Zones, watch_persons: list[str]) -> list[Dispute]:
    """Disputes opened from 30 days before the period to its end."""
    homes = zones.of_kind(NodeKind.CORE, NodeKind.TOWN, NodeKind.VILLAGE)
    p = zones.home[homes] / zones.home[homes].sum()
    cats = list(_CATEGORIES)
    shares = np.array(list(_CATEGORIES.values()))
    end = config.days * DAY_S
    out: list[Dispute] = []
    for day in range(-30, config.days):
        stamp = (config.start_date + timedelta(days=day)).strftime("%Y%m%d")
        for k in range(rng.poisson(config.disputes_per_day)):
            z = int(rng.choice(homes, p=p))
            category = str(rng.choice(cats, p=shares / shares.sum()))
            opened = day * DAY_S + rng.uniform(8.0, 21.0) * 3600
            done = opened + rng.exponential(5.0) * DAY_S
            if done < end:
                status = "escalated" if rng.random() < 0.12 else "resolved"
                closed: float | None = done
            else:
                status = "mediating" if rng.random() < 0.6 else "open"
                closed = None
            level = str(rng.choice(["low", "medium", "high"], p=[0.6, 0.3, 0.1]))
            parties = [f"P{int(i):06d}" for i in rng.integers(1, 1_000_000, int(rng.integers(2, 4)))]
            if watch_persons and rng.random() < 0.05:
                parties[0] = watch_persons[int(rng.integers(0, len(watch_persons)))]
            out.append(Dispute(f"D{stamp}{k + 1:03d}", float(zones.x[z] + rng.normal(0, 0.3)),
                               float(zones.y[z] + rng.normal(0, 0.3)), level, status, opened, closed, category,
                               parties, _TEXT[category]))
    return out
