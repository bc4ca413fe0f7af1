#!/usr/bin/env python3
"""A minimal OTLP/HTTP receiver on loopback, for tests: stores what collectors would get.

    python3 tools/otlp_receiver.py LOG [--port 0] [--fail PATH=STATUS ...] [--fail-times N] [--hang PATH ...]
                                       [--exit-with-stdin]

Prints `listening on http://127.0.0.1:PORT` on its first stdout line once it accepts
connections. Each POST is appended to LOG as one JSON line {"path", "headers", "body"} (the
body as text) and answered 200 with `{"partialSuccess": {}}`, or, for a path named by
--fail PATH=STATUS, with that status and the body `collector says no (STATUS)`; a path named by
--hang is never answered (for timeouts). --fail-times N fails only the first N requests of each
such path (a collector briefly overloaded), each with `Retry-After: 0`.
--exit-with-stdin exits when standard input closes (test runners may block SIGTERM).
"""
import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

args = None
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock, open(args.log, "a", encoding="utf-8") as f:
            f.write(json.dumps({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                "body": body.decode("utf-8", "replace")}) + "\n")
        if self.path in args.hang:
            time.sleep(3600)
        status = args.fail.get(self.path, 200)
        with lock:
            failed = args.failed.get(self.path, 0)
            if status >= 300 and args.fail_times is not None:
                if failed >= args.fail_times:
                    status = 200
                else:
                    args.failed[self.path] = failed + 1
        data = b'{"partialSuccess":{}}' if status < 300 else f"collector says no ({status})\nsecond line".encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if status < 300 else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        if status >= 300 and args.fail_times is not None:
            self.send_header("Retry-After", "0")
        self.end_headers()
        self.wfile.write(data)


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("log")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--fail", action="append", default=[], metavar="PATH=STATUS")
    p.add_argument("--fail-times", type=int, metavar="N", help="fail only the first N requests of a --fail path")
    p.add_argument("--hang", action="append", default=[], metavar="PATH")
    p.add_argument("--exit-with-stdin", action="store_true", help="exit when standard input closes")
    args = p.parse_args()
    args.fail = {path: int(status) for path, status in (f.rsplit("=", 1) for f in args.fail)}
    args.failed = {}
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    if args.exit_with_stdin:
        threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
