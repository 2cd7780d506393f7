"""Named hotspot models, chosen by name (``MODELS``); ``DEFAULT_MODEL`` is the one that measured best."""

from __future__ import annotations

from collections.abc import Callable

from pingan.errors import BadInput
from pingan.forecast.models.base import HotspotModel
from pingan.forecast.models.boosted import BoostedCounts
from pingan.forecast.models.hawkes import Hawkes
from pingan.forecast.models.kde import KernelDensity
from pingan.forecast.models.naive import NaiveCount
from pingan.forecast.models.near_repeat import NearRepeat

MODELS: dict[str, Callable[[], HotspotModel]] = {
    "naive": NaiveCount,
    "kde": KernelDensity,
    "near_repeat": NearRepeat,
    "hawkes": Hawkes,
    "boosted": BoostedCounts,
}

# no model beat the naive count significantly on the Toronto evaluation (docs/forecasting.md), so the
# simplest, fastest and most explainable one is the default
DEFAULT_MODEL = "naive"


def make_model(name: str = "default") -> HotspotModel:
    """A fresh model of this name (``"default"`` is the best-measured one)."""
    key = DEFAULT_MODEL if name == "default" else name
    if key not in MODELS:
        raise BadInput(f"The model was '{name}' but is expected to be one of {['default', *MODELS]}.")
    return MODELS[key]()


__all__ = ["DEFAULT_MODEL", "MODELS", "HotspotModel", "make_model"]
