#!/usr/bin/env python3
"""Local HTTPS fixture server for the gateway tests and demo (stdlib only).

    fixture_server.py --root DIR --cert CRT --key KEY --port-file FILE
                      [--host 127.0.0.1] [--port 0] [--request-log FILE]
                      [--client-ca FILE] [--tls-max 1.2|1.3]
                      [--require-header "Name: value" ...]
                      [--flaky 'REGEX:N:STATUS' ...] [--latency SECONDS]

GET path P with query Q serves ROOT + P + (".skip<N>" if Q has $skip=N)
+ ".json"; when that does not exist but ROOT + P is a regular file, that
file as is; else 404 with a small JSON body. Other query parameters are
ignored. Every "{BASE}" in a served body becomes "https://<Host header>".
With --require-header (repeatable), a request lacking any of those headers
(name case-insensitive, value exact) gets 401 with a JSON error body, like
an API that wants a key; the header's value is never logged.
With --flaky REGEX:N:STATUS (repeatable), the first N requests whose path
(plus "?" and the raw query when there is one) matches REGEX (re.search)
get STATUS with a JSON error body (429 and 503 also carry Retry-After: 1);
later ones are served normally. Each rule counts on its own, across all
paths it matches, so "TypedDataSet\?.*skip=200:2:500" fails exactly that
page twice: a client that retries must get it on the third try. STATUS
may also name a fault, so one page of a paged table fails mid-run the way
a fault route does (the page's own query is passed on, so trickle gets
its defaults):
  hang, trickle, short, endless, gzip-bomb, html200  as /_fault/<name>
  redirect-http    302 to the same path and query over http://
  redirect-host    302 to the same path and query on https://localhost
                   (another host name for the same server and certificate)
  other-table      the page as a different table would serve it: every
                   topic column (a key ending in _<digits>) renamed and
                   odata.metadata naming table 99999NED
  new-values       the page with every numeric topic value plus 1000, as
                   if the table was republished between two pages
With --latency S, every answer to a request (not a fault route) waits S
seconds before its status line, the time a remote server takes to answer
(the benchmark's parallel sources use it; tests do not).
Responses carry a strong ETag and Last-Modified; If-None-Match (or, without
it, If-Modified-Since) gives 304; Accept-Encoding: gzip gives a gzip body.

Fault routes (for transport tests):
  /_fault/status/<code>      that status, JSON body
  /_fault/retry-after/<s>    429 with Retry-After: s
  /_fault/hang               read the request, never answer
  /_fault/trickle            200, body at 1 byte/s (?n=bytes&interval=s)
  /_fault/short              Content-Length: 1000, 10 bytes, then close
  /_fault/endless            chunked body that never ends
  /_fault/gzip-bomb          gzip of ~1 GiB zeros (?mib=N), made on the fly
  /_fault/redirect?to=URL    302 to URL
  /_fault/html200            200 text/html error page
  /_fault/big/<n>            n bytes of valid JSON {"pad":"xxx..."}

Every request is appended to --request-log as one JSON line with method,
path, query, status, bytes, if_none_match, traceparent, user_agent (and
time, client_subject). Streaming fault responses are logged when they
start, so a client that gives up can find its request in the log at once.

The port is written to --port-file (atomically) only once the socket
listens. SIGTERM/SIGINT stop the server, and so does the death of the
process that started it (unless --no-exit-with-parent); every connection
thread is a daemon and the slow routes watch the stop flag, so nothing
outlives it. Nothing is written to stdout, and stdout is released.
"""

import argparse
import email.utils
import hashlib
import http.server
import json
import os
import re
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import zlib

STOP = threading.Event()

CHUNK = 64 * 1024
HANDSHAKE_TIMEOUT = 10.0
IDLE_TIMEOUT = 60.0
MAX_REQUEST_BODY = 1 << 20

CONTENT_TYPES = {
    ".json": "application/json; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".xsd": "application/xml; charset=utf-8",
}


