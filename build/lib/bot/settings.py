"""Settings from environment variables (prefix POSUKK_) or a `.env` file."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("posukk", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POSUKK_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    db_path: Path | None = None
    session_ttl_hours: float = Field(default=24.0, gt=0)
    default_language: str = "id"

    @property
    def database(self) -> Path:
        return self.db_path or self.data_dir / "posukk.sqlite3"
