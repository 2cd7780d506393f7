"""Vehicle–case association: which vehicles seen near a scene in its window are the best suspects.

Every vehicle the area's cameras saw in the padded window is a candidate, watchlisted or not. Each is
described by investigator features (:mod:`pingan.anpr.features`), scored by a transparent logistic
model (:mod:`pingan.anpr.ranking`), and explained in plain words with the reads behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from pingan.anpr.area import DOUBLE_READ_ORDER, Area, Window, area_around, merge_double_reads, reads_in
from pingan.anpr.cases import Case, load_case
from pingan.anpr.features import (
    FEATURES,
    HistoryConfig,
    area_history,
    history_window,
    movements,
    own_hour_rarity,
    own_hours,
    stays_near,
    usual_places,
    vehicle_features,
    with_lookups,
)
from pingan.anpr.ranking import Ranker
from pingan.anpr.relevance import relevance as relevance_of
from pingan.anpr.summaries import one_question
from pingan.anpr.watchlist import MAX_FUZZY_COST, Match, match_seen_plates
from pingan.errors import BadInput
from pingan.store.db import Store
from pingan.timeutil import iso_local, iso_local_many, month_day_minute_many, to_local

#: Usual places are looked up for at most this many candidates (the best by a first-pass score).
USUAL_PLACE_CANDIDATES = 1000
#: Reasons are ordered by each feature's exact push on the score for this many best candidates; further
#: down the list (scores near zero) they are the same statements in a fixed order, which saves the
#: model's per-vehicle attribution (about 65 µs a vehicle for the boosted model).
EXPLAINED_CANDIDATES = 500


@dataclass(frozen=True)
class SuspectQuery:
    case_id: str
    radius_km: float = 5.0
    pad: timedelta = timedelta(hours=2)
    top: int | None = None
    history: HistoryConfig = field(default_factory=HistoryConfig)
    fuzzy: bool = True
    max_fuzzy_cost: float = MAX_FUZZY_COST
    lists: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not self.radius_km > 0:
            raise BadInput(f"--radius-km must be more than 0, not {self.radius_km}.")
        if self.pad < timedelta(0):
            raise BadInput(f"--pad must not be negative, not {self.pad}.")
        if self.top is not None and self.top < 1:
            raise BadInput(f"--top must be at least 1, not {self.top}.")


@dataclass
class Candidate:
    rank: int
    plate: str
    score: float
    watchlist: Match | None
    reasons: list[str]
    reads: list[dict[str, Any]]
    features: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "plate": self.plate,
            "score": round(self.score, 6),
            "watchlist": self.watchlist.to_json() if self.watchlist else None,
            "reasons": self.reasons,
            "reads": self.reads,
            "features": {k: round(float(v), 4) for k, v in self.features.items()},
        }


@dataclass
class SuspectsResult:
    case: Case
    query: SuspectQuery
    window: Window
    area: Area
    vehicles_seen: int
    candidates: list[Candidate]

    def to_json(self) -> dict[str, Any]:
        return {
            "case_id": self.case.case_id,
            "category": self.case.category,
            "scene": {"lon": self.case.lon, "lat": self.case.lat},
            "radius_km": self.query.radius_km,
            "pad_hours": self.query.pad.total_seconds() / 3600,
            "window": self.window.to_json(),
            "offence_window": Window(self.case.start, self.case.end).to_json(),
            "cameras": self.area.camera_ids,
            "vehicles_seen": self.vehicles_seen,
            "candidates": [c.to_json() for c in self.candidates],
        }


def read_json(row: Any) -> dict[str, Any]:
    """One read as the contract shows it (camera, local time with offset, plate, confidence)."""
    conf = row.confidence
    return {
        "camera_id": row.camera_id,
        "ts": iso_local(row.ts.to_pydatetime() if hasattr(row.ts, "to_pydatetime") else row.ts),
        "plate": row.plate,
        "confidence": None if conf is None or (isinstance(conf, float) and np.isnan(conf)) else float(conf),
        "plate_raw": row.plate_raw,
    }


def reads_json_by_plate(reads: pd.DataFrame, plates: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The reads of each plate as contract read objects, in time order, rendered column-wise.

    ``plate`` is the vehicle the read was attributed to; ``seen_plate`` what the camera read.
    """
    subset = reads[reads["plate"].isin(set(plates))].sort_values(["plate", "ts"], kind="stable")
    if subset.empty:
        return {}
    stamps = iso_local_many(subset["ts"])
    conf = subset["confidence"].astype(float).tolist()
    seen = subset["seen_plate"].tolist() if "seen_plate" in subset else subset["plate"].tolist()
    rows = zip(subset["plate"].tolist(), subset["camera_id"].tolist(), stamps, seen, conf,
               subset["plate_raw"].tolist(), strict=True)
    out: dict[str, list[dict[str, Any]]] = {}
    for plate, camera, ts, seen_plate, c, raw in rows:
        out.setdefault(plate, []).append({
            "camera_id": camera, "ts": ts, "plate": seen_plate,
            "confidence": None if c != c else c, "plate_raw": raw,
        })
    return out


