#!/usr/bin/env bash
# ops/demo.sh - the gateway end to end on one machine, without internet.
#
# Builds build/, makes a test CA in demo-out/certs, serves the constructed
# StatLine fixtures (tests/fixtures/statline: CBS 90001NED and 90002NED, RIVM
# 50120NED) over local HTTPS, writes demo-out/gateway.json from
# ops/demo-config.json.in, runs `gateway run` for all three sources and
# shows what came out: feeds in demo-out/feeds, store and exchange log in
# demo-out/data, the fixture server's request log in demo-out/requests.jsonl.
#
# Knobs: GW_DEMO_OUT (default demo-out), GW_DEMO_BUILD (default build),
# GW_JOBS, GW_SKIP_DEPS=1.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=ops/lib/deps.sh
source "$ROOT/ops/lib/deps.sh"

OUT=${GW_DEMO_OUT:-$ROOT/demo-out}
BUILD=${GW_DEMO_BUILD:-$ROOT/build}
JOBS=${GW_JOBS:-$(nproc 2>/dev/null || echo 2)}
PYTHON=${PYTHON:-python3}
FIXTURES="$ROOT/tests/fixtures/statline"
SERVER_PID=""

step() {
  printf '\n== %s\n' "$*"
}

die() {
  echo "demo: $*" >&2
  exit 1
}

stop_server() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# Escape a string for use as a sed replacement with '|' as delimiter.
sed_escape() {
  printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'
}

start_server() {
  local port_file="$OUT/server.port"
  rm -f "$port_file"
  "$PYTHON" "$ROOT/tests/server/fixture_server.py" --root "$FIXTURES" \
    --cert "$OUT/certs/server.crt" --key "$OUT/certs/server.key" \
    --port 0 --port-file "$port_file" --request-log "$OUT/requests.jsonl" \
    2>"$OUT/server.log" &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    [[ -s $port_file ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null ||
      die "fixture server exited: $(cat "$OUT/server.log")"
    sleep 0.1
  done
  [[ -s $port_file ]] || die "fixture server did not report its port in 10 s"
  BASE="https://127.0.0.1:$(tr -d '[:space:]' <"$port_file")"
  echo "fixture server at $BASE (pid $SERVER_PID, root $FIXTURES)"
}

write_config() {
  sed -e "s|@BASE@|$(sed_escape "$BASE")|g" \
    -e "s|@CA_FILE@|$(sed_escape "$OUT/certs/ca.crt")|g" \
    -e "s|@DATA_DIR@|$(sed_escape "$OUT/data")|g" \
    -e "s|@OUT_DIR@|$(sed_escape "$OUT")|g" \
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
  echo "  requests served: $(wc -l <"$OUT/requests.jsonl")" \
    "(log: ${OUT#"$ROOT"/}/requests.jsonl)"
}

main() {
  if [[ ${GW_SKIP_DEPS:-0} != 1 ]]; then
    step "dependencies"
    # shellcheck disable=SC2119 # no arguments: the default package list
    gw_install_deps
  fi
  [[ -d $FIXTURES ]] || die "no fixtures at $FIXTURES"

  step "build (${BUILD#"$ROOT"/}/)"
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD" -j "$JOBS"
  [[ -x $BUILD/gateway ]] || die "$BUILD/gateway was not built"

  step "test CA and fixture server"
  mkdir -p "$OUT/certs" "$OUT/data" "$OUT/feeds"
  # Generated output, keys included: never to be committed.
  printf '*\n' >"$OUT/.gitignore"
  bash "$ROOT/certs/make-test-ca.sh" "$OUT/certs"
  start_server
  write_config

  step "gateway run"
  local rc=0
  "$BUILD/gateway" --config "$OUT/gateway.json" run || rc=$?

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