class ClientGone(Exception):
    """The peer closed the connection or the server is stopping."""


class RequestLog:
    def __init__(self, path):
        self._lock = threading.Lock()
        self._file = open(path, "a", encoding="utf-8") if path else None

    def write(self, record):
        if not self._file:
            return
        line = json.dumps(record, ensure_ascii=False, sort_keys=True)
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def close(self):
        with self._lock:
            if self._file:
                self._file.close()
                self._file = None


# ---- gzip bomb: ~1 GiB of zeros compresses to ~1 MiB -----------------------
#
# Compressing a whole GiB per request would burn seconds of CPU. After a
# full flush deflate restarts from an empty window, so every further 1 MiB
# block of zeros compresses to the same bytes: compress one block once and
# repeat it, then add the gzip header and a trailer with the real CRC-32
# and length. Verified at first use; falls back to honest compression.

_BOMB_LOCK = threading.Lock()
_BOMB_BLOCK = 1 << 20
_bomb_unit = None
_bomb_finish = None
_bomb_crc = {}


def _bomb_parts():
    global _bomb_unit, _bomb_finish
    with _BOMB_LOCK:
        if _bomb_unit is None:
            zeros = bytes(_BOMB_BLOCK)
            comp = zlib.compressobj(9, zlib.DEFLATED, -15)
            first = comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH)
            second = comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH)
            finish = comp.flush(zlib.Z_FINISH)
            if first == second:
                _bomb_unit, _bomb_finish = first, finish
            else:
                _bomb_unit, _bomb_finish = b"", b""
        return _bomb_unit, _bomb_finish


def _bomb_crc32(blocks):
    with _BOMB_LOCK:
        if blocks not in _bomb_crc:
            zeros = bytes(_BOMB_BLOCK)
            crc = 0
            for _ in range(blocks):
                crc = zlib.crc32(zeros, crc)
            _bomb_crc[blocks] = crc
        return _bomb_crc[blocks]


def gzip_bomb_chunks(blocks):
    unit, finish = _bomb_parts()
    if not unit:
        comp = zlib.compressobj(9, zlib.DEFLATED, 31)
        zeros = bytes(_BOMB_BLOCK)
        for _ in range(blocks):
            out = comp.compress(zeros)
            if out:
                yield out
        yield comp.flush()
        return
    # gzip header: magic, deflate, no flags, mtime 0, no extra flags, unix
    yield b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"
    for _ in range(blocks):
        yield unit
    crc = _bomb_crc32(blocks)
    size = (blocks * _BOMB_BLOCK) & 0xFFFFFFFF
    yield finish + crc.to_bytes(4, "little") + size.to_bytes(4, "little")


# ---- the handler -------------------------------------------------------------


def json_body(obj):
    return (json.dumps(obj) + "\n").encode("utf-8")


# (file, mtime_ns, size, base URL) -> ETag of the served body.
ETAG_CACHE = {}
ETAG_CACHE_LOCK = threading.Lock()


def strong_etag(body):
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(header, etag):
    if header is None:
        return False
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*":
            return True
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate == etag:
            return True
    return False


def accepts_gzip(header):
    if not header:
        return False
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        if fields[0].lower() not in ("gzip", "x-gzip", "*"):
            continue
        q = 1.0
        for param in fields[1:]:
            if param.lower().startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        return q > 0.0
    return False


