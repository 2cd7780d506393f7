"""Crime forecasting: expected cases per square cell, from named hotspot models, and their evaluation.

>>> from pingan.forecast import forecast, MODELS   # doctest: +SKIP
>>> forecast(cases, "2018-06-01T00:00Z", horizon="7d", model="naive").to_json()   # doctest: +SKIP
"""

from pingan.forecast.core import Forecast, forecast
from pingan.forecast.grid import Grid, cell_id, parse_cell_id
from pingan.forecast.history import parse_horizon
from pingan.forecast.models import DEFAULT_MODEL, MODELS, HotspotModel, make_model

__all__ = ["DEFAULT_MODEL", "MODELS", "Forecast", "Grid", "HotspotModel", "cell_id", "forecast",
           "make_model", "parse_cell_id", "parse_horizon"]
