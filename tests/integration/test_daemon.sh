#!/usr/bin/env bash
# `gateway daemon` against the local server: two sources on a one-minute
# schedule both run on time; /metrics and /healthz answer; SIGHUP with an
# invalid file is refused (saying why) and the daemon keeps going; SIGHUP
# with a valid file takes over; SIGTERM stops cleanly; SIGTERM during a
# run whose second page hangs aborts it without storing anything; a run
# missed while the daemon was down runs at start-up (catch_up).
source "$(dirname "$0")/lib.sh"
cd "$WORK"

SCALE=1
[ -n "${GW_VALGRIND:-}" ] && SCALE=5
[ -n "${GW_SANITIZED:-}" ] && SCALE=2
TABLE=/ODataFeed/odata/90001NED
RIVM=/ODataFeed/odata/50120NED

free_port() {
  "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_for FILE PATTERN SECONDS: until grep -E finds PATTERN in FILE.
wait_for() {
  local i limit=$(($3 * SCALE * 10))
  for ((i = 0; i < limit; i++)); do
    grep -Eq "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "waited $(($3 * SCALE)) s for /$2/ in $1:"$'\n'"$(tail -n 30 "$1" 2>/dev/null)"
}

# wait_exit PID SECONDS: sets EXIT_RC to the daemon's exit status, failing
# if it lingers. (Not in $(...): only this shell can wait for the daemon.)
wait_exit() {
  local i limit=$(($2 * SCALE * 10))
  for ((i = 0; i < limit; i++)); do
    if ! kill -0 "$1" 2>/dev/null; then
      EXIT_RC=0
      wait "$1" || EXIT_RC=$?
      return 0
    fi
    sleep 0.1
  done
  kill -KILL "$1" 2>/dev/null || true
  fail "the daemon did not stop within $(($2 * SCALE)) s"
}

http_get() { # URL -> "STATUS BODY"
  "$PYTHON" - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    with urllib.request.urlopen(sys.argv[1], timeout=10) as r:
        print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
PY
}

start_daemon() { # LOG [ARGS...]
  local log=$1
  shift
  $GW_WRAPPER "$GW_BIN" --config "$WORK/gateway.json" daemon "$@" 2>"$log" &
  DAEMON=$!
}

# -- 1. two sources on a one-minute schedule -------------------------------
it_start_server A "$GW_SOURCE_DIR/tests/fixtures/statline" \
  --flaky 'TypedDataSet\?.*skip=27:1:hang'
PORT=$(free_port)
DAEMON_CFG="\"daemon\": {\"max_concurrent\": 2, \"jitter_seconds\": 0, \"catch_up\": true, \"metrics_listen\": \"127.0.0.1:$PORT\"}"
IT_CONFIG_EXTRA=$DAEMON_CFG
SOURCES_TWO="[{\"id\":\"cbs\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_A$TABLE\",\"schedule\":\"* * * * *\"},
 {\"id\":\"rivm\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_A$RIVM\",\"schedule\":\"* * * * *\"}]"
it_write_config "$SOURCES_TWO"
gw check >/dev/null || fail "the daemon test config does not pass check"

# The first cbs run stalls on page 2 (the hang rule above): keep it out of
# the schedule test by using that rule up in a run we stop at once.
start_daemon stall.err --run-now
wait_for stall.err 'cbs: run started' 30
wait_for "$WORK/A.requests" 'skip=27' 30
kill -TERM "$DAEMON"
wait_exit "$DAEMON" 15
assert_eq "$EXIT_RC" 0 "exit status after SIGTERM during a hanging page"
assert_contains "$(cat stall.err)" "stopped: the gateway is shutting down" "stop reason"
stored=$("$PYTHON" -c "
import sqlite3,sys
print(sqlite3.connect(sys.argv[1]).execute(\"SELECT count(*) FROM observation WHERE source_id='cbs'\").fetchone()[0])" data/gateway.db)
assert_eq "$stored" 0 "observations of the stopped cbs run in the store"
outcome=$("$PYTHON" -c "
import sqlite3,sys
print(sqlite3.connect(sys.argv[1]).execute(\"SELECT outcome FROM run WHERE source_id='cbs' ORDER BY started_at DESC LIMIT 1\").fetchone()[0])" data/gateway.db)
assert_eq "$outcome" fail "recorded outcome of the stopped run"
pass "SIGTERM during a run: exit 0 within bounds, run aborted, nothing stored"

start_daemon daemon.err
wait_for daemon.err 'daemon started' 30
wait_for daemon.err 'cbs: run ok' 75
wait_for daemon.err 'rivm: run ok' 75
# Neither ran twice at once: every start is followed by its end before the
# next start of the same source.
"$PYTHON" - daemon.err <<'PY' || fail "a source ran twice at once"
import re, sys
running = set()
for line in open(sys.argv[1]):
    m = re.search(r"(cbs|rivm): run (started|ok|failed)", line)
    if not m:
        continue
    src, what = m.groups()
    if what == "started":
        assert src not in running, line
        running.add(src)
    else:
        running.discard(src)
PY
pass "two sources ran on their one-minute schedule"

read -r code body <<<"$(http_get "http://127.0.0.1:$PORT/healthz")"
assert_eq "$code" 200 "/healthz status"
assert_contains "$body" '"status":' "/healthz body"
metrics=$(http_get "http://127.0.0.1:$PORT/metrics")
assert_contains "$metrics" 'gateway_runs_total{source="cbs",outcome="ok"} 1' "/metrics"
assert_contains "$metrics" 'gateway_runs_total{source="rivm",outcome="ok"} 1' "/metrics"
assert_contains "$metrics" 'gateway_next_run_timestamp_seconds{source="cbs"}' "/metrics"
pass "metrics and health endpoint"

# -- 2. SIGHUP with an invalid file: refused, old config kept ----------------
cp gateway.json good.json
IT_CONFIG_EXTRA="\"daemon\": {\"max_concurrent\": 0, \"metrics_listen\": \"127.0.0.1:$PORT\"}" \
  it_write_config "$SOURCES_TWO"
kill -HUP "$DAEMON"
wait_for daemon.err 'reload refused' 20
assert_contains "$(grep 'reload refused' daemon.err)" "daemon.max_concurrent" "refusal names the key"
assert_contains "$(grep 'reload refused' daemon.err)" "gateway.json:" "refusal names the file"
kill -0 "$DAEMON" || fail "the daemon died on an invalid config"
assert_contains "$(http_get "http://127.0.0.1:$PORT/metrics")" \
  'gateway_config_reloads_total{result="failed"} 1' "/metrics after a refused reload"
pass "SIGHUP with an invalid config is refused with file and key"

# -- 3. SIGHUP with a valid file: a third source appears ---------------------
IT_CONFIG_EXTRA=$DAEMON_CFG it_write_config "[{\"id\":\"cbs\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_A$TABLE\",\"schedule\":\"* * * * *\"},
 {\"id\":\"rivm\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_A$RIVM\",\"schedule\":\"* * * * *\"},
 {\"id\":\"weekly\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_A$TABLE\",\"schedule\":\"0 6 * * 1\"}]"
kill -HUP "$DAEMON"
wait_for daemon.err 'configuration reloaded .*3 source' 60
assert_contains "$(http_get "http://127.0.0.1:$PORT/metrics")" \
  'gateway_next_run_timestamp_seconds{source="weekly"}' "/metrics after reload"
assert_contains "$(http_get "http://127.0.0.1:$PORT/metrics")" \
  'gateway_config_reloads_total{result="ok"} 1' "/metrics after a reload"
pass "SIGHUP with a valid config takes over"

# -- 4. SIGTERM: clean stop ---------------------------------------------------
kill -TERM "$DAEMON"
wait_exit "$DAEMON" 20
assert_eq "$EXIT_RC" 0 "exit status after SIGTERM"
assert_contains "$(cat daemon.err)" "daemon stopped"
gw audit verify >verify.txt 2>&1 || fail "exchange log does not verify: $(cat verify.txt)"
"$PYTHON" - data/exchange.log <<'PY' || fail "config records missing from the exchange log"
import json, sys
seen = []
for line in open(sys.argv[1]):
    if not line.strip():
        continue
    rec = json.loads(line)
    body = rec.get("record", rec)
    if body.get("event") == "config":
        seen.append((body.get("action"), body.get("outcome")))
for want in [("start", "applied"), ("reload", "refused"), ("reload", "applied"), ("stop", "applied")]:
    assert want in seen, (want, seen)
PY
pass "SIGTERM stops cleanly; start, reload and stop are in the exchange log"

# -- 5. catch-up: a run missed while down runs at start-up -------------------
IT_CONFIG_EXTRA=$DAEMON_CFG it_write_config "[{\"id\":\"rivm\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_A$RIVM\",\"schedule\":\"0 6 * * *\"}]"
# Pretend the last run of rivm was long ago: a daily 06:00 run was missed.
"$PYTHON" - data/gateway.db <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE run SET started_at='2020-01-01T00:00:00.000Z' WHERE source_id='rivm'")
db.commit()
PY
start_daemon catchup.err
wait_for catchup.err 'rivm: a scheduled run was missed' 30
wait_for catchup.err 'rivm: run (ok|failed)' 60
kill -TERM "$DAEMON"
wait_exit "$DAEMON" 20
assert_eq "$EXIT_RC" 0 "exit status after catch-up"
assert_contains "$(cat catchup.err)" "rivm: run ok" "catch-up run outcome"
pass "a missed run runs once at start-up"

# -- 6. the feed server on the daemon's loop (daemon.serve) -------------------
SPORT=$(free_port)
# Data is never served anonymously: one bearer token (stored hashed).
printf '%s dashboard *\n' "$(printf 'daemon-test-token' | sha256sum | cut -d' ' -f1)" >tokens.txt
IT_CONFIG_EXTRA="\"daemon\": {\"jitter_seconds\": 0, \"serve\": true},
  \"serve\": {\"listen\": \"127.0.0.1:$SPORT\", \"cert_file\": \"certs/server.crt\", \"key_file\": \"certs/server.key\", \"tokens_file\": \"tokens.txt\"}" \
  it_write_config "[{\"id\":\"rivm\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_A$RIVM\",\"schedule\":\"0 6 * * *\"}]"
gw check >check6.out 2>&1 || fail "daemon.serve config refused: $(cat check6.out)"
start_daemon serve.err
wait_for serve.err 'feed server at' 30
health=$("$PYTHON" - "$SPORT" "$WORK/certs/ca.crt" <<'PY'
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
req = urllib.request.Request("https://127.0.0.1:%s/v1/indicators" % sys.argv[1],
                             headers={"Authorization": "Bearer daemon-test-token"})
with urllib.request.urlopen(req, context=ctx, timeout=20) as r:
    print(r.status)
PY
)
assert_eq "$health" 200 "/v1/indicators from the daemon's feed server"
kill -TERM "$DAEMON"
wait_exit "$DAEMON" 20
assert_eq "$EXIT_RC" 0 "exit status of the daemon with a feed server"
grep -q '"event":"serve"' data/exchange.log || fail "no serve record for the request"
pass "daemon.serve runs the feed server on the daemon's loop and stops it cleanly"
