#!/usr/bin/python3
"""A real SMTP server (aiosmtpd) that takes its time: it waits --delay seconds
in DATA before storing a message in a Maildir and answering 250.

For tests that a slow or stalled mail server cannot slow down requests, and
that a mailer's timeout turns into a transient error:

    /usr/bin/python3 tests/support/slow_smtp.py --port 2526 --maildir /tmp/m --delay 2

Prints "ready" on stdout (flushed) once it accepts connections, and runs
until SIGTERM or SIGINT. Run it with Debian's /usr/bin/python3, where
python3-aiosmtpd is installed.
"""

import argparse
import asyncio
import mailbox
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class SlowMaildirHandler:
    def __init__(self, maildir: str, delay: float) -> None:
        self._maildir = mailbox.Maildir(maildir, create=True)
        self._delay = delay
        # Maildir deliveries are atomic (tmp/ then new/), but the mailbox
        # object itself is not thread-safe; sessions share one event loop
        # today, the lock keeps that an implementation detail.
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self._delay > 0:
            # asyncio.sleep, not time.sleep: other connections keep being served.
            await asyncio.sleep(self._delay)
        with self._lock:
            self._maildir.add(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--delay", type=float, default=0.0,
                        help="seconds to wait per message before answering 250")
    args = parser.parse_args()

    handler = SlowMaildirHandler(args.maildir, args.delay)
    # decode_data=False keeps the message bytes exactly as sent (8-bit safe).
    controller = Controller(handler, hostname=args.host, port=args.port, decode_data=False,
                            ready_timeout=10.0)
    controller.start()  # returns once the server answers, so "ready" is true

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
