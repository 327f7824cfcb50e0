"""Settings from environment variables (prefix POSUKK_) or a `.env` file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import platformdirs
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.base.status_rules import StatusRules


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("posukk", appauthor=False))


def default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("posukk", appauthor=False))


WEB_DEFAULT_PORT = 8090


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POSUKK_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    db_path: Path | None = None
    database_url: str | None = Field(default=None, pattern=r"^postgres(ql)?://")
    """A PostgreSQL database (`postgresql://user:password@host/name`) instead of the SQLite
    file at `db_path`: for several bot processes over one database."""
    database_pool: int = Field(default=10, ge=1, le=200)
    """Connections one process keeps to PostgreSQL (units of work running side by side)."""
    cache_dir: Path = Field(default_factory=default_cache_dir)
    """Where the trained triage classifier is kept between starts (by the content's hash)."""
    session_ttl_hours: float = Field(default=24.0, gt=0)
    default_language: str = "id"
    default_timezone: str = "Asia/Makassar"
    """For people in no group yet; everyone else follows their group's time zone."""
    quiet_hours: str = Field(default="21:00-05:00", pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")
    """Local hours when only urgent messages (SOS, emergencies) are delivered."""
    reminders: str = "1d@17:00,2h"
    """When activity reminders go out: `Nd@HH:MM` (days before, at local time), `Nh`, `Nm`."""
    followup_hours: list[int] = Field(default=[24, 72], min_length=1, max_length=5)
    """Hours after a report when the worker is asked how the injury is (JSON list, e.g. [24,72])."""
    escalate_after_hours: float = Field(default=24.0, gt=0)
    """A report no kader acted on for this long goes to the officers."""
    inbound_per_minute: int = Field(default=30, ge=1)
    """Messages one person may send in a minute (a tap every two seconds for a whole minute);
    beyond it they are warned once, then ignored for `inbound_pause_seconds` (SOS and shared
    locations always get through)."""
    inbound_pause_seconds: float = Field(default=60.0, ge=0)
    status_rules: StatusRules = Field(default_factory=StatusRules)
    """Thresholds and score weights for a group's monthly status (JSON; see docs/indicators.md)."""
    scheduled_summaries: bool = True
    """Send the weekly summary to officers and the monthly recap to kader (false: neither)."""
    weekly_summary_day: int = Field(default=0, ge=0, le=6)
    """The weekday officers get their weekly summary: 0 Monday ... 6 Sunday."""
    summary_time: dt.time = dt.time(8, 0)
    """Local time of the weekly summary to officers and the monthly recap to kader (on the 1st)."""
    retention_years: int = Field(default=5, ge=1, le=30)
    """How long a report keeps the names, words, place and photo in it; afterwards only its
    codes and counts remain. The consent text states it, so changing it asks everyone again."""

    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_file_url: str = "https://api.telegram.org/file/bot"
    telegram_bot_username: str | None = None
    """For deep links and QR codes (`t.me/<username>?start=<code>`)."""
    telegram_webhook_url: str | None = None
    """Public HTTPS URL; when set, Telegram pushes updates there instead of long polling."""
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_webhook_port: int = 8443
    telegram_poll_timeout: int = Field(default=20, ge=0)
    """Seconds a long poll waits for updates; also how long a clean stop may take at most."""
    telegram_per_second: float = Field(default=30.0, gt=0)
    telegram_per_chat_interval: float = Field(default=1.0, ge=0)
    telegram_per_group_chat_interval: float = Field(default=3.0, ge=0)
    """Seconds between two posts to one group chat: Telegram allows 20 a minute per group."""
    telegram_in_flight: int | None = Field(default=None, ge=1)
    """Outbox messages under way to Telegram at once; unset: enough to keep the rate with
    answers taking half a second (15 at 30/s)."""
    whatsapp_phone_id: str | None = None
    """The WhatsApp Business phone number id (Meta app dashboard, WhatsApp > API Setup)."""
    whatsapp_number: str | None = None
    """The bot's WhatsApp number as people dial it, with the country code (6281234567890), for
    join links and QR posters (`wa.me/<number>?text=DAFTAR%20<code>`)."""
    whatsapp_token: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    """Any string; type the same one in the app dashboard's webhook setup."""
    whatsapp_app_secret: SecretStr | None = None
    """Checks the signature of every webhook; WhatsApp does not start without it."""
    whatsapp_api_url: str = "https://graph.facebook.com"
    whatsapp_webhook_listen: str = "0.0.0.0"
    whatsapp_webhook_port: int = 8080
    whatsapp_webhook_path: str = "/whatsapp"
    whatsapp_per_second: float = Field(default=80.0, gt=0)
    """Meta's default throughput per phone number."""
    whatsapp_in_flight: int | None = Field(default=None, ge=1)
    """As `telegram_in_flight`, for WhatsApp (40 at 80/s)."""
    outbox_lease_seconds: float = Field(default=60.0, ge=5)
    """How long a queued message claimed for sending stays with its process: a process that
    dies leaves its messages in hand to be sent by another (or itself, restarted) after this."""
    max_photo_bytes: int = 10 * 1024 * 1024
    max_webhook_bytes: int = Field(default=256 * 1024, ge=1024)
    """The largest webhook body read (Telegram's and WhatsApp's updates are a few kilobytes);
    a larger one is refused unread."""
    web_base_url: str | None = None
    """The web dashboard's public address, as people open it (behind the reverse proxy: an
    https:// address); `/web` links point there (`web_address`)."""
    web_port: int | None = Field(default=None, ge=1, le=65535)
    """The dashboard's port: `posukk run` serves it too when set; `posukk web` uses
    `WEB_DEFAULT_PORT` when unset."""
    web_listen: str = "127.0.0.1"
    """The dashboard's address to listen on (the reverse proxy runs on the same machine)."""
    whatsapp_templates: dict[str, str] = Field(
        default={
            "reminder": "posukk_pengingat",
            "alert": "posukk_pemberitahuan",
            "followup": "posukk_tindak_lanjut",
            "broadcast": "posukk_siaran",
        }
    )
    """Approved WhatsApp templates (JSON) per kind of message, used outside the 24-hour window;
    each has one body parameter, the message's text. See the README for their wording."""

    def _whatsapp_settings(self) -> dict[str, object]:
        """The four settings WhatsApp needs, all of them or none."""
        return {
            "POSUKK_WHATSAPP_PHONE_ID": self.whatsapp_phone_id,
            "POSUKK_WHATSAPP_TOKEN": self.whatsapp_token,
            "POSUKK_WHATSAPP_VERIFY_TOKEN": self.whatsapp_verify_token,
            "POSUKK_WHATSAPP_APP_SECRET": self.whatsapp_app_secret,
        }

    def missing_whatsapp_settings(self) -> list[str]:
        """The WhatsApp settings still unset."""
        return [name for name, value in self._whatsapp_settings().items() if not value]

    def whatsapp_wanted(self) -> bool:
        """Whether any WhatsApp setting is given (then all must be)."""
        return any(self._whatsapp_settings().values())

    @property
    def web_address(self) -> str:
        """Where `/web` links point: POSUKK_WEB_BASE_URL, else the dashboard on this machine."""
        return self.web_base_url or f"http://localhost:{self.web_port or WEB_DEFAULT_PORT}"

    @property
    def database(self) -> Path | str:
        """The PostgreSQL address if one is set, else the SQLite file."""
        return self.database_url or self.db_path or self.data_dir / "posukk.sqlite3"

    def database_at(self, override: str | None) -> Path | str:
        """The database a command names with `--db` (a file or a `postgresql://` address),
        else the configured one."""
        if not override:
            return self.database
        return override if override.startswith(("postgresql://", "postgres://")) else Path(override)
