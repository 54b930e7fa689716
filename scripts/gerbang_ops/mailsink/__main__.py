"""``python -m gerbang_ops.mailsink``: run the sink until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from gerbang_ops.mailsink.server import MailSink


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gerbang_ops.mailsink",
                                     description="Local SMTP sink with a page to read the mails.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address both sides listen on (default 127.0.0.1)")
    parser.add_argument("--smtp-port", type=int, default=1025, help="0 picks a free port")
    parser.add_argument("--http-port", type=int, default=8025, help="0 picks a free port")
    parser.add_argument("--folder", type=Path, default=None,
                        help="also keep each mail as an .eml file here (reloaded on start)")
    parser.add_argument("--max-messages", type=int, default=1000,
                        help="oldest mails are dropped beyond this many (default 1000)")
    parser.add_argument("--accept-any-auth", action="store_true",
                        help="advertise SMTP AUTH over plain text and accept any credential")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    stop = threading.Event()
    # SIGTERM is how a container runtime stops us; treat it like Ctrl-C.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    sink = MailSink(args.host, args.smtp_port, args.http_port, folder=args.folder,
                    max_messages=args.max_messages, accept_any_auth=args.accept_any_auth)
    with sink:
        print(f"Mail sink: SMTP {sink.host}:{sink.smtp_port}, mails at {sink.http_url}",
              flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
