#!/usr/bin/env bash
# Spool retention (spool.retention_days): after a run, payloads no run has
# used for longer than that are removed - but never one an HTTP validator
# still points at (a 304 must stay answerable), never a file that is not a
# payload, never with retention 0. The removal is recorded first in one
# "prune" record (no record, no removal: see test_spool.c); nothing due,
# no record. A run that gets a 304 renews its payload. The daemon prunes after its runs too.
# A replay of a run whose payload was pruned says so. The log verifies.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

cp -r "$GW_SOURCE_DIR/tests/fixtures/statline" fx
TABLE=fx/ODataFeed/odata/90001NED/TypedDataSet.json
ROW='"GM0384    ","Perioden":"2020JJ00"'
it_start_server S "$WORK/fx"

write_config() { # RETENTION_DAYS [EXTRA]
  IT_CONFIG_EXTRA="\"spool\": {\"retention_days\": $1}${2:+, $2}" it_write_config "[
  {\"id\":\"sociaal-domein\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/90001NED\",\"schedule\":\"0 6 * * *\"},
  {\"id\":\"jeugdhulp\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/odata/v1/CBS/90002NED\",\"schedule\":\"0 6 * * *\"}]"
}

prune_records() {
  "$PYTHON" -c "import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l).get('event')=='prune'))" data/exchange.log
}

# A payload no validator knows: content named by its SHA-256.
orphan() { # CONTENT -> prints its sha
  local sha
  sha=$(printf '%s' "$1" | sha256sum | cut -d' ' -f1)
  printf '%s' "$1" >"data/spool/$sha"
  echo "$sha"
}

age_spool() { # everything in the spool last used 3 days ago
  find data/spool -mindepth 1 -exec touch -h -d '3 days ago' {} +
}

# The payloads validators point at, from the store itself.
referenced() {
  "$PYTHON" -c "import sqlite3,sys; print(' '.join(sorted({r[0] for r in sqlite3.connect(sys.argv[1]).execute('SELECT payload_sha256 FROM http_validator WHERE payload_sha256 IS NOT NULL')})))" data/gateway.db
}

write_config 1
gw --json run >run1.json 2>run1.err || fail "first run failed: $(cat run1.err)"
RUN1=$(json_get run1.json "[r['run_id'] for r in d['runs'] if r['source']=='sociaal-domein'][0]")
assert_eq "$(prune_records)" 0 "prune records after a run with nothing old"
pass "nothing old, nothing pruned, no prune record"

# The second run gets a new TypedDataSet page: the old one is no longer
# any validator's payload.
OLD=$("$PYTHON" - data/exchange.log "$RUN1" <<'PY'
import json, sys
for l in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(l)
    if r.get("trace_id") == sys.argv[2] and r.get("event") == "fetch" and "TypedDataSet" in r["url"]:
        print(r["payload_sha256"]); break
PY
)
sed -i "/$ROW/s/\"Bijstandsuitkeringen_6\":410,/\"Bijstandsuitkeringen_6\":999,/" "$TABLE"
gw --json run sociaal-domein >run2.json 2>run2.err || fail "second run failed: $(cat run2.err)"
case " $(referenced) " in *" $OLD "*) fail "the old page is still referenced" ;; esac
[ -f "data/spool/$OLD" ] || fail "the old page is gone too early"

ORPHAN_OLD=$(orphan '{"orphan": "old"}')
UPPER=$(printf '%s' "$ORPHAN_OLD" | tr a-f A-F)
printf 'x' >"data/spool/$UPPER"
printf 'x' >data/spool/notes.txt
printf 'x' >data/spool/.tmp-leftover
mkdir "data/spool/$(printf 'd%.0s' $(seq 64))"
age_spool
ORPHAN_NEW=$(orphan '{"orphan": "used today"}')
REFERENCED=$(referenced)
sizes=$(($(stat -c %s "data/spool/$OLD") + $(stat -c %s "data/spool/$ORPHAN_OLD")))

# Only jeugdhulp runs: sociaal-domein's payloads are not renewed by a run,
# they stay because validators point at them.
gw --json run jeugdhulp >run3.json 2>run3.err || fail "third run failed: $(cat run3.err)"
for sha in $OLD $ORPHAN_OLD; do
  [ -e "data/spool/$sha" ] && fail "$sha was not pruned"
done
for sha in $REFERENCED $ORPHAN_NEW; do
  [ -f "data/spool/$sha" ] || fail "$sha was pruned"
done
for f in "$UPPER" notes.txt .tmp-leftover "$(printf 'd%.0s' $(seq 64))"; do
  [ -e "data/spool/$f" ] || fail "$f (not a payload) was removed"
done
old_referenced=$(for sha in $REFERENCED; do find "data/spool/$sha" -mtime +1; done | wc -l)
[ "$old_referenced" -gt 0 ] || fail "no referenced payload was old: the test proves nothing"
pass "old unreferenced payloads pruned; $old_referenced old referenced ones, a fresh one and foreign files kept"

assert_eq "$(prune_records)" 1 "prune records"
"$PYTHON" - data/exchange.log "$OLD" "$ORPHAN_OLD" "$sizes" <<'PY' || fail "the prune record is wrong"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l).get("event") == "prune"][0]
assert r["outcome"] == "ok" and r["status_code"] == 1, r
assert r["retention_days"] == 1 and r["files"] == 2, r
assert r["bytes"] == int(sys.argv[4]), r
assert sorted(r["payloads"]) == sorted(sys.argv[2:4]) and r["payloads_truncated"] is False, r
assert len(r["trace_id"]) == 32 and len(r["span_id"]) == 16, r
PY
gw audit verify >verify.out 2>&1 || fail "audit verify: $(cat verify.out)"
assert_contains "$(cat verify.out)" "intact"
pass "one prune record with files, bytes, retention and the digests; the log verifies"

