"""One typed Settings object for a deployment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Deployment settings, read from ``PINGAN_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="PINGAN_", extra="ignore")

    db: Path = Field(default=Path("pingan.duckdb"), description="the store: a DuckDB file")
    timezone: str = Field(default="Asia/Shanghai", description="local time zone of the deployment")
    radius_km: float = 5.0
    pad_hours: float = 2.0
    retention_days: int = 365
    duckdb_memory_limit: str = Field(
        default="1GB", description="DuckDB's memory (block cache and working space) while it answers questions, "
        "e.g. '1.5GB'; 'duckdb' leaves DuckDB's own default (80% of RAM). 1 GB answered every question of the "
        "300 M-read benchmarks as fast as 80% of RAM did, in a third of the memory (docs/benchmarks.md)")
    duckdb_bulk_memory_limit: str = Field(
        default="duckdb", description="DuckDB's memory while a bulk job runs (an import, building the summaries "
        "or the time index, a restore); 'duckdb' (default) is DuckDB's own, 80% of RAM: a 10 M-read import "
        "took 30% longer under 1 GB")
    compiled_trees: bool = Field(
        default=True, description="score vehicles with the ranker's trees compiled to machine code (lleaves); "
        "off: LightGBM scores them, 4-5x slower, the same scores")
    cache_dir: Path | None = Field(
        default=None, description="where compiled models are kept (default: $XDG_CACHE_HOME/pingan or "
        "~/.cache/pingan)")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings()
