#!/usr/bin/env bash
# Shared helpers for the integration tests: a throw-away test CA, the local
# HTTPS fixture server, a config writer, and assertions. Each test runs the
# real gateway binary ($GW_BIN), optionally under $GW_WRAPPER (valgrind).
set -euo pipefail

: "${GW_SOURCE_DIR:?GW_SOURCE_DIR must point at the source tree}"
: "${GW_BIN:?GW_BIN must point at the gateway binary}"
: "${GW_PLUGIN_DIR:?GW_PLUGIN_DIR must point at the built plugins}"
GW_WRAPPER=${GW_WRAPPER:-}
PYTHON=${PYTHON:-python3}

WORK=$(mktemp -d /tmp/gw-it-XXXXXX)
SERVER_PIDS=()

it_cleanup() {
  local pid
  for pid in "${SERVER_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  if [ -z "${GW_KEEP_WORK:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi
}
trap it_cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

pass() {
  echo "ok - $*"
}

it_make_ca() {
  [ -f "$WORK/certs/ca.crt" ] || bash "$GW_SOURCE_DIR/certs/make-test-ca.sh" "$WORK/certs" >/dev/null
}

# it_start_server NAME ROOT [extra server args...]: sets BASE_<NAME>
it_start_server() {
  local name=$1 root=$2 i
  shift 2
  it_make_ca
  rm -f "$WORK/$name.port"
  "$PYTHON" "$GW_SOURCE_DIR/tests/server/fixture_server.py" --root "$root" \
    --cert "$WORK/certs/server.crt" --key "$WORK/certs/server.key" \
    --port 0 --port-file "$WORK/$name.port" --request-log "$WORK/$name.requests" "$@" \
    >"$WORK/$name.server.log" 2>&1 </dev/null &
  SERVER_PIDS+=($!)
  for i in $(seq 1 100); do
    [ -s "$WORK/$name.port" ] && break
    sleep 0.1
  done
  [ -s "$WORK/$name.port" ] || fail "fixture server $name did not start: $(cat "$WORK/$name.server.log")"
  printf -v "BASE_$name" 'https://127.0.0.1:%s' "$(cat "$WORK/$name.port")"
}

# it_write_config SOURCES_JSON [EXPORTS_JSON]: writes $WORK/gateway.json;
# $IT_CONFIG_EXTRA (e.g. '"daemon": {...}') adds top-level members.
it_write_config() {
  local sources=$1
  local exports=${2:-'[{"format":"json","path":"feeds/indicators.json"},{"format":"xml","path":"feeds/indicators.xml"},{"format":"csv","path":"feeds/indicators.csv"}]'}
  cat >"$WORK/gateway.json" <<JSON
{
  "data_dir": "data",
  "plugin_dir": "$GW_PLUGIN_DIR",
  "catalogue": "$GW_SOURCE_DIR/schemas/indicators.json",
  "tls": { "ca_file": "$WORK/certs/ca.crt", "min_version": "1.2" },
  "audit": { "path": "data/exchange.log",
             "processing_activity_id": "https://register.example.nl/verwerkingen/indicatoren" },${IT_CONFIG_EXTRA:+
  $IT_CONFIG_EXTRA,}
  "sources": $sources,
  "exports": $exports
}
JSON
}

# gw ARGS...: the gateway with the test config, under the wrapper if set.
gw() {
  $GW_WRAPPER "$GW_BIN" --config "$WORK/gateway.json" "$@"
}

assert_contains() { # TEXT NEEDLE [WHAT]
  case "$1" in
  *"$2"*) ;;
  *) fail "${3:-output} does not contain '$2':"$'\n'"$1" ;;
  esac
}

assert_eq() { # ACTUAL EXPECTED WHAT
  [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# sql QUERY...: rows of the store (data/gateway.db, read-only) as "a|b|c" lines, through Python's
# sqlite3 module (python3 is a test dependency, the sqlite3 CLI is not).
sql() {
  "$PYTHON" - data/gateway.db "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
for query in sys.argv[2].split(";"):
    if query.strip():
        for row in db.execute(query):
            print("|".join("" if v is None else str(v) for v in row))
PY
}

# json_get FILE PYTHON_EXPR (with d = the parsed document)
json_get() {
  "$PYTHON" -c "import json,sys; d=json.load(open(sys.argv[1], encoding='utf-8-sig')); print($2)" "$1"
}

# Count of requests in a server's log answered with STATUS.
requests_with_status() {
  "$PYTHON" -c "import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l)['status']==int(sys.argv[2])))" "$WORK/$1.requests" "$2"
}

requests_total() {
  wc -l <"$WORK/$1.requests" | tr -d ' '
}
