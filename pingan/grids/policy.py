"""The grading policy: how scores become red, yellow and green, and how slowly colours may change.

A :class:`GradingPolicy` is three parts, each configurable (JSON or TOML, see :func:`load_policy`):

* a **colour rule**, a small base with two named strategies —
  :class:`Quotas` (the top share of grids by score is red, the next share yellow; the seed city's
  5.6 % / 18.4 %) or :class:`Thresholds` (fixed score cut-offs). Either way a grading ends with two
  cut-offs, the lowest score that qualified for red and for yellow;
* the **score weights** (:class:`pingan.grids.scoring.ScoreWeights`);
* the **hysteresis** (:class:`Hysteresis`): a grid moves up only when it has qualified for the higher
  colour on every grading for ``up_days``, and down only when it has stayed under the cut-off less
  ``down_margin`` on every grading for ``down_days``.
"""

from __future__ import annotations

import json
import math
import tomllib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

from pingan.errors import BadFile, BadInput
from pingan.grids.scoring import ScoreWeights

COLOURS: tuple[str, ...] = ("green", "yellow", "red")
RANK: dict[str, int] = {c: i for i, c in enumerate(COLOURS)}


def check_colour(colour: str) -> str:
    value = str(colour).strip().lower()
    if value not in RANK:
        raise BadInput(f"The colour '{colour}' is not known; use one of {list(COLOURS)}.")
    return value


@dataclass(frozen=True)
class Cutoffs:
    """The lowest scores that qualified for red and for yellow in one grading (inf when none did)."""

    red: float
    yellow: float

    def colour(self, score: float, *, margin: float = 0.0) -> str:
        """The colour a score qualifies for, with the cut-offs lowered by ``margin`` (a share)."""
        if score > 0 and score >= self.red * (1 - margin):
            return "red"
        if score > 0 and score >= self.yellow * (1 - margin):
            return "yellow"
        return "green"

    def of(self, colour: str) -> float:
        return {"red": self.red, "yellow": self.yellow}.get(colour, 0.0)


class ColourRule(ABC):
    """How one grading's scores become raw colours (before hysteresis)."""

    name: ClassVar[str]

    @abstractmethod
    def colours(self, ids: Sequence[str], scores: Sequence[float]) -> tuple[list[str], Cutoffs]:
        """The raw colour of each grid, and the cut-offs that produced them."""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, **{f.name: getattr(self, f.name) for f in fields(self)}}  # type: ignore[arg-type]


@dataclass(frozen=True)
class Quotas(ColourRule):
    """The ``red`` share of grids with the highest scores is red, the next ``yellow`` share yellow.

    Shares are rounded to whole grids (1,065 grids × 5.6 % → 60 red, × 18.4 % → 196 yellow). Ties at the
    border go to the grid whose id sorts first. A grid with a score of zero is never red or yellow, so a
    quiet city is not painted red to fill a quota.
    """

    red: float = 0.056
    yellow: float = 0.184
    name: ClassVar[str] = "quotas"

    def __post_init__(self) -> None:
        for label, value in (("red", self.red), ("yellow", self.yellow)):
            if not isinstance(value, int | float) or not 0 <= value <= 1:
                raise BadInput(f"The {label} quota was {value!r} but must be a share between 0 and 1 (0.056 = 5.6 %).")
        if self.red + self.yellow > 1:
            raise BadInput(f"The red and yellow quotas add up to {self.red + self.yellow:g}; "
                           "together they must be at most 1.")

    def counts(self, n: int) -> tuple[int, int]:
        """How many grids of ``n`` may be red and yellow (half rounds up)."""
        red = math.floor(n * self.red + 0.5)
        yellow = min(n - red, math.floor(n * (self.red + self.yellow) + 0.5) - red)
        return red, max(0, yellow)

    def colours(self, ids: Sequence[str], scores: Sequence[float]) -> tuple[list[str], Cutoffs]:
        n_red, n_yellow = self.counts(len(ids))
        order = sorted(range(len(ids)), key=lambda i: (-scores[i], ids[i]))
        out = ["green"] * len(ids)
        red_cut = yellow_cut = math.inf
        for rank, i in enumerate(order):
            if scores[i] <= 0:
                break
            if rank < n_red:
                out[i], red_cut = "red", scores[i]
            elif rank < n_red + n_yellow:
                out[i], yellow_cut = "yellow", scores[i]
            else:
                break
        return out, Cutoffs(red=red_cut, yellow=min(yellow_cut, red_cut))


