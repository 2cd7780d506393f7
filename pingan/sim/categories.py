"""Offence categories: how common each is, at what hours it happens, how vague its window is, how it is described.

Planted and background cases draw their hours, windows and descriptions from the same tables, so
nothing about a case in ``cases.csv`` tells whether a vehicle was planted for it.
"""

from __future__ import annotations

import numpy as np

H = 3600.0

#: Offence categories of the county (watchlist priors and cases use the same words).
CATEGORIES = ("theft", "burglary", "cable_theft", "drugs", "fraud", "assault", "vehicle_theft")
#: Background crime by category.
BACKGROUND_SHARES = {"theft": 0.30, "burglary": 0.20, "fraud": 0.14, "vehicle_theft": 0.10, "cable_theft": 0.08,
                     "assault": 0.11, "drugs": 0.07}
#: Planted offences need a drive to the scene (no fraud), and their shares.
PLANTED_SHARES = {"burglary": 0.32, "cable_theft": 0.16, "vehicle_theft": 0.16, "theft": 0.14, "drugs": 0.12,
                  "assault": 0.10}
SERIAL_CATEGORIES = ("burglary", "cable_theft", "vehicle_theft", "theft")

#: (share at night, night hours, day hours, (hours the window may open before, close after)).
_HOURS: dict[str, tuple[float, tuple[float, float], tuple[float, float], tuple[float, float]]] = {
    "burglary": (0.5, (0.0, 5.5), (9.0, 17.0), (3.0, 4.0)),
    "theft": (0.1, (21.0, 24.0), (8.0, 21.0), (1.0, 1.0)),
    "cable_theft": (0.9, (22.0, 28.0), (10.0, 16.0), (4.0, 4.0)),
    "vehicle_theft": (0.75, (0.0, 5.0), (8.0, 20.0), (5.0, 4.0)),
    "assault": (0.6, (20.0, 26.0), (10.0, 20.0), (0.3, 0.3)),
    "drugs": (0.7, (19.0, 27.0), (12.0, 19.0), (1.0, 1.0)),
    "fraud": (0.0, (0.0, 1.0), (9.0, 18.0), (6.0, 12.0)),
}
_DESCRIPTIONS = {
    "burglary": ["Burglary at a home in {p}: door forced, cash and jewellery taken.",
                 "Break-in at a shop in {p}; till emptied.",
                 "Burglary of a farmhouse in {p} while the family was away."],
    "theft": ["Theft from a parked vehicle in {p}.", "Shoplifting reported by a store in {p}.",
              "Phone and wallet stolen in {p}."],
    "cable_theft": ["Copper cable cut and taken from a power line near {p}.",
                    "Telecom cable stolen along the road outside {p}.",
                    "Transformer cable stripped at a pump station near {p}."],
    "vehicle_theft": ["Car stolen from outside a home in {p}.", "Electric tricycle stolen in {p}.",
                      "Motorcycle taken from a yard in {p}."],
    "assault": ["Assault after an argument in {p}.", "Fight outside a restaurant in {p}; one injured."],
    "drugs": ["Suspected drug dealing reported near {p}.", "Drug paraphernalia found; dealing suspected in {p}."],
    "fraud": ["Telephone fraud reported by a resident of {p}.", "Online purchase fraud, victim lives in {p}."],
}


def draw_hour(rng: np.random.Generator, category: str) -> tuple[float, bool]:
    """Hour after midnight (may pass 24) when an offence of this category happens, and whether at night."""
    night_share, night, day, _ = _HOURS[category]
    at_night = bool(rng.random() < night_share)
    lo, hi = night if at_night else day
    return float(rng.uniform(lo, hi)), at_night


def draw_window(rng: np.random.Generator, category: str, t: float) -> tuple[float, float]:
    """The window a victim reports around true time ``t`` (seconds), on 10-minute marks."""
    before, after = _HOURS[category][3]
    start = np.floor((t - rng.uniform(0.1, 1.0) * before * H) / 600) * 600
    end = np.ceil((t + rng.uniform(0.1, 1.0) * after * H) / 600) * 600
    return float(start), float(end)


def draw_hours(rng: np.random.Generator, categories: np.ndarray) -> np.ndarray:
    """:func:`draw_hour` for many offences at once (``categories`` holds indices into :data:`CATEGORIES`)."""
    table = np.array([[_HOURS[c][0], *_HOURS[c][1], *_HOURS[c][2]] for c in CATEGORIES])[categories]
    night = rng.random(len(categories)) < table[:, 0]
    lo = np.where(night, table[:, 1], table[:, 3])
    hi = np.where(night, table[:, 2], table[:, 4])
    return lo + rng.random(len(categories)) * (hi - lo)


def draw_windows(rng: np.random.Generator, categories: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`draw_window` for many offences at once."""
    spans = np.array([_HOURS[c][3] for c in CATEGORIES])[categories]
    n = len(categories)
    start = np.floor((t - rng.uniform(0.1, 1.0, n) * spans[:, 0] * H) / 600) * 600
    end = np.ceil((t + rng.uniform(0.1, 1.0, n) * spans[:, 1] * H) / 600) * 600
    return start, end


def describe(rng: np.random.Generator, category: str, place: str) -> str:
    """A one-line description of an offence of ``category`` at ``place``."""
    return describe_nth(category, int(rng.integers(0, 1000)), place)


def describe_nth(category: str, n: int, place: str) -> str:
    options = _DESCRIPTIONS[category]
    return options[n % len(options)].format(p=place)
