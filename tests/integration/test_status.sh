#!/usr/bin/env bash
# `gateway status` after real runs against the local server: a good source
# with a schedule and a failing one (404) without, run twice. The JSON has
# every field (consecutive failures 2 and 0, last success, duration, next
# run in Europe/Amsterdam plus jitter or null); the table shows the same
# with a one-line error; a configured source that never ran is "never" and
# a source that is no longer configured stays listed, marked as such.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

it_start_server S "$GW_SOURCE_DIR/tests/fixtures/statline"
GOOD="{\"id\":\"good\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/90001NED\",\"schedule\":\"0 6 * * *\"}"
BAD="{\"id\":\"broken\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/99999NED\",\"retry\":{\"max_attempts\":1}}"
NEW="{\"id\":\"newcomer\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/50120NED\",\"schedule\":\"30 2 * * 1\"}"
it_write_config "[$GOOD, $BAD]"

# field SOURCE EXPR: EXPR of the status object of SOURCE (as s).
field() {
  "$PYTHON" -c "import json,sys; d=json.load(open('status.json')); s=[x for x in d if x['source']==sys.argv[1]][0]; print(($2))" "$1"
}

# Before any run both sources are listed as never run.
gw --json status >status.json 2>status.err || fail "status on a fresh store: $(cat status.err)"
assert_eq "$(json_get status.json "[x['source'] for x in d]")" "['good', 'broken']" "sources before any run"
assert_eq "$(field good "s['outcome'], s['started_at'], s['consecutive_failures'], s['pages']")" \
  "('never', None, 0, None)" "a source that never ran"
pass "a fresh store lists every configured source as never run"

for i in 1 2; do
  rc=0
  gw --json run >run$i.json 2>run$i.err || rc=$?
  assert_eq "$rc" 1 "exit status of run $i with a 404 source (other: a crash or a valgrind finding)"
  assert_eq "$(json_get run$i.json "[r['outcome'] for r in d['runs']]")" "['ok', 'failed']" "outcomes of run $i"
done
now=$(date +%s)

gw --json status >status.json 2>status.err || fail "status: $(cat status.err)"
[ ! -s status.err ] || fail "status wrote to stderr: $(cat status.err)"
/usr/bin/python3 - status.json <<'PY' || fail "status JSON lacks fields"
import json, sys
want = ["source", "configured", "schedule", "next_run", "run_id", "outcome",
        "started_at", "ended_at", "seconds", "pages", "bytes", "emitted",
        "stored", "rejected", "retries", "consecutive_failures",
        "last_success_at", "error"]
for s in json.load(open(sys.argv[1])):
    if list(s) != want:
        sys.exit("%s: keys %s" % (s["source"], list(s)))
PY
assert_eq "$(field good "s['outcome'], s['consecutive_failures'], s['error'], s['retries'], s['configured']")" \
  "('ok', 0, None, 0, True)" "status of the good source"
assert_eq "$(field good "s['last_success_at'] == s['started_at'] and s['ended_at'] >= s['started_at']")" True \
  "last success of the good source is its last run"
assert_eq "$(field good "s['run_id'] == [r for r in json.load(open('run2.json'))['runs'] if r['source']=='good'][0]['run_id']")" True \
  "status shows the second run"
assert_eq "$(field good "0 < s['seconds'] < 120")" True "duration of the good source"
# Nothing changed: the re-run asks for every page (all 304) and parses none.
assert_eq "$(field good "s['pages'] > 0 and s['emitted'] == 0 and s['stored'] == 0")" True \
  "pages, no rows, nothing new on the re-run"
assert_eq "$(field broken "s['outcome'], s['consecutive_failures'], s['last_success_at'], s['stored'], s['next_run'], s['schedule']")" \
  "('fail', 2, None, 0, None, None)" "status of the failing source"
assert_contains "$(field broken "s['error']")" "99999NED" "error of the failing source"
assert_contains "$(field broken "s['error']")" "fetch failed" "error of the failing source"
pass "JSON: consecutive failures 2 and 0, last success, duration, error"

# next_run: the next 06:00 in Europe/Amsterdam, plus up to 30 s jitter.
"$PYTHON" - status.json "$now" <<'PY' || fail "next_run of the scheduled source is wrong"
import datetime, json, sys, zoneinfo
d = {s["source"]: s for s in json.load(open(sys.argv[1]))}
now = int(sys.argv[2])
nxt = datetime.datetime.strptime(d["good"]["next_run"], "%Y-%m-%dT%H:%M:%SZ")
nxt = nxt.replace(tzinfo=datetime.timezone.utc)
local = nxt.astimezone(zoneinfo.ZoneInfo("Europe/Amsterdam"))
if not (local.hour == 6 and local.minute == 0 and local.second <= 30):
    sys.exit("next_run %s is %s in Amsterdam" % (d["good"]["next_run"], local))
