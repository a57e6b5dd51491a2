#!/usr/bin/env bash
# gateway serve refuses what it must, with clear JSON bodies: 401 without
# or with a wrong credential, 403 for a certificate not on the allow-list
# and for indicators a client may not read, 429 with Retry-After over the
# rate limit, 400 for bad parameters, 404 for path traversal in
# /v1/feeds/<name>, 405 for writes, 406 for unknown media types; a
# certificate from another CA never gets past the handshake. Every
# refusal is logged. At max_connections the server stops accepting, and
# without a writable exchange log it answers nothing but 503.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
cd "$WORK"

serve_fill_store
serve_configure
"$PYTHON" - "$WORK/clients.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["clients"][1]["rate_limit"] = {"requests_per_second": 1, "burst": 2}
json.dump(c, open(sys.argv[1], "w"))
PY
serve_start

# expect STATUS MESSAGE_PART: the last answer was STATUS with a JSON error
# body {"error":{"status":STATUS,"message":...}} containing MESSAGE_PART.
expect() {
  local got=$1 status=$2 part=$3 what=$4
  assert_eq "$got" "$status" "$what"
  assert_eq "$(json_get body "d['error']['status']")" "$status" "$what: status in the body"
  assert_contains "$(error_message)" "$part" "$what: message"
  assert_eq "$(header Cache-Control)" no-store "$what: Cache-Control"
}

# ---- 401 ------------------------------------------------------------------
expect "$(req "$BASE/v1/observations")" 401 "authentication required" "no credentials"
assert_eq "$(header WWW-Authenticate)" 'Bearer realm="indicator-gateway"' "WWW-Authenticate"
expect "$(req -H 'Authorization: Bearer not-a-known-token' "$BASE/v1/indicators")" 401 \
  "not known to this gateway" "an unknown token"
assert_contains "$(header WWW-Authenticate)" 'error="invalid_token"'
expect "$(req -H 'Authorization: Basic dXNlcjpwdw==' "$BASE/v1/indicators")" 401 \
  "must be 'Bearer <token>'" "another scheme"
expect "$(req -H "Authorization: Bearer $(sha256_text "$TOKEN_ALL")" "$BASE/v1/indicators")" 401 \
  "not known" "the token's hash instead of the token"
expect "$(req "$BASE/v1/feeds/indicators")" 401 "authentication required" "a feed without credentials"
expect "$(req "$BASE/v1/no-such-thing")" 401 "authentication required" "unknown paths ask for credentials first"
pass "401 with WWW-Authenticate: no credential, unknown token, wrong scheme, hash as token"

# ---- 403 ------------------------------------------------------------------
stranger=$(cert_sha256 certs/stranger.crt | tr -d ':' | tr 'A-F' 'a-f')
expect "$(req --cert certs/stranger.crt --key certs/stranger.key "$BASE/v1/indicators")" 403 \
  "$stranger" "a certificate from the CA but not on the allow-list"
expect "$(as_some '/v1/observations?indicator=bijstand_per_10k,wmo_clienten_per_10k,banen_per_1000,netto_participatie_pct')" 403 \
  "may not read indicator(s): wmo_clienten_per_10k, netto_participatie_pct" "forbidden indicators"
expect "$(as_some /v1/feeds/indicators)" 403 "holds every indicator" "a feed with all indicators"
expect "$(as_some '/v1/monitor')" 403 "covers every indicator" "the monitor report"
assert_eq "$(as_some '/v1/observations?indicator=bijstand_per_10k&limit=1')" 200 "an allowed indicator"
# A certificate from another CA fails the handshake: nothing is served.
rc=0
code=$(curl -sS --cacert "$CA" --cert certs/untrusted-server.crt --key certs/untrusted-server.key \
  -o /dev/null -w '%{http_code}' "$BASE/v1/health" 2>curl.err) || rc=$?
[ "$rc" -ne 0 ] || fail "a certificate from another CA got an answer ($code)"
pass "403 names the certificate or the indicators; a foreign CA's certificate fails the handshake"

# ---- 429 ------------------------------------------------------------------
limited() { req --cert certs/limited.crt --key certs/limited.key "$BASE$1"; }
assert_eq "$(limited /v1/indicators)" 200 "limited client, first request"
got429=0
for i in $(seq 1 40); do
  code=$(limited /v1/indicators)
  if [ "$code" = 429 ]; then
    got429=1
    break
  fi
  assert_eq "$code" 200 "limited client, request $i"
done
[ "$got429" = 1 ] || fail "no 429 after 40 requests at burst 2, 1/s"
assert_contains "$(error_message)" "client limited is over its rate limit"
retry=$(header Retry-After)
[ "$retry" -ge 1 ] || fail "Retry-After '$retry'"
sleep "$retry"
assert_eq "$(limited /v1/indicators)" 200 "after waiting Retry-After"
assert_eq "$(as_all /v1/indicators)" 200 "another client is not limited by it"
pass "429 with Retry-After once the bucket is empty; served again after waiting"

