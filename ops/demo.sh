#!/usr/bin/env bash
# ops/demo.sh - the gateway end to end on one machine, without internet.
#
# Builds build/, makes a test CA in demo-out/certs and serves constructed
# fixtures for every plugin over local HTTPS: CBS StatLine 90001NED and
# 90002NED and the RIVM health monitor 50120NED (cbs_odata), GGD and CBS CSV
# exports (csv_export), provider reports in XML and JSON (provider_report),
# and a Swing Open Data Service mock that demands an API key (swing_ods);
# one CSV comes from a drop folder (file://). Writes demo-out/gateway.json
# from ops/demo-config.json.in, runs `gateway run` for all sources, then
# `gateway monitor` (text on screen; HTML, JSON and CSV in demo-out/monitor.*)
# and shows what came out: feeds in demo-out/feeds, store and exchange log
# in demo-out/data, the servers' request logs in demo-out/*.jsonl.
#
# Knobs: GW_DEMO_OUT (default demo-out), GW_DEMO_BUILD (default build),
# GW_JOBS, GW_SKIP_DEPS=1, GW_DEMO_NO_BUILD=1 (use the binary in
# GW_DEMO_BUILD as it is; the integration test does this).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=ops/lib/deps.sh
source "$ROOT/ops/lib/deps.sh"

OUT=${GW_DEMO_OUT:-$ROOT/demo-out}
BUILD=${GW_DEMO_BUILD:-$ROOT/build}
JOBS=${GW_JOBS:-$(nproc 2>/dev/null || echo 2)}
PYTHON=${PYTHON:-python3}
FIXTURES="$ROOT/tests/fixtures"
SERVER_PIDS=()
# The Swing mock's API key for this demo only; the gateway reads it from the
# environment (the config says "${SWING_APIKEY}"), never from the file.
export SWING_APIKEY=demo-key-not-secret

step() {
  printf '\n== %s\n' "$*"
}

die() {
  echo "demo: $*" >&2
  exit 1
}

