"""What a simulated county looks like: every knob of the simulator in one typed dataclass."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pingan.errors import BadInput
from pingan.plates import PROVINCES

ReadsFormat = Literal["parquet", "csv", "both"]
_READS_FORMATS = ("parquet", "csv", "both")
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class SimConfig:
    """The county to simulate. Same config and seed → byte-identical files.

    ``offences`` counts one-off planted offences; each serial offender adds 3–4 more planted cases,
    so the answer key lists ``offences`` + the serial cases.
    """

    vehicles: int = 20_000
    """Vehicles registered in the county (through traffic comes on top)."""
    days: int = 14
    seed: int = 0
    start_date: date = date(2026, 3, 2)
    """First simulated day (local time); the default is a Monday."""
    misread_rate: float = 0.03
    """Share of reads with one character misread (mostly an OCR confusion, sometimes the province)."""
    miss_rate: float = 0.05
    """Share of camera passes that produce no read at all."""
    double_read_rate: float = 0.02
    """Share of reads that the camera makes twice within a few seconds."""
    reads_format: ReadsFormat = "parquet"
    core_network: Path | None = None
    """An OSMnx GraphML street network used as the dense urban core; None builds a synthetic grid."""
    offences: int = 20
    serial_offenders: int = 3
    clones: int = 5
    companions: int = 4
    """Innocent vehicle pairs that often travel together (accomplices of serials come on top)."""
    watchlist_share: float = 0.04
    province: str = "苏"
    city_letter: str = "N"
    neighbour_letters: str = "ACFHKLM"
    """Other issuing authorities of the same province, seen on commuters from next door and through traffic."""
    other_provinces: str = "皖鲁豫浙沪京"
    through_share: float = 0.08
    """Through and visiting vehicles per day, as a share of the county's vehicles."""
    night_worker_share: float = 0.02
    newcomer_share: float = 0.01
    newcomer_after_day: int | None = None
    """Newcomers start driving on or after this day index; default: half way through."""
    county_km: float = 40.0
    """Side of the (square) county in km."""
    villages: int | None = None
    """Villages in the county; default scales with its area (about 11 per 100 km²)."""
    towns: int | None = None
    background_cases_per_day: float | None = None
    """Cases with no planted vehicle; default scales with vehicles (12 a day for 20,000; at most 40)."""
    case_history_days: int = 90
    """Background cases also cover this many days before the first simulated day (for forecasting)."""
    disputes_per_day: float = 6.0
    center_lon: float = 118.77
    center_lat: float = 34.09
    extra: dict[str, Any] = field(default_factory=dict)
    """Free-form notes carried into the answer key."""

    def __post_init__(self) -> None:
        _check(self.vehicles >= 100, "vehicles", self.vehicles, "at least 100")
        _check(self.days >= 1, "days", self.days, "at least 1")
        for name in ("misread_rate", "miss_rate", "double_read_rate", "watchlist_share", "through_share",
                     "night_worker_share", "newcomer_share"):
            value = getattr(self, name)
            _check(0.0 <= value < 0.5, name, value, "a share between 0 and 0.5")
        _check(self.reads_format in _READS_FORMATS, "reads_format", self.reads_format, f"one of {list(_READS_FORMATS)}")
        _check(self.province in PROVINCES and len(self.province) == 1, "province", self.province,
               "one province character such as 苏")
        _check(self.city_letter in _PLATE_LETTERS and len(self.city_letter) == 1, "city_letter", self.city_letter,
               "one plate letter (A-Z without I and O)")
        _check(all(c in _PLATE_LETTERS for c in self.neighbour_letters), "neighbour_letters",
               self.neighbour_letters, "plate letters (A-Z without I and O)")
        _check(all(c in PROVINCES for c in self.other_provinces), "other_provinces", self.other_provinces,
               "province characters")
        _check(8.0 <= self.county_km <= 120.0, "county_km", self.county_km, "between 8 and 120")
        _check(min(self.offences, self.serial_offenders, self.clones, self.companions) >= 0,
               "offences/serial_offenders/clones/companions", (self.offences, self.serial_offenders),
               "zero or more")
        if self.core_network is not None and not Path(self.core_network).is_file():
            raise BadInput(f"The core network '{self.core_network}' is not a file; give an OSMnx GraphML file "
                           "or leave core_network unset for a synthetic town centre.")

    # --- derived values ---------------------------------------------------------------------

    @property
    def n_villages(self) -> int:
        return self.villages if self.villages is not None else max(6, round(0.11 * self.county_km**2))

    @property
    def n_towns(self) -> int:
        return self.towns if self.towns is not None else max(2, round(self.county_km**2 / 200))

    @property
    def cases_per_day(self) -> float:
        if self.background_cases_per_day is not None:
            return self.background_cases_per_day
        return min(40.0, 2.0 + 10.0 * self.vehicles / 20_000)

    @property
    def newcomer_day(self) -> int:
        if self.newcomer_after_day is not None:
            return self.newcomer_after_day
        return max(1, self.days // 2)

    def to_dict(self) -> dict[str, Any]:
        """The config as plain JSON values (dates and paths as text)."""
        out = asdict(self)
        out["start_date"] = self.start_date.isoformat()
        out["core_network"] = str(self.core_network) if self.core_network is not None else None
        return out


def _check(ok: bool, name: str, value: object, allowed: str) -> None:
    if not ok:
        raise BadInput(f"`{name}` was {value!r} but is expected to be {allowed}.")
