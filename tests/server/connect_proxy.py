#!/usr/bin/env python3
"""A minimal HTTP CONNECT proxy for tests (stdlib only).

Accepts `CONNECT host:port HTTP/1.1`, opens a TCP connection to that
target, answers `200 Connection established` and tunnels bytes both ways
without looking at them (TLS stays end to end between client and origin).
Any other method gets 405. Each CONNECT target is appended to --log as
one line "CONNECT host:port". Writes the bound port to --port-file once
listening; stops on SIGTERM/SIGINT.
"""

import argparse
import os
import select
import signal
import socket
import socketserver
import sys
import threading

MAX_HEADER = 16384


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        client = self.request
        client.settimeout(10)
        head = b""
        try:
            while b"\r\n\r\n" not in head and len(head) < MAX_HEADER:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
        except OSError:
            return
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split()
        if len(parts) != 3 or parts[0] != "CONNECT":
            client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\n"
                           b"Content-Length: 0\r\nConnection: close\r\n\r\n")
            return
        target = parts[1]
        self.server.log_line("CONNECT " + target)
        host, _, port = target.rpartition(":")
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port)),
                                                timeout=10)
        except (OSError, ValueError):
            client.sendall(b"HTTP/1.1 502 Bad Gateway\r\n"
                           b"Content-Length: 0\r\nConnection: close\r\n\r\n")
            return
        with upstream:
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            rest = head.split(b"\r\n\r\n", 1)[1]
            if rest:
                upstream.sendall(rest)
            self.tunnel(client, upstream)

    @staticmethod
    def tunnel(a, b):
        a.settimeout(None)
        b.settimeout(None)
        peers = {a: b, b: a}
        while True:
            readable, _, _ = select.select(list(peers), [], [], 60)
            if not readable:
                return
            for s in readable:
                try:
                    data = s.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                try:
                    peers[s].sendall(data)
                except OSError:
                    return


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, log_path):
        super().__init__(addr, Handler)
        self.log_path = log_path
        self.log_lock = threading.Lock()

    def log_line(self, line):
        if not self.log_path:
            return
        with self.log_lock, open(self.log_path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", default=None)
    args = ap.parse_args()

    server = Server((args.host, args.port), args.log)

    def stop(_signum, _frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, args.port_file)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
