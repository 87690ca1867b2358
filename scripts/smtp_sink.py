"""A local SMTP sink for the demo: every message received is written as an
.eml file in the given folder. Nothing is relayed anywhere.

With ``--index FILE``, one JSON line per accepted message is also appended to
FILE (flushed at once): ``{"time": <time.time() when accepted>, "to": [the
envelope recipients], "file": <the .eml file's name>}``; the live benchmarks
(bench/live.py) read it."""

import argparse
import asyncio
import json
import logging
import time
from pathlib import Path

from aiosmtpd.controller import Controller

_logger = logging.getLogger("smtp_sink")


class EmlWriter:
    def __init__(self, folder, index=None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.counter = 0
        self.index = Path(index) if index else None

    async def handle_DATA(self, server, session, envelope):
        self.counter += 1
        path = self.folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{self.counter:05d}.eml"
        path.write_bytes(envelope.original_content or envelope.content)
        if self.index:
            line = {"time": time.time(), "to": list(envelope.rcpt_tos), "file": path.name}
            # opened per message: each line is complete on disk once accepted
            with self.index.open("a", encoding="utf-8") as index:
                index.write(json.dumps(line) + "\n")
        _logger.info("mail to %s saved as %s", ", ".join(envelope.rcpt_tos), path.name)
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--folder", default="var/mail")
    parser.add_argument("--index", help="append one JSON line per accepted message to this file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s smtp_sink: %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-connection chatter
    controller = Controller(
        EmlWriter(args.folder, args.index), hostname="127.0.0.1", port=args.port
    )
    controller.start()
    _logger.info("listening on 127.0.0.1:%s, writing to %s", args.port, args.folder)
    try:
        asyncio.run(asyncio.Event().wait())
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
