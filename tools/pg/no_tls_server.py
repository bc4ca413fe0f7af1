#!/usr/bin/env python3
"""A stand-in for a PostgreSQL server without TLS (ssl=off), for the TLS tests: it refuses every
TLS request ('N', as such a server does) and answers every plain startup with an error naming
itself, so a client's TLS fallback can be seen without a second real server.

    python3 tools/pg/no_tls_server.py [--log FILE]

Prints `listening on postgres://planj@127.0.0.1:PORT/none` on stdout once it accepts connections,
then serves until its standard input closes. --log appends one line per request received
(`{"request": "ssl"}` or `{"request": "startup"}`).
"""
import argparse
import os
import socket
import struct
import sys
import threading

SSL_REQUEST = 80877103


def read_exactly(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def serve(conn, log):
    with conn:
        while True:
            head = read_exactly(conn, 8)
            if head is None:
                return
            length, code = struct.unpack("!ii", head)
            if length > 8 and read_exactly(conn, length - 8) is None:
                return
            if code == SSL_REQUEST:
                log("ssl")
                conn.sendall(b"N")
                continue
            log("startup")
            fields = b"SFATAL\0VFATAL\0C28000\0Mno_tls_server.py: plain startup received, no TLS here\0\0"
            conn.sendall(b"E" + struct.pack("!i", 4 + len(fields)) + fields)
            return


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--log")
    args = p.parse_args()
    lock = threading.Lock()

    def log(what):
        if args.log:
            with lock, open(args.log, "a") as f:
                f.write('{"request": "%s"}\n' % what)

    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    print(f"listening on postgres://planj@127.0.0.1:{server.getsockname()[1]}/none", flush=True)
    # Stop when whoever started us goes away (closes our stdin), even if SIGTERM is blocked.
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn, log), daemon=True).start()


if __name__ == "__main__":
    main()
