#!/usr/bin/env bash
# gateway replay: a past run's spooled payloads parsed again with the
# fixture server stopped (no network at all). Replaying an unchanged run
# finds nothing to change; after a second run revised a figure, replaying
# the first reports that figure going back (old -> new); a 304 run replays
# from the payload its 304 reused. Replay never changes the store, the
# feeds or the spool, logs one "replay" record, and fails clearly (exit 1)
# for an unknown run, a removed source, a URL the run did not fetch, a
# pruned payload and an altered one; a malformed run id is a usage error.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

cp -r "$GW_SOURCE_DIR/tests/fixtures/statline" fx
TABLE=fx/ODataFeed/odata/90001NED/TypedDataSet.json
ROW='"GM0384    ","Perioden":"2020JJ00"'

write_config() { # [PLUGIN_DIR]
  local saved=$GW_PLUGIN_DIR
  GW_PLUGIN_DIR=${1:-$saved}
  it_write_config "[
  {\"id\":\"sociaal-domein\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/90001NED\"},
  {\"id\":\"jeugdhulp\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/odata/v1/CBS/90002NED\"}]"
  GW_PLUGIN_DIR=$saved
}

stop_server() { # INDEX: the server is gone, nothing answers on its port
  local pid=${SERVER_PIDS[$1]}
  kill "$pid" && wait "$pid" 2>/dev/null || true
  "$PYTHON" -c "import socket,sys; s=socket.socket(); sys.exit(0 if s.connect_ex(('127.0.0.1', int(sys.argv[1]))) else 1)" "$PORT" ||
    fail "something still listens on port $PORT"
}

# Everything replay must not change: every row of the store, the feeds,
# and the spool (names, contents and times of last use).
state_sha() {
  "$PYTHON" - data/gateway.db <<'PY'
import hashlib, os, sqlite3, sys
h = hashlib.sha256()
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
for table in ("observation", "http_validator", "run"):
    for row in db.execute("SELECT * FROM %s ORDER BY rowid" % table):
        h.update(repr(row).encode())
for d in ("feeds", "data/spool"):
    for name in sorted(os.listdir(d)):
        p = os.path.join(d, name)
        h.update(name.encode())
        if os.path.isfile(p):
            h.update(open(p, "rb").read())
            h.update(str(os.stat(p).st_mtime_ns).encode())
print(h.hexdigest())
PY
}

# replay_json OUT ARGS...: gw --json replay ARGS > OUT, the exit status in RC
replay_json() {
  local out=$1
  shift
  RC=0
  gw --json replay "$@" >"$out" 2>"$out.err" || RC=$?
}

it_start_server S "$WORK/fx"
PORT=$(cat S.port)
write_config
gw --json run >run1.json 2>run1.err || fail "first run failed: $(cat run1.err)"
RUN1=$(json_get run1.json "[r['run_id'] for r in d['runs'] if r['source']=='sociaal-domein'][0]")
RUN1_J=$(json_get run1.json "[r['run_id'] for r in d['runs'] if r['source']=='jeugdhulp'][0]")
INSERTED=$(json_get run1.json "[r['inserted'] for r in d['runs'] if r['source']=='sociaal-domein'][0]")
PAGES=$(json_get run1.json "[r['pages'] for r in d['runs'] if r['source']=='sociaal-domein'][0]")
[ "$INSERTED" -gt 0 ] || fail "the first run stored nothing"
pass "first run stored $INSERTED figures of sociaal-domein (run $RUN1)"

stop_server 0
before=$(state_sha)
replay_json r1.json "$RUN1"
assert_eq "$RC" 0 "exit status of replaying an unchanged run ($(cat r1.json.err))"
assert_eq "$(json_get r1.json "d['outcome']")" ok "outcome"
assert_eq "$(json_get r1.json "d['run_id']")" "$RUN1" "replayed run id"
assert_eq "$(json_get r1.json "d['source']")" sociaal-domein "source"
assert_eq "$(json_get r1.json "(d['would_insert'], d['would_revise'], d['not_reproduced'])")" \
  "(0, 0, 0)" "changes of an unchanged run"
assert_eq "$(json_get r1.json "d['unchanged']")" "$INSERTED" "unchanged figures"
assert_eq "$(json_get r1.json "d['payloads']")" "$PAGES" "payloads served from the spool"
assert_eq "$(json_get r1.json "d['plugin_changed']")" False "plugin changed"
assert_eq "$(json_get r1.json "len(d['changes'])")" 0 "changes listed"
assert_eq "$(state_sha)" "$before" "store, feeds and spool after a replay"
pass "replay with the server stopped: 0 changes, $INSERTED unchanged, nothing written"

gw replay "$RUN1_J" >r1j.txt 2>r1j.err || fail "text replay of jeugdhulp: $(cat r1j.err)"
assert_contains "$(cat r1j.txt)" "source    jeugdhulp"
assert_contains "$(cat r1j.txt)" "Nothing would change."
pass "the other source's run replays on its own"

"$PYTHON" - data/exchange.log "$RUN1" <<'PY' || fail "no proper replay record in the exchange log"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
rp = [r for r in recs if r.get("event") == "replay" and r.get("replayed_trace_id") == sys.argv[2]]
assert len(rp) == 1, rp
r = rp[0]
assert r["trace_id"] != sys.argv[2] and len(r["trace_id"]) == 32, r
assert r["outcome"] == "ok" and r["status_code"] == 1, r
assert r["would_revise"] == 0 and r["would_insert"] == 0 and r["unchanged"] > 0, r
assert r["source"] == "sociaal-domein" and "changes" not in r, r
# the replay fetched nothing: no fetch record of its trace
assert not [x for x in recs if x.get("trace_id") == r["trace_id"] and x.get("event") != "replay"]
PY
pass "one replay record with its own trace, the counts and no fetch"

# A second run against changed data: one figure gets revision 2.
sed -i "/$ROW/s/\"Bijstandsuitkeringen_6\":410,/\"Bijstandsuitkeringen_6\":999,/" "$TABLE"
grep -q "$ROW.*\"Bijstandsuitkeringen_6\":999," "$TABLE" || fail "fixture edit did not apply"
it_start_server T "$WORK/fx" --port "$PORT"
gw --json run >run2.json 2>run2.err || fail "second run failed: $(cat run2.err)"
RUN2=$(json_get run2.json "[r['run_id'] for r in d['runs'] if r['source']=='sociaal-domein'][0]")
assert_eq "$(json_get run2.json "[r['revised'] for r in d['runs'] if r['source']=='sociaal-domein'][0]")" 1 \
  "figures revised by the second run"
[ "$(json_get run2.json "[r['not_modified'] for r in d['runs'] if r['source']=='sociaal-domein'][0]")" -gt 0 ] ||
  fail "the second run got no 304"
stop_server 1

before=$(state_sha)
replay_json r2.json "$RUN1" --show 5
assert_eq "$RC" 0 "exit status of a replay that would change something ($(cat r2.json.err))"
assert_eq "$(json_get r2.json "(d['would_insert'], d['would_revise'])")" "(0, 1)" "changes"
assert_eq "$(json_get r2.json "d['unchanged']")" "$((INSERTED - 1))" "unchanged figures"
assert_eq "$(json_get r2.json "[(c['change'], c['indicator'], c['area'], c['period']) for c in d['changes']]")" \
  "[('revise', 'bijstand_per_10k', 'GM0384', '2020')]" "the change listed"
assert_eq "$(json_get r2.json "(d['changes'][0]['before']['value'], d['changes'][0]['after']['value'])")" \
  "(999.0, 410.0)" "old -> new value"
assert_eq "$(json_get r2.json "(d['changes'][0]['before']['revision'], d['changes'][0]['after']['revision'])")" \
  "(2, 3)" "old -> new revision"
gw replay "$RUN1" >r2.txt 2>r2.err || fail "text replay: $(cat r2.err)"
assert_contains "$(cat r2.txt)" "bijstand_per_10k GM0384 2020: 999 final (revision 2) -> 410 final"
assert_contains "$(cat r2.txt)" "would revise 1"
assert_eq "$(state_sha)" "$before" "store, feeds and spool after replaying the first run"
v=$(json_get feeds/indicators.json "[o['value'] for o in d['observations'] if o['indicator']=='bijstand_per_10k' and o['area']=='GM0384' and o['period']=='2020'][0]")
assert_eq "$v" 999 "published value after the replay"
pass "replaying the first run shows 999 -> 410 going back, and changes nothing"

replay_json r3.json "$RUN2"
assert_eq "$RC" 0 "replay of the run with 304s ($(cat r3.json.err))"
assert_eq "$(json_get r3.json "(d['would_insert'], d['would_revise'])")" "(0, 0)" "changes"
[ "$(json_get r3.json "d['not_modified']")" -gt 0 ] || fail "no payload came from a 304 record"
pass "a run answered with 304s replays from the payloads the 304s reused"

# The installed plugin binary differs from the one that ran: said, and
# the replay still runs.
mkdir plugins2
cp "$GW_PLUGIN_DIR"/cbs_odata.so plugins2/
printf 'not the same binary' >>plugins2/cbs_odata.so
write_config "$WORK/plugins2"
replay_json r4.json "$RUN1" --show 0
assert_eq "$RC" 0 "replay with a changed plugin ($(cat r4.json.err))"
assert_eq "$(json_get r4.json "d['plugin_changed']")" True "plugin changed"
assert_contains "$(cat r4.json.err)" "is not the binary that ran"
assert_eq "$(json_get r4.json "len(d['changes'])")" 0 "changes listed with --show 0"
write_config
pass "a changed plugin binary is reported (recorded and installed SHA-256)"

# expect_failure NAME STATUS NEEDLE ARGS...: replay fails with STATUS and
# says NEEDLE on stderr; with --json stdout is still one JSON report.
expect_failure() {
  local name=$1 status=$2 needle=$3
  shift 3
  before=$(state_sha)
  replay_json "$name.json" "$@"
  assert_eq "$RC" "$status" "exit status ($name): $(cat "$name.json.err")"
  assert_contains "$(cat "$name.json.err")" "$needle" "stderr ($name)"
  assert_eq "$(state_sha)" "$before" "state after a failed replay ($name)"
}

expect_failure unknown 1 "has no record of run 0123456789abcdef0123456789abcdef" \
  0123456789abcdef0123456789abcdef
assert_eq "$(json_get unknown.json "d['outcome']")" failed "outcome of an unknown run"
expect_failure malformed 2 "is not a run id" not-a-run-id
expect_failure noarg 2 "which run?"
pass "unknown run: exit 1 with a clear error; malformed id: exit 2"

it_write_config "[{\"id\":\"jeugdhulp\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/odata/v1/CBS/90002NED\"}]"
expect_failure removed 1 "source 'sociaal-domein', which is not in" "$RUN1"
BASE_S_SAVED=$BASE_S
BASE_S="https://127.0.0.1:$((PORT == 65535 ? PORT - 1 : PORT + 1))"
write_config
BASE_S=$BASE_S_SAVED
expect_failure moved 1 "which run $RUN1 did not fetch" "$RUN1"
write_config
pass "a removed source or a URL the run did not fetch fails clearly"

# A payload of the first run leaves the spool, then comes back altered.
SHA=$("$PYTHON" - data/exchange.log "$RUN1" <<'PY'
import json, sys
for l in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(l)
    if r.get("trace_id") == sys.argv[2] and r.get("event") == "fetch" and "TypedDataSet" in r["url"]:
        print(r["payload_sha256"]); break
PY
)
[ -n "$SHA" ] || fail "no TypedDataSet payload recorded for $RUN1"
mv "data/spool/$SHA" saved-payload
expect_failure pruned 1 "payload $SHA of" "$RUN1"
assert_contains "$(cat pruned.json.err)" "is no longer in the spool (pruned after 90 days?)"
cp saved-payload "data/spool/$SHA"
sed -i 's/"Bijstandsuitkeringen_6":410,/"Bijstandsuitkeringen_6":411,/' "data/spool/$SHA"
cmp -s saved-payload "data/spool/$SHA" && fail "could not alter the payload"
expect_failure altered 1 "was altered" "$RUN1"
mv saved-payload "data/spool/$SHA"
pass "a pruned or altered payload fails the replay clearly"

failed=$("$PYTHON" -c "import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l).get('event')=='replay' and json.loads(l)['outcome']=='failed'))" data/exchange.log)
assert_eq "$failed" 5 "replay records of failed replays"
gw audit verify >verify.out 2>&1 || fail "audit verify: $(cat verify.out)"
assert_contains "$(cat verify.out)" "intact"
pass "failed replays are logged too, and the exchange log verifies"