def _best_match(matches: list[Match], category: str) -> tuple[Match, float]:
    scored = [(relevance_of(category, m.entry.categories), -m.cost, m) for m in matches]
    rel, _, match = max(scored, key=lambda s: (s[0], s[1], s[2].entry.list, s[2].entry.person_id))
    return match, rel


def attribute_misreads(reads: pd.DataFrame, matches: dict[str, list[Match]], history_plates: set[str]) -> pd.DataFrame:
    """Give a misread's reads to the watchlisted vehicle it was misread from, when that vehicle was seen too.

    Only a plate with no history here and at most two reads is treated as a misread: a real vehicle
    whose plate happens to differ by one character keeps its own reads.
    """
    fuzzy = {plate: {m.entry.plate for m in plate_matches if m.kind == "fuzzy"} - {plate}
             for plate, plate_matches in matches.items() if plate not in history_plates}
    fuzzy = {plate: targets for plate, targets in fuzzy.items() if targets}
    if not fuzzy:
        return reads
    # the reads of these few plates only are counted (a busy area has tens of thousands of others)
    involved = reads["plate"][reads["plate"].isin(set(fuzzy).union(*fuzzy.values()))]
    counts = involved.value_counts()
    rename: dict[str, str] = {}
    for plate, targets in fuzzy.items():
        seen_targets = [t for t in targets if t in counts.index]
        if len(seen_targets) == 1 and counts.get(plate, 0) <= 2:
            rename[plate] = seen_targets[0]
    if not rename:
        return reads
    plate = reads["plate"].copy()
    misread = plate.isin(list(rename))
    plate[misread] = plate[misread].map(rename)
    return reads.assign(plate=plate)


def with_misreads(moves: pd.DataFrame, reads: pd.DataFrame, cameras: pd.DataFrame) -> pd.DataFrame:
    """A vehicle's movements plus the area's reads attributed to it from a misread (:func:`attribute_misreads`):
    looked up by its own plate, a vehicle whose way out was misread would seem never to have left."""
    if moves.empty or reads.empty or "seen_plate" not in reads:
        return moves
    misread = reads[(reads["seen_plate"] != reads["plate"]) & reads["plate"].isin(moves["plate"].unique())]
    if misread.empty:
        return moves
    where = cameras.set_index("camera_id")
    extra = pd.DataFrame({"plate": misread["plate"].to_numpy(), "ts": misread["ts"].to_numpy(),
                          "lon": where["lon"].reindex(misread["camera_id"]).to_numpy(),
                          "lat": where["lat"].reindex(misread["camera_id"]).to_numpy()}).dropna()
    return pd.concat([moves, extra], ignore_index=True).sort_values(["plate", "ts"], kind="stable").reset_index(drop=True)