if not (now - 5 < nxt.timestamp() <= now + 86400 + 30):
    sys.exit("next_run %s is not within a day of now" % d["good"]["next_run"])
if d["good"]["schedule"] != "0 6 * * *":
    sys.exit("schedule %r" % d["good"]["schedule"])
PY
pass "next_run is the next 06:00 Amsterdam time plus jitter; null without a schedule"

gw status >status.txt 2>status.err || fail "status table: $(cat status.err)"
head -1 status.txt | grep -Eq '^SOURCE +RESULT +LAST RUN +DURATION +PAGES +STORED +REJECTED +FAILS +NEXT RUN$' ||
  fail "table header: $(head -1 status.txt)"
good_line=$(grep '^good ' status.txt) || fail "no row for good: $(cat status.txt)"
bad_line=$(grep '^broken ' status.txt) || fail "no row for broken: $(cat status.txt)"
good_started=$(field good "s['started_at'][:19] + 'Z'")
read -r -a g <<<"$good_line"
assert_eq "${g[1]} ${g[2]} ${g[8]}" "ok $good_started $(field good "s['next_run']")" "row of the good source"
assert_eq "${g[4]} ${g[5]} ${g[6]} ${g[7]}" "$(field good "s['pages']") 0 $(field good "s['rejected']") 0" \
  "counts of the good source"
read -r -a b <<<"$bad_line"
assert_eq "${b[1]} ${b[7]} ${b[8]}" "fail 2 -" "row of the failing source"
error_line=$(grep -A1 '^broken ' status.txt | tail -1)
assert_eq "$error_line" "  error: $(field broken "s['error']")" "error line under the failing source"
assert_eq "$(grep -c 'error:' status.txt)" 1 "error lines in the table"
pass "table: one row per source, error in one line under the failing one"

# A new source that never ran, and the failing one dropped from the config.
it_write_config "[$GOOD, $NEW]"
gw --json status >status.json 2>status.err || fail "status after a config change: $(cat status.err)"
assert_eq "$(json_get status.json "[(x['source'], x['configured'], x['outcome']) for x in d]")" \
  "[('good', True, 'ok'), ('newcomer', True, 'never'), ('broken', False, 'fail')]" \
  "sources after a config change"
assert_eq "$(field broken "s['consecutive_failures'], s['next_run'], s['schedule']")" "(2, None, None)" \
  "a source that is no longer configured"
assert_eq "$(field newcomer "s['next_run'] is not None and s['run_id'] is None")" True \
  "a scheduled source that never ran has a next run"
gw status >status.txt 2>status.err || fail "status table after a config change: $(cat status.err)"
grep -q '^broken (not configured) \+fail ' status.txt || fail "no (not configured) row: $(cat status.txt)"
grep -Eq '^newcomer +never +- +- +- +- +- +0 +20[0-9]{2}-' status.txt || fail "never-run row: $(cat status.txt)"
pass "a never-run source shows never; an unconfigured one stays, marked"

# A long error of several lines: the table shows the first line, cut on a
# character boundary (an e-acute straddles byte 160), the JSON all of it.
"$PYTHON" - data/gateway.db <<'PY' || fail "cannot rewrite the stored error"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
err = "x" * 159 + "\u00e9" + "y" * 200 + "\nsecond line"
db.execute("UPDATE run SET error = ? WHERE source_id = 'broken'", (err,))
db.commit()
PY
gw status >long.txt 2>long.err || fail "status with a long error: $(cat long.err)"
assert_eq "$(grep 'error:' long.txt)" "  error: $(printf 'x%.0s' $(seq 159))..." "shortened error line"
gw --json status >status.json || fail "status --json with a long error"
assert_eq "$(field broken "len(s['error']), s['error'].endswith('second line')")" "(372, True)" \
  "the whole error in JSON"
pass "a long multi-line error is one shortened line in the table, whole in JSON"

# Usage and errors.
gw status --help >help.txt || fail "status --help failed"
assert_contains "$(cat help.txt)" "FAILS" "status --help"
assert_contains "$(cat help.txt)" "consecutive_failures" "status --help"
if gw status extra >extra.out 2>extra.err; then fail "status accepted an argument"; else rc=$?; fi
assert_eq "$rc" 2 "exit status of status with an argument"
if $GW_WRAPPER "$GW_BIN" --config "$WORK/missing.json" status >missing.out 2>missing.err; then
  fail "status with a missing config succeeded"
else rc=$?; fi
assert_eq "$rc" 2 "exit status of status with a missing config"
pass "status --help documents the columns; bad use exits 2"
