"""The `posukk` command: `chat` (terminal chat with demo data), `run` (the bot), `web` (the web
dashboard), `admin` (groups and roles), `export` and `report` (files for the Puskesmas), `db`
(backups), `match` and `content` (the first-aid content).

Each command imports what it needs when it runs, so `posukk --help` and `posukk match` do not
load the chat libraries, openpyxl or matplotlib.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.app.arguments import build_parser
from bot.app.errors import CommandError
from bot.base.settings import Settings


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from bot.app.logsafe import install_log_redaction

    install_log_redaction(settings)
    if args.command in ("chat", "admin", "export", "report", "db", "web"):  # the ones with data
        from bot.app.private_files import keep_private

        keep_private(settings.data_dir)
    try:
        _run(args, settings)
    except CommandError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


def _run(args: argparse.Namespace, settings: Settings) -> None:
    if args.command == "chat":
        from bot.app.chat import chat_command

        asyncio.run(chat_command(settings, args.db, args.persona))
    elif args.command == "run":
        from bot.app.runner import run_forever

        logging.getLogger().setLevel(logging.INFO)
        logging.getLogger("httpx").setLevel(logging.WARNING)  # its request log holds the token
        run_forever(settings)
    elif args.command == "web":
        from bot.app.web import web_command

        web_command(settings, args.db)
    elif args.command == "admin":
        from bot.app.admin import admin_command

        asyncio.run(admin_command(settings, args))
    elif args.command == "export":
        from bot.app.export_commands import export_incidents

        export_incidents(settings, args)
    elif args.command == "report":
        from bot.app.export_commands import report_monthly

        report_monthly(settings, args)
    elif args.command == "db":
        from bot.app.backup import backup_command

        backup_command(settings, args)
    else:
        from bot.app.content_commands import content_command

        content_command(settings, args)


if __name__ == "__main__":
    sys.exit(main())