stop_server() {
  local pid
  for pid in "${SERVER_PIDS[@]:-}"; do
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  SERVER_PIDS=()
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# Escape a string for use as a sed replacement with '|' as delimiter.
sed_escape() {
  printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'
}

# start_server NAME ROOT VAR [server args...]: sets VAR to the base URL.
# Not to be called in $(...): the server must belong to this shell.
start_server() {
  local name=$1 root=$2 var=$3 port_file="$OUT/$1.port" pid
  shift 3
  rm -f "$port_file"
  "$PYTHON" "$ROOT/tests/server/fixture_server.py" --root "$root" \
    --cert "$OUT/certs/server.crt" --key "$OUT/certs/server.key" \
    --port 0 --port-file "$port_file" --request-log "$OUT/$name-requests.jsonl" \
    "$@" >"$OUT/$name-server.log" 2>&1 </dev/null &
  pid=$!
  SERVER_PIDS+=("$pid")
  for _ in $(seq 1 100); do
    [[ -s $port_file ]] && break
    kill -0 "$pid" 2>/dev/null ||
      die "fixture server $name exited: $(cat "$OUT/$name-server.log")"
    sleep 0.1
  done
  [[ -s $port_file ]] || die "fixture server $name did not report its port in 10 s"
  printf -v "$var" 'https://127.0.0.1:%s' "$(tr -d '[:space:]' <"$port_file")"
}

# One web root for the open sources, a second server for the Swing mock
# (it answers 401 to any request without the API key).
start_servers() {
  rm -rf "$OUT/www" "$OUT/drop"
  mkdir -p "$OUT/www" "$OUT/drop"
  cp -r "$FIXTURES/statline/ODataFeed" "$FIXTURES/statline/odata" "$OUT/www/"
  cp -r "$FIXTURES/csv" "$FIXTURES/provider" "$OUT/www/"
  cp "$FIXTURES/csv/diemen_lokaal.csv" "$OUT/drop/"
  start_server open "$OUT/www" BASE
  start_server swing "$FIXTURES/swing" SWING_BASE --require-header "apikey: $SWING_APIKEY"
  echo "open sources at $BASE, Swing mock at $SWING_BASE, drop folder $OUT/drop"
}

write_config() {
  sed -e "s|@BASE@|$(sed_escape "$BASE")|g" \
    -e "s|@CA_FILE@|$(sed_escape "$OUT/certs/ca.crt")|g" \
    -e "s|@DATA_DIR@|$(sed_escape "$OUT/data")|g" \
    -e "s|@OUT_DIR@|$(sed_escape "$OUT")|g" \
    -e "s|@SWING_BASE@|$(sed_escape "$SWING_BASE")|g" \
    -e "s|@DROP_DIR@|$(sed_escape "$OUT/drop")|g" \
    -e "s|@ROOT@|$(sed_escape "$ROOT")|g" \
    "$ROOT/ops/demo-config.json.in" >"$OUT/gateway.json"
  if grep -q '@[A-Z_]*@' "$OUT/gateway.json"; then
    die "unsubstituted placeholder in $OUT/gateway.json"
  fi
  echo "config: $OUT/gateway.json"
}

summary() {
  local f
  step "feeds"
  for f in "$OUT"/feeds/indicators.{json,xml,csv}; do
    if [[ -f $f ]]; then
      printf '  %-50s %10s bytes\n' "${f#"$ROOT"/}" "$(stat -c %s "$f")"
    else
      printf '  %-50s %10s\n' "${f#"$ROOT"/}" "(missing)"
    fi
  done
  if [[ -f $OUT/feeds/indicators.json ]]; then
    "$PYTHON" -c '
import collections, json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    feed = json.load(f)
obs = feed.get("observations", [])
print("  observations in the JSON feed: %d" % len(obs))
per_indicator = collections.Counter(o.get("indicator") for o in obs)
for indicator, n in sorted(per_indicator.items(), key=lambda kv: str(kv[0])):
    print("    %-40s %6d" % (indicator, n))
' "$OUT/feeds/indicators.json"
  fi
  step "exchange"
  [[ -f $OUT/data/exchange.log ]] &&
    echo "  exchange log: ${OUT#"$ROOT"/}/data/exchange.log ($(wc -l <"$OUT/data/exchange.log") records)"
  echo "  requests served: $(cat "$OUT"/*-requests.jsonl | wc -l)" \
    "(logs: ${OUT#"$ROOT"/}/*-requests.jsonl)"
  step "monitor report"
  for f in "$OUT"/monitor.{html,json,csv}; do
    [[ -f $f ]] && printf '  %-50s %10s bytes\n' "${f#"$ROOT"/}" "$(stat -c %s "$f")"
  done
}

main() {
  if [[ ${GW_SKIP_DEPS:-0} != 1 ]]; then
    step "dependencies"
    # shellcheck disable=SC2119 # no arguments: the default package list
    gw_install_deps
  fi
  [[ -d $FIXTURES ]] || die "no fixtures at $FIXTURES"

  if [[ ${GW_DEMO_NO_BUILD:-0} != 1 ]]; then
    step "build (${BUILD#"$ROOT"/}/)"
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$BUILD" -j "$JOBS"
  fi
  [[ -x $BUILD/gateway ]] || die "$BUILD/gateway was not built"

  step "test CA and fixture server"
  mkdir -p "$OUT/certs" "$OUT/data" "$OUT/feeds"
  # Generated output, keys included: never to be committed.
  printf '*\n' >"$OUT/.gitignore"
  bash "$ROOT/certs/make-test-ca.sh" "$OUT/certs"
  start_servers
  write_config

  step "gateway run"
  local rc=0
  "$BUILD/gateway" --config "$OUT/gateway.json" run || rc=$?

  step "gateway monitor"
  local fmt
  for fmt in html json csv; do
    "$BUILD/gateway" --config "$OUT/gateway.json" monitor --format "$fmt" \
      --output "$OUT/monitor.$fmt" || rc=$?
  done
  "$BUILD/gateway" --config "$OUT/gateway.json" monitor --format text || rc=$?

  summary
  if [[ $rc -ne 0 ]]; then
    echo
    echo "demo: gateway run exited with status $rc" >&2
    exit "$rc"
  fi
  echo
  echo "demo: done"
}

main "$@"
