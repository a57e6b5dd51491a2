#!/usr/bin/env bash
# serve_load.sh - load test of `gateway serve` with wrk (Debian package
# `wrk`) on loopback, for docs/performance.md. Not part of ctest: it takes
# a minute and its figures depend on the machine.
#
# usage: tests/bench/serve_load.sh [BUILD_DIR]   (default: build)
#   SERVE_LOAD_SECONDS   duration of each run (default 20)
#   SERVE_LOAD_CONNS     connections (default 64)
#   SERVE_LOAD_THREADS   wrk threads (default 2)
#   SERVE_LOAD_LOG_DIR   put the exchange log there instead of the data
#                        directory (e.g. /dev/shm, to see what the server
#                        does when a log write costs no disk sync)
#
# Runs, each at 64 connections with a bearer token, against a store filled
# from the StatLine fixtures (1835 observations):
#   feed      GET /v1/feeds/indicators         the published JSON feed,
#                                              streamed from disk
#   cached    GET /v1/observations?<filter>    a filtered query answered
#                                              from the answer cache
#   uncached  the same query with the cache off: every request reads the
#             store and renders the page
#   304       the filtered query with If-None-Match: validators only
# and prints requests/s, p99 latency, errors (socket errors and non-2xx/3xx
# answers) and the server's peak RSS (VmHWM) after all runs. Every request
# is fsync'ed into the exchange log, as in production.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:-$ROOT/build}
BUILD=$(cd "$BUILD" && pwd)
SECONDS_EACH=${SERVE_LOAD_SECONDS:-20}
CONNS=${SERVE_LOAD_CONNS:-64}
THREADS=${SERVE_LOAD_THREADS:-2}
FILTER="indicator=bijstand_per_10k,banen_per_1000&area_level=gemeente,wijk&limit=1000"

command -v wrk >/dev/null || {
  echo "serve_load: wrk not found (apt-get install wrk)" >&2
  exit 1
}
export GW_SOURCE_DIR=$ROOT GW_BIN=$BUILD/gateway GW_PLUGIN_DIR=$BUILD/plugins
export GW_WRAPPER=
# shellcheck source=tests/integration/lib.sh
source "$ROOT/tests/integration/lib.sh"
# shellcheck source=tests/integration/serve_lib.sh
source "$ROOT/tests/integration/serve_lib.sh"
cd "$WORK"

serve_fill_store
SERVE_EXTRA='"rate_limit": {"requests_per_second": 0, "burst": 1}, "max_connections": 256'
serve_configure
if [[ -n ${SERVE_LOAD_LOG_DIR:-} ]]; then
  "$PYTHON" - gateway.json "$SERVE_LOAD_LOG_DIR/serve-load-$$.log" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["audit"]["path"] = sys.argv[2]
json.dump(cfg, open(sys.argv[1], "w"), indent=2)
PY
  LOG_ELSEWHERE="$SERVE_LOAD_LOG_DIR/serve-load-$$.log"
  trap 'rm -f "$LOG_ELSEWHERE" "$LOG_ELSEWHERE".*; it_cleanup' EXIT
fi

# wrk_run NAME PATH [wrk args...]: one run; prints a table row.
wrk_run() {
  local name=$1 path=$2
  shift 2
  wrk -t"$THREADS" -c"$CONNS" -d"${SECONDS_EACH}s" --latency --timeout 10s \
    -H "Authorization: Bearer $TOKEN_ALL" "$@" "$BASE$path" >"wrk-$name.txt" 2>&1
  "$PYTHON" - "wrk-$name.txt" "$name" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)
p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1)
total = re.search(r"(\d+) requests in", text).group(1)
errors = 0
m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
if m:
    errors += sum(int(x) for x in m.groups())
m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
if m:
    errors += int(m.group(1))
print("| %-8s | %10s | %8s | %8s | %6d |" % (sys.argv[2], rps, p99, total, errors))
PY
}

peak_rss() {
  awk '/VmHWM/ {print $2 " kB"}' "/proc/$SERVE_PID/status"
}

serve_start
# Warm up: the feed's ETag is computed once per publication, the filtered
# answer is rendered once per store generation.
as_all /v1/feeds/indicators >/dev/null
as_all "/v1/observations?$FILTER" >/dev/null
etag=$(header ETag)
feed_bytes=$(stat -c %s feeds/indicators.json)
page_bytes=$(stat -c %s body)
echo "store: $(json_get feeds/indicators.json "d['count']") observations; feed $feed_bytes bytes; filtered page $page_bytes bytes"
echo "wrk: $THREADS threads, $CONNS connections, ${SECONDS_EACH}s per run; $(nproc) CPUs"
echo
echo "| run      | requests/s |      p99 | requests | errors |"
echo "|----------|------------|----------|----------|--------|"
wrk_run feed /v1/feeds/indicators
wrk_run cached "/v1/observations?$FILTER"
wrk_run 304 "/v1/observations?$FILTER" -H "If-None-Match: $etag"
rss_cached=$(peak_rss)
serve_stop

sed -e 's/"cache_seconds": 60/"cache_seconds": 60, "cache_max_bytes": 0/' gateway.json >nocache.json
serve_start "$WORK/nocache.json"
wrk_run uncached "/v1/observations?$FILTER"
rss_uncached=$(peak_rss)
serve_stop
echo
echo "peak RSS of the server (VmHWM): $rss_cached (feed, cached, 304 runs); $rss_uncached (uncached run)"
log=${LOG_ELSEWHERE:-$WORK/data/exchange.log}
echo "serve records in the exchange log: $("$PYTHON" -c "import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l).get('event')=='serve'))" "$log")"
gw audit verify >verify.out 2>&1 || {
  echo "audit verify failed: $(cat verify.out)" >&2
  exit 1
}
echo "audit verify: intact"