rc=0
gw replay "$RUN1" >replay.out 2>replay.err || rc=$?
assert_eq "$rc" 1 "replay of a run whose payload was pruned"
assert_contains "$(cat replay.err)" "payload $OLD of"
assert_contains "$(cat replay.err)" "is no longer in the spool (pruned after 1 days?)"
pass "replay of the pruned run says which payload is gone"

# A 304 renews the payload it reuses. (The young orphan would be due now.)
rm "data/spool/$ORPHAN_NEW"
age_spool
gw --json run sociaal-domein >run4.json 2>run4.err || fail "fourth run failed: $(cat run4.err)"
RUN4=$(json_get run4.json "d['runs'][0]['run_id']")
assert_eq "$(json_get run4.json "d['runs'][0]['not_modified']")" \
  "$(json_get run4.json "d['runs'][0]['pages']")" "pages of the fourth run answered 304"
used=$("$PYTHON" - data/exchange.log "$RUN4" <<'PY'
import json, sys
print(" ".join(sorted({json.loads(l)["payload_sha256"] for l in open(sys.argv[1])
                      if json.loads(l).get("trace_id") == sys.argv[2] and json.loads(l).get("event") == "fetch"})))
PY
)
[ -n "$used" ] || fail "no payloads recorded for the fourth run"
for sha in $used; do
  [ -n "$(find "data/spool/$sha" -newermt '1 hour ago')" ] || fail "$sha was answered by a 304 but not renewed"
done
assert_eq "$(prune_records)" 1 "prune records after a run with nothing due"
pass "payloads answered by 304 are renewed; nothing due, no new record"

# Retention 0 keeps everything.
write_config 0
ORPHAN_ZERO=$(orphan '{"orphan": "retention zero"}')
age_spool
gw --json run jeugdhulp >run5.json 2>run5.err || fail "run with retention 0 failed: $(cat run5.err)"
[ -f "data/spool/$ORPHAN_ZERO" ] || fail "retention 0 pruned a payload"
assert_eq "$(prune_records)" 1 "prune records with retention 0"
pass "retention_days 0 never prunes"

# The daemon prunes after its runs: a missed run of jeugdhulp runs at
# start-up (catch-up), then the old orphan goes.
write_config 1 "\"daemon\": {\"max_concurrent\": 1, \"jitter_seconds\": 0, \"catch_up\": true}"
"$PYTHON" - data/gateway.db <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE run SET started_at='2020-01-01T00:00:00.000Z'")
db.commit()
PY
$GW_WRAPPER "$GW_BIN" --config "$WORK/gateway.json" daemon 2>daemon.err &
DAEMON=$!
for _ in $(seq 1 600); do
  [ "$(prune_records)" = 2 ] && break
  kill -0 "$DAEMON" 2>/dev/null || break
  sleep 0.1
done
kill -TERM "$DAEMON" 2>/dev/null || true
rc=0
wait "$DAEMON" || rc=$?
assert_eq "$rc" 0 "daemon exit status ($(tail -5 daemon.err))"
assert_eq "$(prune_records)" 2 "prune records after the daemon's runs"
[ -e "data/spool/$ORPHAN_ZERO" ] && fail "the daemon did not prune the old orphan"
pass "the daemon prunes after a run"
