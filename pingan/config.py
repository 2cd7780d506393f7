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
    duckdb_memory_limit: str | None = Field(
        default=None, description="DuckDB's memory for its block cache and working space, e.g. '1.5GB' "
        "(default: DuckDB's own, 80% of RAM); a query server can keep its footprint small with it, an import "
        "of millions of reads wants more")
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
