"""Log redaction through real `logging`: secrets never reach the output, phone numbers are masked,
ordinary numbers are left alone."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from pydantic import SecretStr

from bot.app.cli import main
from bot.app.logsafe import RedactingFormatter, install_log_redaction
from bot.base.settings import Settings

TELEGRAM_TOKEN = "7012345678:AAF9xQ2-vLk_8mZtR4pWcYbN3sJhGdEuKoI"
WEBHOOK_SECRET = "Rahasia_Webhook_42"
WHATSAPP_TOKEN = "EAAGm0PX4ZCpsBAPjZBfZCx9ZAqLr7ZBwKZCNkMsT3"
VERIFY_TOKEN = "kopi-tubruk-pagi"
APP_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
SECRETS = [TELEGRAM_TOKEN, WEBHOOK_SECRET, WHATSAPP_TOKEN, VERIFY_TOKEN, APP_SECRET]
FORMAT = "%(levelname)s %(name)s: %(message)s"


@contextmanager
def bare_root_logger() -> Iterator[logging.Logger]:
    """The root logger without handlers at level INFO; afterwards as it was, pytest's handlers
    included, so redaction installed inside does not reach other tests."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    for handler in saved:
        root.removeHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield root
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
            handler.close()
        for handler in saved:
            root.addHandler(handler)
        root.setLevel(level)


@contextmanager
def redacted_log(settings: Settings) -> Iterator[io.StringIO]:
    """What the root logger writes once redaction is installed on its (one) handler."""
    out = io.StringIO()
    with bare_root_logger() as root:
        handler = logging.StreamHandler(out)
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
        install_log_redaction(settings)
        yield out


def configured(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        telegram_token=SecretStr(TELEGRAM_TOKEN),
        telegram_webhook_secret=SecretStr(WEBHOOK_SECRET),
        whatsapp_token=SecretStr(WHATSAPP_TOKEN),
        whatsapp_verify_token=SecretStr(VERIFY_TOKEN),
        whatsapp_app_secret=SecretStr(APP_SECRET),
    )


def unconfigured(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        telegram_token=None,
        telegram_webhook_secret=SecretStr(""),
        whatsapp_token=None,
        whatsapp_verify_token=None,
        whatsapp_app_secret=None,
    )


def fail_delivery() -> None:
    raise RuntimeError(f"401 from the API with {WHATSAPP_TOKEN} (secret {APP_SECRET})")


def test_configured_secrets_never_appear_in_messages_arguments_or_tracebacks(
    tmp_path: Path,
) -> None:
    log = logging.getLogger("posukk.test")
    with redacted_log(configured(tmp_path)) as out:
        log.warning(f"starting with {TELEGRAM_TOKEN} and {WEBHOOK_SECRET}")
        log.info("verify token %s, app secret %s", VERIFY_TOKEN, APP_SECRET)
        log.info("token in a query: %s", f"?t={quote(TELEGRAM_TOKEN, safe='')}&x=1")
        try:
            fail_delivery()
        except RuntimeError:
            log.exception("delivery failed")
    text = out.getvalue()
    for secret in SECRETS:
        assert secret not in text
    assert quote(TELEGRAM_TOKEN, safe="") not in text
    lines = text.splitlines()
    assert lines[:3] == [
        "WARNING posukk.test: starting with *** and ***",
        "INFO posukk.test: verify token ***, app secret ***",
        "INFO posukk.test: token in a query: ?t=***&x=1",
    ]
    assert lines[3] == "ERROR posukk.test: delivery failed"
    assert "Traceback (most recent call last):" in text
    assert lines[-1] == "RuntimeError: 401 from the API with *** (secret ***)"


def test_token_shapes_are_redacted_even_when_not_configured(tmp_path: Path) -> None:
    log = logging.getLogger("httpx")
    with redacted_log(unconfigured(tmp_path)) as out:
        log.info(
            'HTTP Request: POST %s "HTTP/1.1 200 OK"',
            "https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawk/getUpdates",
        )
        log.info("GET https://graph.facebook.com/v20.0/me?access_token=EAAB0a1b2c&fields=id")
        log.info("headers %s", {"Authorization": "Bearer EAAC99zzY.x-1"})
    assert out.getvalue().splitlines() == [
        "INFO httpx: HTTP Request: POST https://api.telegram.org/bot***/getUpdates"
        ' "HTTP/1.1 200 OK"',
        "INFO httpx: GET https://graph.facebook.com/v20.0/me?access_token=***&fields=id",
        "INFO httpx: headers {'Authorization': 'Bearer ***'}",
    ]


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+628123456789", "+62812*****89"),
        ("628123456789", "62812*****89"),
        ("08123456789", "0812*****89"),
        ("081234567890", "0812******90"),
        ("0812-3456-789", "0812*****89"),
        ("+62 812 3456 7890", "+62812******90"),
    ],
)
def test_phone_numbers_keep_only_their_prefix_and_last_two_digits(
    tmp_path: Path, phone: str, masked: str
) -> None:
    with redacted_log(unconfigured(tmp_path)) as out:
        logging.getLogger("posukk.test").warning("sending to %s.", phone)
    assert out.getvalue() == f"WARNING posukk.test: sending to {masked}.\n"


@pytest.mark.parametrize(
    "message",
    [
        "outbox row 123456",
        "outbox message 1234567890123 failed for good",
        "due 2026-11-23 01:00:00, sent 2026-11-23T09:00:00+08:00",
        "could not answer in group chat -1001234567890",
        "Telegram user 123456789",
        "Telegram user 6281234567",  # ten digits starting 628: an id, too short to be a phone
        "broadcast 12 done: 345 sent of 678",
        "asked to retry after 0.0812345678 s",
        "report UKK-26-000123, join code BTG7K2",
        "a photo of 10485760 bytes",
    ],
)
def test_ordinary_numbers_are_left_alone(tmp_path: Path, message: str) -> None:
    with redacted_log(configured(tmp_path)) as out:
        logging.getLogger("posukk.test").warning(message)
    assert out.getvalue() == f"WARNING posukk.test: {message}\n"


def test_installing_twice_redacts_once_over_the_original_format(tmp_path: Path) -> None:
    with redacted_log(configured(tmp_path)) as out:
        install_log_redaction(unconfigured(tmp_path))
        (handler,) = logging.getLogger().handlers
        assert isinstance(handler.formatter, RedactingFormatter)
        assert not isinstance(handler.formatter.inner, RedactingFormatter)
        logging.getLogger("posukk.test").warning("%s 08123456789", WEBHOOK_SECRET)
    # The second install's settings apply: the secret configured first is no longer known.
    assert out.getvalue() == f"WARNING posukk.test: {WEBHOOK_SECRET} 0812*****89\n"


def test_the_command_line_installs_redaction_on_the_root_handlers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env file
    monkeypatch.setenv("POSUKK_TELEGRAM_TOKEN", TELEGRAM_TOKEN)
    monkeypatch.setenv("POSUKK_WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN)
    with bare_root_logger() as root:
        assert main(["admin", "--db", str(tmp_path / "x.sqlite3"), "groups"]) == 0
        (handler,) = root.handlers  # the one logging.basicConfig made, writing to stderr
        assert isinstance(handler.formatter, RedactingFormatter)
        capsys.readouterr()
        logging.getLogger("bot.app.runner").warning(
            "token %s, verify %s, phone 08123456789", TELEGRAM_TOKEN, VERIFY_TOKEN
        )
    assert (
        capsys.readouterr().err
        == "WARNING bot.app.runner: token ***, verify ***, phone 0812*****89\n"
    )
