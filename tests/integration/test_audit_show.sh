#!/usr/bin/env bash
# gateway audit show on the exchange log of real runs (two StatLine sources
# over local HTTPS, run twice): every filter alone and combined gives
# exactly the records a reference filter in Python picks, jsonl output is
# the log's own lines byte for byte, time bounds are inclusive and dates
# cover whole days, rotated segments are read oldest first, a torn last
# line is reported without stopping the listing, and bad options exit 2
# naming the option.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

it_start_server S "$GW_SOURCE_DIR/tests/fixtures/statline"
it_write_config "[
  {\"id\":\"sociaal-domein\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/90001NED\"},
  {\"id\":\"jeugdhulp\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/odata/v1/CBS/90002NED\"}]"

gw --json run >run1.json 2>run1.err || fail "first run failed: $(cat run1.err)"
gw --json run >run2.json 2>run2.err || fail "second run failed: $(cat run2.err)"
LOG=data/exchange.log
[ -s "$LOG" ] || fail "no exchange log written"
records=$(wc -l <"$LOG" | tr -d ' ')

# expect ARGS...: the log lines the reference filter picks (see below).
# Arguments are KEY=VALUE (member equals; repeat a key for either value),
# from=MS / to=MS (inclusive milliseconds since the epoch).
expect() {
  "$PYTHON" - "$LOG" "$@" <<'PY'
import datetime as dt, json, sys
want, lo, hi = {}, None, None
for a in sys.argv[2:]:
    k, v = a.split("=", 1)
    if k == "from": lo = int(v)
    elif k == "to": hi = int(v)
    else: want.setdefault(k, set()).add(v)
def ms(t):
    d = dt.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)
    return int(d.timestamp() * 1000 + 0.5)
with open(sys.argv[1], "rb") as f:
    for raw in f:
        rec = json.loads(raw)
        if lo is not None and ms(rec["time"]) < lo: continue
        if hi is not None and ms(rec["time"]) > hi: continue
        if all(rec.get(k) in v for k, v in want.items()):
            sys.stdout.buffer.write(raw)
PY
}

# same_records WHAT EXPECTED_FILE ARGS...: jsonl output equals EXPECTED.
same_records() {
  local what=$1 expected=$2
  shift 2
  gw audit show --format jsonl "$@" >got.jsonl 2>got.err || fail "$what: exit $? $(cat got.err)"
  cmp -s got.jsonl "$expected" || fail "$what: jsonl differs from the reference ($(wc -l <got.jsonl) vs $(wc -l <"$expected") lines)"
  [ -s "$expected" ] || fail "$what: the reference picked nothing, the test proves nothing"
}

# ---- everything -----------------------------------------------------------
gw audit show --format jsonl >all.jsonl 2>all.err || fail "jsonl dump: $(cat all.err)"
cmp -s all.jsonl "$LOG" || fail "jsonl dump is not the log byte for byte"
gw --json audit show >all2.jsonl || fail "--json dump failed"
cmp -s all2.jsonl "$LOG" || fail "--json is not jsonl"
gw audit show >all.txt 2>all.err || fail "text dump: $(cat all.err)"
assert_eq "$(head -1 all.txt | cut -c1-4)" "TIME" "text header"
assert_eq "$(($(wc -l <all.txt) - 1))" "$records" "text lines"
pass "unfiltered: jsonl is the log byte for byte, text has one line per record ($records)"

# ---- text content -----------------------------------------------------------
fetch_line=$(grep -m1 '"event":"fetch"' "$LOG")
seq=$("$PYTHON" -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["seq"])' "$fetch_line")
url=$("$PYTHON" -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["url"])' "$fetch_line")
row=$(awk -v s="$seq" '$2 == s' all.txt)
assert_contains "$row" "$url" "text line of the first fetch"
assert_contains "$row" " fetch " "text line of the first fetch"
assert_contains "$row" "200 TLSv1.3" "text line of the first fetch"
store_row=$(grep -m1 ' store ' all.txt)
assert_contains "$store_row" "inserted=" "text line of a store"
pass "text lines carry the URL, HTTP status and TLS version of fetches and the counts of stores"

# ---- each filter alone --------------------------------------------------------
expect source=jeugdhulp >exp.jsonl
same_records "--source" exp.jsonl --source jeugdhulp
expect event=store >exp.jsonl
same_records "--event" exp.jsonl --event store
expect outcome=committed >exp.jsonl
same_records "--outcome" exp.jsonl --outcome committed
trace=$(json_get run1.json "[r['run_id'] for r in d['runs'] if r['source']=='sociaal-domein'][0]")
expect trace_id="$trace" >exp.jsonl
same_records "--trace" exp.jsonl --trace "$trace"
upper=$(printf '%s' "$trace" | tr a-f A-F)
same_records "--trace in upper case" exp.jsonl --trace "$upper"
for ev in fetch parse store; do
  grep -q "\"event\":\"$ev\"" exp.jsonl || fail "--trace of a run lacks its $ev records"
done
pass "--source, --event, --outcome and --trace each pick exactly the matching records"

# ---- combinations and repeats -------------------------------------------------
expect source=sociaal-domein event=store >exp.jsonl
same_records "--source --event" exp.jsonl --source sociaal-domein --event store
assert_eq "$(wc -l <exp.jsonl | tr -d ' ')" "2" "store records of one source over two runs"
expect event=parse event=store source=jeugdhulp >exp.jsonl
same_records "repeated --event" exp.jsonl --event parse --event store --source jeugdhulp
expect source=jeugdhulp source=sociaal-domein event=fetch outcome=ok >exp.jsonl
same_records "three kinds" exp.jsonl --source jeugdhulp --source sociaal-domein --event fetch --outcome ok
gw audit show --event store --source jeugdhulp >comb.txt || fail "combined text"
assert_eq "$(($(wc -l <comb.txt) - 1))" "2" "text lines of a combined filter"
pass "filters combine (kinds AND, repeats OR)"

# ---- time -------------------------------------------------------------------------
stamp() { sed -n "$1p" "$LOG" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["time"])'; }
to_ms() { "$PYTHON" -c 'import datetime as dt,sys; print(int(dt.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc).timestamp()*1000+0.5))' "$1"; }
t_from=$(stamp 5)
t_to=$(stamp $((records - 3)))
expect from="$(to_ms "$t_from")" to="$(to_ms "$t_to")" >exp.jsonl
same_records "--from --to stamps" exp.jsonl --from "$t_from" --to "$t_to"
grep -qF "\"time\":\"$t_from\"" got.jsonl || fail "--from is not inclusive"
grep -qF "\"time\":\"$t_to\"" got.jsonl || fail "--to is not inclusive"
expect from="$(to_ms "$t_from")" event=fetch >exp.jsonl
same_records "--from with --event" exp.jsonl --from "$t_from" --event fetch
day=${t_from%%T*}
same_records "--from and --to of the same day" "$LOG" --from "$day" --to "$day"
prev_day=$("$PYTHON" -c 'import datetime as dt,sys; print(dt.date.fromisoformat(sys.argv[1]) - dt.timedelta(days=1))' "$day")
next_day=$("$PYTHON" -c 'import datetime as dt,sys; print(dt.date.fromisoformat(sys.argv[1]) + dt.timedelta(days=1))' "$day")
gw audit show --to "$prev_day" >none.txt 2>none.err || fail "empty result must exit 0"
assert_contains "$(cat none.err)" "no records match"
assert_eq "$(wc -l <none.txt | tr -d ' ')" "1" "only the header when nothing matches"
gw audit show --format jsonl --from "$next_day" >none.jsonl 2>none.err || fail "empty jsonl must exit 0"
[ ! -s none.jsonl ] || fail "records after the log's last day"
pass "--from/--to are inclusive, a date covers its whole day, an empty result exits 0"

# ---- limit --------------------------------------------------------------------------
gw audit show --format jsonl --limit 3 --event fetch >lim.jsonl || fail "--limit"
expect event=fetch >exp-all.jsonl
head -3 exp-all.jsonl >exp.jsonl
cmp -s lim.jsonl exp.jsonl || fail "--limit 3 is not the first three matches"
pass "--limit"

# ---- segments and a torn tail ----------------------------------------------------
mkdir -p seg
half=$((records / 2))
head -n 3 "$LOG" >seg/x.log.000001
sed -n "4,${half}p" "$LOG" >seg/x.log.000002
sed -n "$((half + 1)),\$p" "$LOG" >seg/x.log
: >seg/x.log.000002.tmp
gw audit show --log seg/x.log --format jsonl >seg.jsonl || fail "segments"
cmp -s seg.jsonl "$LOG" || fail "segments are not read oldest first, then the active file"
gw audit show --log seg/x.log --source jeugdhulp --event store --format jsonl >seg.jsonl || fail "segments filtered"
expect source=jeugdhulp event=store >exp.jsonl
cmp -s seg.jsonl exp.jsonl || fail "filtered segments"
printf '{"seq":%d,"time":"2099-01-01T00:00:00.000Z","prev":"ab' "$records" >>seg/x.log
gw audit show --log seg/x.log --format jsonl >torn.jsonl 2>torn.err || fail "torn tail must not fail the listing"
cmp -s torn.jsonl "$LOG" || fail "records before a torn tail"
assert_contains "$(cat torn.err)" "torn"
assert_contains "$(cat torn.err)" "seg/x.log line $((records - half + 1))"
pass "rotated segments read in order; a torn last line is named on stderr and not shown"

# ---- bad options ----------------------------------------------------------------------
bad() { # EXPECTED_TEXT ARGS...
  local text=$1 rc=0
  shift
  gw audit show "$@" >bad.out 2>bad.err || rc=$?
  assert_eq "$rc" "2" "exit status of audit show $*"
  assert_contains "$(cat bad.err)" "$text" "message for audit show $*"
  [ ! -s bad.out ] || fail "audit show $* wrote to stdout"
}
bad "--from 'yesterday'" --from yesterday
bad "--to '2026-02-30'" --to 2026-02-30
bad "--from '2026-11-24T06:00:00+01:00'" --from 2026-11-24T06:00:00+01:00
bad "--trace 'xyz'" --trace xyz
bad "--format takes text or jsonl" --format yaml
bad "--limit '-1'" --limit -1
bad "--limit 'ten'" --limit ten
bad "--bogus" --bogus
bad "unexpected argument 'extra'" extra
bad "--to is before --from" --from 2026-11-24 --to 2026-11-23
bad "--source: the value must be" --source ""
rc=0
gw audit show --log "$WORK/none.log" >/dev/null 2>miss.err || rc=$?
assert_eq "$rc" "1" "exit status for a log that does not exist"
assert_contains "$(cat miss.err)" "no exchange log at $WORK/none.log"
pass "bad options exit 2 naming the option; a missing log exits 1 naming the path"

# ---- segments written by the gateway's own rotation --------------------------------
"$PYTHON" - "$WORK/gateway.json" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["audit"].update({"path": "data/seg/exchange.log", "rotate_bytes": 6000,
                     "checkpoint_file": "data/seg/checkpoints"})
json.dump(cfg, open(sys.argv[1], "w"), indent=2)
PY
gw run >rot.out 2>&1 || fail "run with rotate_bytes: $(cat rot.out)"
[ -s data/seg/exchange.log.000002 ] || fail "the run did not rotate the log into segments"
ls data/seg/exchange.log.[0-9][0-9][0-9][0-9][0-9][0-9] | sort >segs.txt
cat $(cat segs.txt) data/seg/exchange.log >joined.log
gw audit show --format jsonl >rot.jsonl || fail "audit show over rotated segments"
cmp -s rot.jsonl joined.log || fail "rotated segments are not listed oldest first, then the active file"
"$PYTHON" -c 'import json,sys; s=[json.loads(l)["seq"] for l in open(sys.argv[1])]; assert s == list(range(len(s))), s[:20]' rot.jsonl ||
  fail "seq is not 0, 1, 2, ... across the segments"
gw audit show --event checkpoint >cp.txt || fail "--event checkpoint"
grep -q " checkpoint .* size=[0-9]" cp.txt || fail "checkpoint records are not listed with their size: $(cat cp.txt)"
gw audit show --source jeugdhulp --event store --format jsonl >rot-store.jsonl || fail "filter over segments"
assert_eq "$(wc -l <rot-store.jsonl | tr -d ' ')" "1" "store records of one source in a rotated log"
pass "segments rotated by the gateway ($(wc -l <segs.txt | tr -d ' ') closed) read in order with seq continuous; checkpoints listed"