@dataclass(frozen=True)
class Thresholds(ColourRule):
    """A grid scoring at least ``red`` is red, at least ``yellow`` yellow."""

    red: float = 30.0
    yellow: float = 10.0
    name: ClassVar[str] = "thresholds"

    def __post_init__(self) -> None:
        if not all(isinstance(v, int | float) for v in (self.red, self.yellow)) or not 0 < self.yellow <= self.red:
            raise BadInput(f"The thresholds were red {self.red!r} and yellow {self.yellow!r}; they must be "
                           "numbers with 0 < yellow ≤ red.")

    def colours(self, ids: Sequence[str], scores: Sequence[float]) -> tuple[list[str], Cutoffs]:
        cut = Cutoffs(red=float(self.red), yellow=float(self.yellow))
        return [cut.colour(s) for s in scores], cut


RULES: dict[str, type[ColourRule]] = {"quotas": Quotas, "thresholds": Thresholds}


def colour_rule(name: str, **params: Any) -> ColourRule:
    """A colour rule by name (``quotas`` or ``thresholds``) with its parameters."""
    key = str(name).strip().lower()
    if key in ("quota", "threshold"):
        key += "s"
    if key not in RULES:
        raise BadInput(f"The colour rule '{name}' is not known; use one of {sorted(RULES)}.")
    cls = RULES[key]
    allowed = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise BadInput(f"The {key} rule takes {allowed}, not {unknown}.")
    return cls(**params)


@dataclass(frozen=True)
class Hysteresis:
    """How sustained a change must be before a grid changes colour.

    * **Up**: a grid moves up only when it has qualified for a higher colour on *every* grading for at
      least ``up_days`` (to the highest colour it qualified for on every grading that long). Because a case
      counts for ``window_days`` after it happened, a burst of cases shorter than
      ``up_days − window_days`` can never move a grid up, however often grids are graded; with the
      defaults (21 − 14) a one-week spike never does, a rise that lasts three weeks does.
    * **Down**: a grid moves down only when its score has stayed under the cut-off of its colour less
      ``down_margin`` (a share of the cut-off) on every grading for at least ``down_days`` (to the lowest
      colour it stayed under the next cut-off of, less the margin, that long). Scores in the
      margin keep the colour: a grid does not flicker around a cut-off.
    * ``jump`` (off by default): a score at least ``jump`` × the higher colour's cut-off moves the grid up
      at once, for the rare emergency that must not wait.

    A grid's first grading takes its raw colour; a grading that finds no earlier one starts the history.
    """

    up_days: float = 21.0
    down_days: float = 28.0
    down_margin: float = 0.2
    jump: float | None = None

    def __post_init__(self) -> None:
        for name in ("up_days", "down_days"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or value < 0:
                raise BadInput(f"{name} was {value!r} but must be a number of days, 0 or more.")
        if not isinstance(self.down_margin, int | float) or not 0 <= self.down_margin < 1:
            raise BadInput(f"down_margin was {self.down_margin!r} but must be a share from 0 up to (not including) 1.")
        if self.jump is not None and (not isinstance(self.jump, int | float) or self.jump <= 1):
            raise BadInput(f"jump was {self.jump!r} but must be a factor above 1 (or left out).")

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class GradingPolicy:
    """Everything that decides a grading: the colour rule, the score weights and the hysteresis."""

    rule: ColourRule = field(default_factory=Quotas)
    weights: ScoreWeights = field(default_factory=ScoreWeights)
    hysteresis: Hysteresis = field(default_factory=Hysteresis)

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule.to_json(), "weights": self.weights.to_json(),
                "hysteresis": self.hysteresis.to_json()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GradingPolicy:
        """A policy from plain values; every part may be left out (then the default holds)."""
        if not isinstance(data, Mapping):
            raise BadInput("A grading policy must be an object with some of 'rule', 'weights', 'hysteresis'.")
        unknown = sorted(set(data) - {"rule", "weights", "hysteresis"})
        if unknown:
            raise BadInput(f"The grading policy parts {unknown} are not known; use some of "
                           "['rule', 'weights', 'hysteresis'].")
        rule_data = dict(data.get("rule") or {"name": "quotas"})
        rule = colour_rule(rule_data.pop("name", "quotas"), **rule_data)
        hyst_data = dict(data.get("hysteresis") or {})
        allowed = [f.name for f in fields(Hysteresis)]
        if sorted(set(hyst_data) - set(allowed)):
            raise BadInput(f"The hysteresis settings {sorted(set(hyst_data) - set(allowed))} are not known; "
                           f"use some of {allowed}.")
        return cls(rule=rule, weights=ScoreWeights.from_json(data.get("weights") or {}),
                   hysteresis=Hysteresis(**hyst_data))


def load_policy(path: str | Path) -> GradingPolicy:
    """A grading policy from a JSON or TOML file (see ``docs/grids.md`` for an example)."""
    path = Path(path)
    if not path.is_file():
        raise BadFile(f"There is no grading policy file {path}; give a .json or .toml file.")
    try:
        if path.suffix.lower() == ".toml":
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        kind = path.suffix.lstrip(".").upper() or "JSON"
        raise BadFile(f"The grading policy file {path} is not valid {kind}: {exc}.") from exc
    return GradingPolicy.from_json(data)