# ---- 400 / 406 -------------------------------------------------------------
expect "$(as_all '/v1/observations?limit=0')" 400 "'0' is not a whole number from 1 to 10000" "limit=0"
expect "$(as_all '/v1/observations?limit=many')" 400 "'many' is not a whole number" "limit=many"
expect "$(as_all '/v1/observations?colour=red')" 400 "unknown query parameter 'colour'" "unknown parameter"
expect "$(as_all '/v1/observations?period_from=gisteren')" 400 "is not a period such as 2022" "bad period"
expect "$(as_all '/v1/observations?as_of=yesterday')" 400 "RFC 3339" "bad as_of"
expect "$(as_all '/v1/observations?cursor=bm90LWEtY3Vyc29y')" 400 "not a cursor this server handed out" "forged cursor"
expect "$(as_all '/v1/observations?indicator=no_such_indicator')" 400 "is not in the catalogue" "unknown indicator"
expect "$(as_all '/v1/observations?indicator=%zz')" 400 "escape" "bad escape"
expect "$(as_all '/v1/observations?format=yaml')" 400 "'yaml' is not offered here" "unknown format"
expect "$(as_all '/v1/indicators?limit=5')" 400 "this endpoint takes: format" "a parameter of another endpoint"
expect "$(as_all '/v1/observations' -H 'Accept: image/png')" 406 "offered: json, xml, csv, sdmx" "Accept without a match"
pass "400 names the parameter and what it must be; 406 lists what is offered"

# ---- 405 / 404 and traversal ----------------------------------------------
expect "$(as_all /v1/observations -X POST -d 'x=1')" 405 "read-only" "POST"
assert_eq "$(header Allow)" "GET, HEAD" "Allow"
expect "$(as_all /v1/feeds/indicators -X DELETE)" 405 "method DELETE" "DELETE"
expect "$(as_all /v1/nope)" 404 "no such endpoint" "unknown endpoint"
expect "$(as_all /v1/observations/)" 404 "no such endpoint" "trailing slash"
expect "$(as_all /v1/feeds/nope)" 404 "configured feeds are: indicators" "unknown feed"
for path in "/v1/feeds/../../etc/passwd" "/v1/feeds/%2e%2e" "/v1/feeds/.%2E" \
  "/v1/feeds/..%2f..%2fetc%2fpasswd" "/v1/feeds/%2e%2e%2f%2e%2e%2fgateway.json" \
  "/v1/feeds/indicators%2F..%2F..%2Fgateway.json" "/v1/feeds/..%5c..%5cgateway.json" \
  "/v1/feeds/indicators/../../gateway.json" "/v1/feeds/%00" "/v1/feeds/" \
  "/v1/feeds/data%2fexchange.log"; do
  code=$(as_all "$path" --path-as-is)
  case $code in 400 | 404) ;; *) fail "$path answered $code: $(head -c 200 body)" ;; esac
  grep -q 'root:' body && fail "$path leaked /etc/passwd"
  grep -q '"data_dir"' body && fail "$path leaked the config"
  grep -q '"prev"' body && fail "$path leaked the exchange log"
  [ "$(json_get body "d['error']['status']")" = "$code" ] || fail "$path: no JSON error body"
done
pass "405 with Allow; 404 for unknown endpoints and every traversal attempt on /v1/feeds/"

# Oversized headers are refused by libevent itself (413/400) before they
# reach the server's code; such a request leaves no serve record.
big=$(head -c 20000 /dev/zero | tr '\0' 'a')
code=$(curl -sS --cacert "$CA" -o /dev/null -w '%{http_code}' -H "X-Big: $big" "$BASE/v1/health" || true)
case $code in 400 | 413 | 431 | 000) ;; *) fail "a 20 kB header got $code" ;; esac
pass "request headers beyond 16 KiB are refused ($code)"

serve_stop
n_requests=$(requests_made)
assert_eq "$(serve_records)" "$n_requests" "serve records for $n_requests requests"
gw audit verify >verify.out 2>&1 || fail "audit verify: $(cat verify.out)"
"$PYTHON" - data/exchange.log "$TOKEN_ALL" "$TOKEN_SOME" <<'PY' || fail "refusals are not logged with their reason"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
recs = [r for r in recs if r.get("event") == "serve"]
by = {}
for r in recs:
    by.setdefault(r["http_status"], []).append(r)
for status in (400, 401, 403, 404, 405, 406, 429):
    assert status in by, status
    assert all(r["outcome"] == "refused" and r["error"] for r in by[status]), status
assert any(r["client"] is None for r in by[401])
assert any(r["tls"]["peer_subject"] and "stranger" in r["tls"]["peer_subject"] for r in by[403])
text = open(sys.argv[1]).read()
for secret in sys.argv[2:] + ["not-a-known-token", "dXNlcjpwdw=="]:
    assert secret not in text, "a credential in the log"
PY
pass "every refusal is one serve record with its reason; no credential in the log; log intact"

