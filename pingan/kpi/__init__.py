"""The force's indicators (cases by week, year-on-year change, clearance, time to solve, cases per officer)."""

from pingan.kpi.indicators import Indicators, KpiQuery, indicators, records

__all__ = ["Indicators", "KpiQuery", "indicators", "records"]