@dataclass
class ScoredArea:
    """Every vehicle seen around a case with its features and score, best first (before rendering)."""

    case: Case
    window: Window
    padded: Window
    area: Area
    reads: pd.DataFrame
    """The area's reads in the padded window, double reads merged, misreads attributed (``seen_plate``)."""
    vehicles: pd.DataFrame
    """One row per vehicle: features, ``score``, best first."""
    matches: dict[str, tuple[Match, float]]
    """Each watchlisted vehicle's best entry and its relevance to the case."""
    ranker: Ranker

    def contributions(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Each feature's push on these vehicles' scores (rows of ``vehicles``), for their reasons.

        Only the best EXPLAINED_CANDIDATES of the case are attributed; the others get zeros.
        """
        explained = rows.index.isin(self.vehicles.index[:EXPLAINED_CANDIDATES])
        pushes = pd.DataFrame(0.0, index=rows.index, columns=list(FEATURES))
        if explained.any():
            pushes.loc[explained] = self.ranker.contributions(rows[explained]).to_numpy()
        return pushes

    @property
    def vehicles_seen(self) -> int:
        return len(self.vehicles)


def score_area(store: Store, query: SuspectQuery, ranker: Ranker | None = None) -> ScoredArea:
    """Score every vehicle seen around a case: the engine behind :func:`suspects` and :func:`collide`."""
    with one_question(store):
        return _score_area(store, query, ranker or Ranker.default())


def _score_area(store: Store, query: SuspectQuery, ranker: Ranker) -> ScoredArea:
    case = load_case(store, query.case_id)
    window = Window(case.start, case.end)
    padded = window.widened(query.pad)
    area = area_around(store, case.lon, case.lat, query.radius_km)
    raw = reads_in(store, area.camera_ids, padded, order=DOUBLE_READ_ORDER)
    reads = merge_double_reads(raw.assign(seen_plate=raw["plate"]), presorted=True) if not raw.empty else raw
    if reads.empty:
        empty = pd.DataFrame(columns=["plate", *FEATURES, "score"])
        return ScoredArea(case, window, padded, area, reads, empty, {}, ranker)

    history = history_window(padded, query.history)
    seen = reads["plate"].unique().tolist()  # Python strings at once (iterating Arrow strings is slow)
    hist_days, profile = area_history(store, area.camera_ids, history, plates=seen)
    _, matches = match_seen_plates(store, seen, valid_at=padded.start, lists=query.lists,
                                   fuzzy=query.fuzzy, max_cost=query.max_fuzzy_cost)
    reads = attribute_misreads(reads, matches, set(hist_days["plate"]))

    # every plate left after the misreads were attributed is a seen plate, and ``matches`` has each seen
    # plate's matches (a misread's are gone with its reads)
    present = set(reads["plate"].unique().tolist())
    best = {plate: _best_match(plate_matches, case.category)
            for plate, plate_matches in matches.items() if plate in present}
    relevance = {p: rel for p, (_, rel) in best.items()}
    kinds = {p: m.kind for p, (m, _) in best.items()}
    area_cameras = area.cameras.set_index("camera_id")[["km", "toward"]]

    # Where a vehicle usually is costs a query per candidate set: ask it for the strongest first-pass ones.
    first = vehicle_features(
        reads, window=window, padded=padded, history_days=hist_days, hour_profile=profile,
        usual=pd.DataFrame(), scene_lon=case.lon, scene_lat=case.lat, relevance=relevance, watch_kind=kinds,
        area_cameras=area_cameras,
    )
    first = first.assign(unknown_history=0.0)  # nothing looked up yet: no evidence either way
    first_pass = ranker.score(first)
    shortlist = first["plate"].to_numpy()[np.argsort(-first_pass, kind="stable")[:USUAL_PLACE_CANDIDATES]]
    usual = usual_places(store, list(shortlist), history)
    moves = with_misreads(movements(store, list(shortlist), padded), reads, area.cameras)
    stays = stays_near(moves, window, case.lon, case.lat, query.radius_km)
    offset = to_local(window.start).utcoffset() or timedelta(0)
    own = own_hour_rarity(reads, own_hours(store, list(shortlist), history), offset)
    feats = with_lookups(first, usual=usual, stays=stays, own_rarity=own, scene_lon=case.lon, scene_lat=case.lat)
    outside = ~feats["plate"].isin(set(shortlist))
    feats.loc[outside, "unknown_history"] = 0.0  # not looked up: no evidence either way
    # only the vehicles whose features the lookups changed are scored again; the rest keep the first pass
    changed = (feats[list(FEATURES)].to_numpy(dtype=float) != first[list(FEATURES)].to_numpy(dtype=float)).any(axis=1)
    score = first_pass.copy()
    if changed.any():
        score[changed] = ranker.score(feats[changed])
    feats["score"] = score
    if feats["plate"].is_monotonic_increasing:  # the features come in plate order: ties stay in it
        feats = feats.iloc[np.argsort(-score, kind="stable")]
    else:
        feats = feats.assign(_order=-feats["score"]).sort_values(["_order", "plate"], kind="stable").drop(columns="_order")
    return ScoredArea(case, window, padded, area, reads, feats, best, ranker)


def suspects(store: Store, query: SuspectQuery, ranker: Ranker | None = None) -> SuspectsResult:
    """Rank every vehicle seen around a case, best suspect first, with reasons and reads."""
    scored = score_area(store, query, ranker)
    if scored.reads.empty:
        return SuspectsResult(scored.case, query, scored.padded, scored.area, 0, [])
    feats = scored.vehicles if query.top is None else scored.vehicles.head(query.top)
    reads = scored.reads
    chosen = feats["plate"].tolist()
    reads_of = reads_json_by_plate(reads, chosen) if chosen else {}
    misread = reads[reads["seen_plate"] != reads["plate"]] if "seen_plate" in reads else reads.iloc[0:0]
    misread_as = misread.groupby("plate")["seen_plate"].agg(lambda v: sorted(set(v))).to_dict()
    pushes = scored.contributions(feats).to_dict("records")
    times = zip(month_day_minute_many(feats["first_ts"]), month_day_minute_many(feats["last_ts"]), strict=True)
    candidates: list[Candidate] = []
    rows = feats.drop(columns=["first_ts", "last_ts"]).itertuples(index=False)  # rendered above: no Timestamps
    for rank, (row, push, when) in enumerate(zip(rows, pushes, times, strict=True), start=1):
        match = scored.matches.get(row.plate, (None, 0.0))[0]
        feature_values = {name: float(getattr(row, name)) for name in FEATURES}
        reasons = explain(row, push, match, scored.case, misread_as.get(row.plate, []), query, times=when)
        candidates.append(Candidate(
            rank=rank, plate=row.plate, score=float(row.score), watchlist=match, reasons=reasons,
            reads=reads_of.get(row.plate, []), features=feature_values,
        ))
    return SuspectsResult(scored.case, query, scored.padded, scored.area, scored.vehicles_seen, candidates)


def _hhmm(ts: Any) -> str:
    return to_local(ts.to_pydatetime() if hasattr(ts, "to_pydatetime") else ts).strftime("%m-%d %H:%M")


def explain(row: Any, contribution: pd.Series | dict[str, float], match: Match | None, case: Case,
            misread_as: list[str], query: SuspectQuery, *, times: tuple[str, str] | None = None) -> list[str]:
    """Plain-language reasons, strongest push on the score first (``contribution``: each feature's push;
    ``times``: the first and last read as local ``MM-DD HH:MM``, when already rendered)."""
    said: list[tuple[float, str]] = []
    push = contribution if isinstance(contribution, dict) else contribution.to_dict()
    if match is not None:
        cats = ", ".join(match.entry.categories) or "no category"
        text = f"on watchlist '{match.entry.list}' (person {match.entry.person_id}: {cats})"
        if row.relevance >= 0.99:
            text += f"; prior of the same kind as this {case.category} case"
        elif row.relevance >= 0.5:
            text += f"; prior related to {case.category}"
        else:
            text += f"; prior not related to {case.category}"
        said.append((push.get("relevance", 0) + push.get("watchlisted", 0), text))
        if match.kind == "fuzzy":
            said.append((push.get("fuzzy", 0), f"matched despite a misread: read as {match.seen_plate}, "
                                               f"listed as {match.entry.plate}"))
    if misread_as:
        said.append((0.05, f"read(s) as {', '.join(misread_as)} taken as misreads of this plate"))
    days = int(row.history_days)
    if days == 0:
        said.append((push.get("new_here", 0) + push.get("history_days", 0),
                     f"not seen by these cameras in the previous {query.history.days} days"))
    else:
        said.append((push.get("history_days", 0) + push.get("new_here", 0),
                     f"seen by these cameras on {days} of the previous {query.history.days} days"
                     + (" (a regular)" if days >= query.history.days // 2 else "")))
    first, last = times if times is not None else (_hhmm(row.first_ts), _hhmm(row.last_ts))
    if row.stay_hours >= 0.5:
        said.append((push.get("stay_hours", 0),
                     f"arrived {first}, left {last}: {row.stay_hours:.1f} h between reads here"))
    else:
        said.append((push.get("stay_hours", 0), f"passed through ({first}–{last})"))
    if row.dark_overlap >= 0.25:
        said.append((push.get("dark_overlap", 0),
                     f"unseen anywhere for {row.dark_overlap:.0%} of the offence window, between reads near the scene"))
    if row.could_be_there >= 0.25 and row.dark_overlap < 0.25:
        said.append((push.get("could_be_there", 0),
                     f"its reads before and after leave time to have been at the scene for {row.could_be_there:.0%} "
                     "of the offence window"))
    if row.stay_hours >= 0.25 and row.turned_nearest >= 1:
        said.append((push.get("turned_nearest", 0) + push.get("turn_km", 0) + push.get("near_km", 0),
                     f"went out of sight {row.turn_km:.1f} km from the scene, at its closest pass, "
                     f"for {row.stay_hours:.1f} h"))
    elif row.near_km >= 3:
        said.append((push.get("near_km", 0), f"came no closer than {row.near_km:.1f} km to the scene"))
    if row.own_hour_rarity >= 1.0:
        said.append((push.get("own_hour_rarity", 0), "out at hours this vehicle is rarely seen at in the weeks before"))
    if row.in_window < 1:
        said.append((push.get("in_window", 0), "seen only in the margin around the offence window"))
    if row.hour_rarity > 1.0:
        said.append((push.get("hour_rarity", 0), "seen at hours when these cameras see little traffic"))
    if row.unknown_history >= 1:
        said.append((push.get("unknown_history", 0),
                     f"not seen anywhere in the county in the previous {query.history.days} days"))
    elif row.far_km >= 5:
        said.append((push.get("far_km", 0), f"usually seen {row.far_km:.0f} km from the scene"))
    elif row.far_km > 0:
        said.append((push.get("far_km", 0), f"usually seen {row.far_km:.1f} km from the scene (a local)"))
    said.append((push.get("reads", 0), f"{row.n_reads} read(s) by {row.cameras} camera(s) in the window"))
    said.sort(key=lambda s: -abs(s[0]))
    return [text for _, text in said]