# schemas/openapi.yaml documents every endpoint and every status the server
# gave in this test (and the tests of test_serve.sh give only 200/304/4xx
# that are documented too).
/usr/bin/python3 - "$GW_SOURCE_DIR/schemas/openapi.yaml" data/exchange.log <<'PY' || fail "schemas/openapi.yaml does not match the server"
import json, sys, yaml
api = yaml.safe_load(open(sys.argv[1]))
assert api["openapi"].startswith("3.0.")
paths = api["paths"]
assert set(paths) == {"/v1/health", "/v1/indicators", "/v1/observations",
                      "/v1/feeds/{name}", "/v1/monitor"}, sorted(paths)
seen = set()
for line in open(sys.argv[2]):
    r = json.loads(line)
    if r.get("event") != "serve" or r["endpoint"] == "(none)":
        continue
    seen.add(r["http_status"])
    if r["http_method"] not in ("GET", "HEAD"):
        # a method the API does not describe is a 405
        assert r["http_method"].lower() not in paths[r["endpoint"]]
        assert r["http_status"] == 405, r
        continue
    documented = paths[r["endpoint"]]["get"]["responses"]
    assert str(r["http_status"]) in documented, (r["endpoint"], r["http_status"])
assert {400, 401, 403, 405, 406, 429} <= seen, seen
PY
pass "schemas/openapi.yaml names every endpoint and documents every status given"

# ---- bounded connections -----------------------------------------------------
# (also: a source due every five minutes caps max-age below cache_seconds)
"$PYTHON" - gateway.json bounded.json <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["serve"].update({"cache_seconds": 3600, "max_connections": 2,
                     "timeout_seconds": 5})
cfg["sources"][0]["schedule"] = "*/5 * * * *"
json.dump(cfg, open(sys.argv[2], "w"), indent=2)
PY
serve_start "$WORK/bounded.json"
"$PYTHON" - "$CA" "$(cat serve.port)" "$TOKEN_ALL" <<'PY' || fail "max_connections is not enforced"
import socket, ssl, sys, time
ca, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
def connect(timeout):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return ctx.wrap_socket(s, server_hostname="localhost")
held = [connect(60), connect(60)]
try:
    third = connect(2)
    sys.exit("a third connection was served at max_connections 2")
except (socket.timeout, TimeoutError, ssl.SSLError, OSError):
    pass
held[0].close()
deadline = time.time() + 60
while True:
    try:
        s = connect(30)
        break
    except (socket.timeout, TimeoutError, OSError):
        if time.time() > deadline:
            sys.exit("no connection after one was closed")
        time.sleep(0.2)
s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
answer = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    answer += chunk
assert answer.startswith(b"HTTP/1.1 200"), answer[:100]
PY
# An idle connection (after the handshake, or halfway through a request)
# is closed after timeout_seconds.
"$PYTHON" - "$CA" "$(cat serve.port)" <<'PY' || fail "idle connections are not closed"
import socket, ssl, sys, time
ca, port = sys.argv[1], int(sys.argv[2])
ctx = ssl.create_default_context(cafile=ca)
for partial in (b"", b"GET /v1/health HTTP/1.1\r\nHost: x\r\n"):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=60),
                        server_hostname="localhost")
    s.sendall(partial) if partial else None
    start = time.time()
    try:
        data = s.recv(100)
    except (ssl.SSLError, ConnectionResetError):
        data = b""
    took = time.time() - start
    assert data == b"", data[:60]
    assert 4 <= took < 40, took
PY
assert_eq "$(as_all /v1/indicators)" 200 "indicators with a scheduled source"
max_age=$(header Cache-Control | sed -n 's/^private, max-age=\([0-9]*\)$/\1/p')
[ -n "$max_age" ] && [ "$max_age" -ge 1 ] && [ "$max_age" -le 330 ] ||
  fail "Cache-Control '$(header Cache-Control)' does not end at the next run (every 5 minutes + jitter)"
serve_stop
pass "at max_connections the server stops accepting and resumes when a connection closes; idle connections close after timeout_seconds; max-age ends at the next scheduled run"

# ---- no log, no answer ---------------------------------------------------------
"$PYTHON" - gateway.json nolog.json "$WORK" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["audit"]["path"] = "/dev/full"
cfg["audit"]["checkpoint_file"] = sys.argv[3] + "/nolog.checkpoints"
json.dump(cfg, open(sys.argv[2], "w"), indent=2)
PY
serve_start "$WORK/nolog.json"
expect "$(req "$BASE/v1/health")" 503 "no log, no answer" "health without a log"
[ "$(header Retry-After)" -ge 1 ] || fail "no Retry-After on the 503"
expect "$(as_all '/v1/observations?limit=1')" 503 "no log, no answer" "data without a log"
grep -q '"observations"' body && fail "data was served without a log"
assert_contains "$(cat serve.out)" "exchange log" "the server says why"
serve_stop
pass "when the exchange log cannot be written every request is a 503 and no data leaves"