def content_type_for(path):
    return CONTENT_TYPES.get(os.path.splitext(path)[1].lower(),
                             "application/octet-stream")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GatewayFixture/1.0"
    timeout = IDLE_TIMEOUT

    # -- plumbing --

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("fixture: " + (fmt % args) + "\n")

    def handle(self):
        try:
            super().handle()
        except (ClientGone, OSError, ssl.SSLError, ValueError):
            # A client that hangs up, times out or sends garbage ends its
            # own connection, never the server.
            self.close_connection = True

    def write(self, data):
        if STOP.is_set():
            raise ClientGone()
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError as exc:
            raise ClientGone() from exc

    def log_request_record(self, status, nbytes):
        split = urllib.parse.urlsplit(self.path)
        record = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "method": self.command,
            "path": urllib.parse.unquote(split.path),
            "query": urllib.parse.unquote(split.query),
            "status": status,
            "bytes": nbytes,
            "if_none_match": self.headers.get("If-None-Match"),
            "traceparent": self.headers.get("traceparent"),
            "user_agent": self.headers.get("User-Agent"),
            "client_subject": self.server.client_subject(self.connection),
        }
        self.server.request_log.write(record)

    def send_head(self, status, headers):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()

    def send_whole(self, status, body, content_type, extra=()):
        """A complete response with Content-Length (no body for HEAD)."""
        headers = [("Content-Type", content_type),
                   ("Content-Length", str(len(body)))]
        headers.extend(extra)
        self.send_head(status, headers)
        sent = 0
        if self.command != "HEAD" and status not in (204, 304):
            self.write(body)
            sent = len(body)
        self.log_request_record(status, sent)

    def send_json_error(self, status, message, extra=()):
        body = json_body({"error": {"code": status, "message": message}})
        self.send_whole(status, body, "application/json; charset=utf-8",
                        extra)

    def pause(self, seconds):
        if STOP.wait(seconds):
            raise ClientGone()

    # -- methods --

    def do_GET(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def refuse_method(self):
        length = self.headers.get("Content-Length")
        try:
            remaining = int(length) if length else 0
        except ValueError:
            remaining = -1
        if remaining < 0 or remaining > MAX_REQUEST_BODY:
            self.close_connection = True
        else:
            while remaining > 0:
                data = self.rfile.read(min(remaining, CHUNK))
                if not data:
                    raise ClientGone()
                remaining -= len(data)
        self.send_json_error(405, "only GET and HEAD are served",
                             [("Allow", "GET, HEAD")])

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = refuse_method

    def missing_required_header(self):
        for name, value in self.server.required_headers:
            sent = [v.strip() for v in self.headers.get_all(name, [])]
            if value not in sent:
                return name
        return None

    def dispatch(self):
        split = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(split.path)
        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        missing = self.missing_required_header()
        flaky = None
        if self.server.latency > 0 and not path.startswith("/_fault/"):
            self.pause(self.server.latency)
        if missing is None and not path.startswith("/_fault/"):
            flaky = self.server.take_flaky(
                path + ("?" + urllib.parse.unquote(split.query)
                        if split.query else ""))
        if missing is not None:
            self.send_json_error(401, "missing or wrong %s header" % missing)
        elif path.startswith("/_fault/"):
            self.fault(path[len("/_fault/"):], query)
        elif isinstance(flaky, str):
            self.flaky_fault(flaky, path, split.query, query)
        elif flaky is not None:
            extra = [("Retry-After", "1")] if flaky in (429, 503) else []
            self.send_json_error(flaky, "flaky: failing on purpose", extra)
        else:
            self.serve_file(path, query)

    # -- faults injected into fixture paths (--flaky REGEX:N:<fault>) --

    def flaky_fault(self, kind, path, raw_query, query):
        target = urllib.parse.quote(path) + ("?" + raw_query
                                             if raw_query else "")
        port = self.server.server_address[1]
        if kind == "redirect-http":
            self.fault_redirect("", {"to": ["http://127.0.0.1:%d%s" %
                                            (port, target)]})
        elif kind == "redirect-host":
            self.fault_redirect("", {"to": ["https://localhost:%d%s" %
                                            (port, target)]})
        elif kind in MUTATIONS:
            self.serve_file(path, query, MUTATIONS[kind])
        else:
            self.fault(kind, {})

    # -- fixture files --

    def resolve(self, path, query):
        root = self.server.root
        parts = [p for p in path.split("/") if p]
        if any(p in (".", "..") or "\0" in p for p in parts):
            return None
        base = os.path.join(root, *parts) if parts else root
        skip = None
        for value in query.get("$skip", []):
            if value.isdigit():
                skip = int(value)
        candidates = []
        if skip is not None:
            candidates.append(base + ".skip%d.json" % skip)
            if skip == 0:
                candidates.append(base + ".json")
        else:
            candidates.append(base + ".json")
        candidates.append(base)
        for candidate in candidates:
            real = os.path.realpath(candidate)
            if not (real == root or real.startswith(root + os.sep)):
                continue
            if os.path.isfile(real):
                return real
        return None

    def base_url(self):
        host = self.headers.get("Host")
        if not host:
            host = "%s:%d" % (self.server.server_address[0],
                              self.server.server_address[1])
        return "https://" + host

    def serve_file(self, path, query, mutate=None):
        file = self.resolve(path, query)
        if file is None:
            self.send_json_error(404, "no fixture for %s" % path)
            return
        try:
            st = os.stat(file)
        except OSError as exc:
            self.send_json_error(500, "cannot read fixture: %s" % exc)
            return
        mtime = st.st_mtime
        last_modified = email.utils.formatdate(mtime, usegmt=True)
        # A revalidation of an unchanged file is answered from the ETag
        # cache without reading it: national-scale pages are 12 MB each,
        # and hashing them would make the server the slowest part of a
        # "nothing changed" benchmark.
        cache_key = (file, st.st_mtime_ns, st.st_size, self.base_url())
        etag = ETAG_CACHE.get(cache_key) if mutate is None else None
        if etag is not None and self.not_modified(etag, mtime):
            self.send_head(304, [("ETag", etag),
                                 ("Last-Modified", last_modified),
                                 ("Vary", "Accept-Encoding")])
            self.log_request_record(304, 0)
            return
        try:
            with open(file, "rb") as f:
                body = f.read()
        except OSError as exc:
            self.send_json_error(500, "cannot read fixture: %s" % exc)
            return
        body = body.replace(b"{BASE}", self.base_url().encode("utf-8"))
        if mutate is not None:
            body = mutate(body)
        etag = strong_etag(body)
        if mutate is None:
            with ETAG_CACHE_LOCK:
                ETAG_CACHE[cache_key] = etag
        validators = [("ETag", etag), ("Last-Modified", last_modified),
                      ("Vary", "Accept-Encoding")]
        if self.not_modified(etag, mtime):
            self.send_head(304, validators)
            self.log_request_record(304, 0)
            return
        if accepts_gzip(self.headers.get("Accept-Encoding")):
            body = self.gzip(body)
            validators.append(("Content-Encoding", "gzip"))
        self.send_whole(200, body, content_type_for(file), validators)

    @staticmethod
    def gzip(body):
        comp = zlib.compressobj(6, zlib.DEFLATED, 31)
        return comp.compress(body) + comp.flush()

    def not_modified(self, etag, mtime):
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return etag_matches(inm, etag)
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError, IndexError, OverflowError):
                return False
            return int(mtime) <= since
        return False

    # -- fault routes --

    def fault(self, route, query):
        name, _, arg = route.partition("/")
        handler = {
            "status": self.fault_status,
            "retry-after": self.fault_retry_after,
            "hang": self.fault_hang,
            "trickle": self.fault_trickle,
            "short": self.fault_short,
            "endless": self.fault_endless,
            "gzip-bomb": self.fault_gzip_bomb,
            "redirect": self.fault_redirect,
            "html200": self.fault_html200,
            "big": self.fault_big,
        }.get(name)
        if handler is None:
            self.send_json_error(404, "unknown fault route %s" % route)
            return
        handler(arg, query)

    @staticmethod
    def int_arg(text, low, high):
        if not text.isdigit():
            return None
        value = int(text)
        return value if low <= value <= high else None

    def fault_status(self, arg, query):
        code = self.int_arg(arg, 200, 599)
        if code is None:
            self.send_json_error(400, "status must be 200..599, got %r" % arg)
            return
        body = json_body({"error": {"code": code,
                                    "message": "fault route status %d" % code}})
        if code in (204, 304):
            self.send_head(code, [])
            self.log_request_record(code, 0)
            return
        self.send_whole(code, body, "application/json; charset=utf-8")

    def fault_retry_after(self, arg, query):
        seconds = self.int_arg(arg, 0, 10 ** 9)
        if seconds is None:
            self.send_json_error(400, "retry-after needs seconds, got %r" % arg)
            return
        self.send_json_error(429, "too many requests",
                             [("Retry-After", str(seconds))])

    def fault_hang(self, arg, query):
        self.log_request_record(None, 0)
        self.close_connection = True
        STOP.wait()
        raise ClientGone()

    def fault_trickle(self, arg, query):
        n = self.int_arg(query.get("n", ["1000"])[0], 2, 10 ** 9) or 1000
        try:
            interval = float(query.get("interval", ["1"])[0])
        except ValueError:
            interval = 1.0
        interval = max(0.0, interval)
        body = b'"' + b"x" * (n - 2) + b'"'
        self.send_head(200, [("Content-Type", "application/json"),
                             ("Content-Length", str(n))])
        self.log_request_record(200, n)
        for i in range(n):
            self.write(body[i:i + 1])
            self.pause(interval)

    def fault_short(self, arg, query):
        self.send_head(200, [("Content-Type", "application/json"),
                             ("Content-Length", "1000")])
        self.log_request_record(200, 10)
        self.write(b'{"value":1')
        self.close_connection = True

    def write_chunk(self, data):
        self.write(b"%x\r\n" % len(data) + data + b"\r\n")

    def fault_endless(self, arg, query):
        self.send_head(200, [("Content-Type", "application/json"),
                             ("Transfer-Encoding", "chunked")])
        self.log_request_record(200, None)
        self.close_connection = True
        self.write_chunk(b'{"value":[')
        piece = b"0," * (CHUNK // 2)
        while True:
            self.write_chunk(piece)

    def fault_gzip_bomb(self, arg, query):
        mib = self.int_arg(query.get("mib", ["1024"])[0], 1, 1 << 16) or 1024
        self.send_head(200, [("Content-Type", "application/json"),
                             ("Content-Encoding", "gzip"),
                             ("Transfer-Encoding", "chunked")])
        self.log_request_record(200, None)
        if self.command == "HEAD":
            return
        self.close_connection = True
        for chunk in gzip_bomb_chunks(mib):
            if chunk:
                self.write_chunk(chunk)
        self.write(b"0\r\n\r\n")

    def fault_redirect(self, arg, query):
        target = query.get("to", [""])[0]
        if not target:
            self.send_json_error(400, "redirect needs ?to=URL")
            return
        body = json_body({"redirect": target})
        self.send_whole(302, body, "application/json; charset=utf-8",
                        [("Location", target)])

    def fault_html200(self, arg, query):
        body = (b"<!DOCTYPE html>\n<html><head><title>Storing</title></head>"
                b"<body><h1>Er is een fout opgetreden</h1>"
                b"<p>De service is tijdelijk niet beschikbaar.</p>"
                b"</body></html>\n")
        self.send_whole(200, body, "text/html; charset=utf-8")

    def fault_big(self, arg, query):
        n = self.int_arg(arg, 10, 1 << 40)
        if n is None:
            self.send_json_error(400, "big needs a size >= 10, got %r" % arg)
            return
        self.send_head(200, [("Content-Type", "application/json"),
                             ("Content-Length", str(n))])
        self.log_request_record(200, n)
        if self.command == "HEAD":
            return
        self.write(b'{"pad":"')
        remaining = n - 10
        block = b"x" * CHUNK
        while remaining > 0:
            take = min(remaining, CHUNK)
            self.write(block[:take])
            remaining -= take
        self.write(b'"}')


class FixtureServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address, context, root, request_log, verbose,
                 required_headers=(), flaky=(), latency=0.0):
        self.context = context
        self.latency = latency
        self.flaky = [[regex, left, status] for regex, left, status in flaky]
        self.flaky_lock = threading.Lock()
        self.required_headers = list(required_headers)
        self.root = os.path.realpath(root)
        self.request_log = request_log
        self.verbose = verbose
        super().__init__(address, Handler)

    def finish_request(self, request, client_address):
        """Runs on the connection's own thread: the TLS handshake happens
        here, so a slow or silent client never blocks accept()."""
        conn = None
        try:
            request.settimeout(HANDSHAKE_TIMEOUT)
            conn = self.context.wrap_socket(request, server_side=True)
            conn.settimeout(None)
            self.RequestHandlerClass(conn, client_address, self)
        except (OSError, ssl.SSLError, ClientGone) as exc:
            if self.verbose:
                sys.stderr.write("fixture: connection from %s: %s\n" %
                                 (client_address[0], exc))
        finally:
            if conn is not None:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()

    def take_flaky(self, target):
        with self.flaky_lock:
            for rule in self.flaky:
                if rule[1] > 0 and rule[0].search(target):
                    rule[1] -= 1
                    return rule[2]
        return None

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)

    @staticmethod
    def client_subject(conn):
        try:
            cert = conn.getpeercert()
        except (AttributeError, ValueError, OSError):
            return None
        if not cert:
            return None
        parts = []
        for rdn in cert.get("subject", ()):
            for key, value in rdn:
                parts.append("%s=%s" % (key, value))
        return ",".join(parts)


