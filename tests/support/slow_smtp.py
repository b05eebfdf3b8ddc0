#!/usr/bin/python3
"""A real SMTP server (aiosmtpd) for the end-to-end tests, slow on purpose.

  slow_smtp.py --port P --maildir DIR [--delay SECONDS] [--log FILE]

With --port 0 the kernel picks a free port (no race with other tests picking
one); the "ready" line carries the port it got.

Every message is stored in the Maildir DIR, but only after DELAY seconds spent
between receiving its DATA and answering 250 -- as a busy mail server would.
A client that hangs up during that time never got its 250, so the message is
not stored (SMTP hands over responsibility with the 250, not before).
Recipients whose address starts with "reject" are refused with 550, so a test
can make a message that always fails.

Prints "ready <port>" on stdout once it accepts connections. The log gets one line per event, with the Unix time last:
  ready <port> <t> | data <rcpt> <t> | stored <rcpt> <t> | dropped <rcpt> <t>
  | rejected <rcpt> <t> (550, recipients starting "reject") | deferred <rcpt> <t> (451, "busy")
  | rejected <rcpt> <t>
"""

import argparse
import os
import asyncio
import mailbox
import sys
import time

from aiosmtpd.controller import Controller


class SlowHandler:
    def __init__(self, maildir, delay, log):
        os.makedirs(os.path.dirname(os.path.abspath(maildir)), exist_ok=True)
        self.maildir = mailbox.Maildir(maildir, create=True)
        self.delay = delay
        self.log = log

    def note(self, *words):
        with open(self.log, "a", encoding="utf-8") as f:
            f.write(" ".join(str(w) for w in words) + " %.3f\n" % time.time())

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("reject"):
            self.note("rejected", address)
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if address.lower().startswith("busy"):
            self.note("deferred", address)
            return "451 4.2.1 <%s>: mailbox busy, try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        rcpt = ",".join(envelope.rcpt_tos)
        self.note("data", rcpt)
        await asyncio.sleep(self.delay)
        # `server` is the connection's SMTP protocol object.
        transport = getattr(server, "transport", None)
        if transport is not None and transport.is_closing():
            self.note("dropped", rcpt)
            return "451 4.3.0 client went away"
        self.maildir.add(envelope.original_content or envelope.content)
        self.note("stored", rcpt)
        return "250 OK"


class AnyPortController(Controller):
    """A Controller that may listen on port 0: the port the kernel gave is read
    back from the bound socket before the controller's own first connection."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--log", default="/dev/stderr")
    args = parser.parse_args()
    handler = SlowHandler(args.maildir, args.delay, args.log)
    controller = AnyPortController(handler, hostname="127.0.0.1", port=args.port)
    controller.start()
    handler.note("ready", controller.port)
    print("ready", controller.port, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    main()