def make_context(args):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if args.tls_max == "1.2":
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(args.cert, args.key)
    if args.client_ca:
        context.load_verify_locations(cafile=args.client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def write_port_file(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%d\n" % port)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def detach_stdout():
    """Nothing is printed on stdout; let go of it so a caller that started
    the server inside $(...) is not left waiting for the pipe to close."""
    sys.stdout.flush()
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.close(null)


# --flaky fault names other than a status (see the module docstring).
FAULT_KINDS = ("hang", "trickle", "short", "endless", "gzip-bomb", "html200",
               "redirect-http", "redirect-host", "other-table", "new-values")

TOPIC_COLUMN = re.compile(r"_\d+$")


def mutate_rows(body, change_row, metadata=None):
    """The OData page body with change_row applied to each row of "value"."""
    doc = json.loads(body.decode("utf-8"))
    rows = doc.get("value")
    if isinstance(rows, list):
        doc["value"] = [change_row(r) if isinstance(r, dict) else r
                        for r in rows]
    if metadata is not None and "odata.metadata" in doc:
        doc["odata.metadata"] = re.sub(r"/odata/[^/]+/",
                                       "/odata/%s/" % metadata,
                                       doc["odata.metadata"])
    return json_body(doc)


def rename_topics(row):
    return {(k[:k.rindex("_")] + "Gewijzigd" + k[k.rindex("_"):]
             if TOPIC_COLUMN.search(k) else k): v for k, v in row.items()}


def shift_values(row):
    return {k: (v + 1000 if TOPIC_COLUMN.search(k) and
                isinstance(v, (int, float)) and not isinstance(v, bool)
                else v) for k, v in row.items()}


MUTATIONS = {
    "other-table": lambda body: mutate_rows(body, rename_topics, "99999NED"),
    "new-values": lambda body: mutate_rows(body, shift_values),
}


def parse_flaky(spec):
    """REGEX:N:STATUS (split from the right: the regex may hold ':')."""
    parts = spec.rsplit(":", 2)
    if len(parts) != 3 or not parts[0]:
        return None
    try:
        regex = re.compile(parts[0])
        count = int(parts[1])
        status = parts[2] if parts[2] in FAULT_KINDS else int(parts[2])
    except (re.error, ValueError):
        return None
    if count < 1 or not (isinstance(status, str) or 100 <= status <= 599):
        return None
    return (regex, count, status)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--root", required=True, help="fixture directory")
    p.add_argument("--cert", required=True, help="server certificate (PEM)")
    p.add_argument("--key", required=True, help="server key (PEM)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0: any free port")
    p.add_argument("--port-file", required=True,
                   help="written with the bound port once listening")
    p.add_argument("--request-log", help="append one JSON line per request")
    p.add_argument("--client-ca",
                   help="require a client certificate issued by this CA")
    p.add_argument("--tls-max", choices=("1.2", "1.3"), default="1.3")
    p.add_argument("--require-header", action="append", default=[],
                   metavar="'NAME: VALUE'",
                   help="answer 401 to every request without this header "
                   "(repeatable)")
    p.add_argument("--flaky", action="append", default=[],
                   metavar="REGEX:N:STATUS",
                   help="answer STATUS to the first N requests whose path "
                   "and query match REGEX (repeatable)")
    p.add_argument("--latency", type=float, default=0.0, metavar="SECONDS",
                   help="wait this long before answering each request, "
                   "like a remote server (default 0)")
    p.add_argument("--no-exit-with-parent", dest="exit_with_parent",
                   action="store_false",
                   help="keep serving when the starting process is gone "
                   "(default: stop, so a crashed test leaves no server)")
    p.add_argument("--verbose", action="store_true")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    if not os.path.isdir(args.root):
        sys.stderr.write("fixture_server: --root %s is not a directory\n" %
                         args.root)
        return 2
    try:
        context = make_context(args)
    except (OSError, ssl.SSLError) as exc:
        sys.stderr.write("fixture_server: TLS setup failed: %s\n" % exc)
        return 2
    required = []
    for spec in args.require_header:
        name, sep, value = spec.partition(":")
        if not sep or not name.strip() or not value.strip():
            sys.stderr.write("fixture_server: --require-header %r must look "
                             "like 'Name: value'\n" % spec)
            return 2
        required.append((name.strip(), value.strip()))
    flaky = []
    for spec in args.flaky:
        rule = parse_flaky(spec)
        if rule is None:
            sys.stderr.write("fixture_server: --flaky %r must look like "
                             "'REGEX:N:STATUS' (N >= 1, STATUS 100..599 "
                             "or one of %s, REGEX a Python regular "
                             "expression)\n" % (spec, ", ".join(FAULT_KINDS)))
            return 2
        flaky.append(rule)
    if not 0.0 <= args.latency <= 60.0:
        sys.stderr.write("fixture_server: --latency must be 0..60 seconds\n")
        return 2
    request_log = RequestLog(args.request_log)
    try:
        server = FixtureServer((args.host, args.port), context, args.root,
                               request_log, args.verbose, required, flaky,
                               args.latency)
    except OSError as exc:
        sys.stderr.write("fixture_server: cannot listen on %s:%d: %s\n" %
                         (args.host, args.port, exc))
        return 2

    def stop(signum, frame):
        STOP.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    loop = threading.Thread(target=server.serve_forever,
                            kwargs={"poll_interval": 0.2}, daemon=True)
    loop.start()
    write_port_file(args.port_file, server.server_address[1])
    detach_stdout()
    parent = os.getppid()
    while not STOP.wait(0.5):
        if args.exit_with_parent and parent != 1 and os.getppid() != parent:
            break
    # No server.shutdown(): it waits a poll interval for the accept loop,
    # and every test pays that. Connection threads may sit in blocking
    # socket calls; they are daemons holding nothing worth saving (each log
    # line is flushed as written), so close what matters and leave.
    request_log.close()
    server.socket.close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
