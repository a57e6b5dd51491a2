#!/usr/bin/env bash
# Provenance from fetch to feed on real runs over local HTTPS:
# export --with-provenance in JSON, XML and CSV validates against the
# schemas and names, per figure, the fetch span whose log record carries
# the same payload digest, and when the revision became valid (between
# that fetch and the run's store record); without the flag the export is
# what the feeds hold. `audit trace` of the bijstand GM0384 2020 figure
# shows the URL, TLS identity and payload digest the log has, the spooled
# payload verified and the feeds that published it; after a second run
# against a changed table it shows two revisions, each with its own fetch
# and feeds, and an as-of export returns the first with its valid_to.
# A log without the fetch record, a missing figure and bad arguments fail
# clearly.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

cp -r "$GW_SOURCE_DIR/tests/fixtures/statline" fx
TABLE=fx/ODataFeed/odata/90001NED/TypedDataSet.json
ROW='"WijkenEnBuurten":"GM0384    ","Perioden":"2020JJ00"'
it_start_server S "$WORK/fx"
it_write_config "[
  {\"id\":\"sociaal-domein\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/90001NED\"},
  {\"id\":\"rivm-gezondheid\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/50120NED\"}]"
LOG=data/exchange.log
VALIDATE="/usr/bin/python3 $GW_SOURCE_DIR/tests/tools/validate_json.py $GW_SOURCE_DIR/schemas/observation.schema.json"

gw --json run >run1.json 2>run1.err || fail "first run failed: $(cat run1.err)"
RUN1=$(json_get run1.json "[r['run_id'] for r in d['runs'] if r['source']=='sociaal-domein'][0]")

# ---- export --with-provenance -------------------------------------------------
gw export --format json --with-provenance -o prov.json || fail "json export with provenance"
gw export --format xml --with-provenance -o prov.xml || fail "xml export with provenance"
gw export --format csv --with-provenance -o prov.csv || fail "csv export with provenance"
$VALIDATE prov.json || fail "JSON with provenance does not match observation.schema.json"
xmllint --noout --nonet --schema "$GW_SOURCE_DIR/schemas/feed.xsd" prov.xml 2>xml.err ||
  fail "XML with provenance does not match feed.xsd: $(cat xml.err)"
pass "exports with provenance validate against observation.schema.json and feed.xsd"

# Every figure: its span names a fetch record with the same payload digest
# in the run that stored it, and valid_from lies between that fetch and
# the run's store record.
"$PYTHON" - "$LOG" prov.json prov.csv prov.xml <<'PY' || fail "provenance does not match the exchange log"
import csv, json, sys, xml.etree.ElementTree as ET
log = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
fetch = {r["span_id"]: r for r in log if r.get("event") == "fetch"}
stores = {r["trace_id"]: r for r in log if r.get("event") == "store"}
feed = json.load(open(sys.argv[2], encoding="utf-8"))
assert feed["count"] > 100, feed["count"]
for o in feed["observations"]:
    s = o["source"]
    f = fetch[s["span_id"]]
    assert f["payload_sha256"] == s["payload_sha256"], (o, f)
    assert f["source"] == s["id"], (o, f)
    st = stores[f["trace_id"]]
    assert f["time"] <= s["valid_from"] <= st["time"], (f["time"], s["valid_from"], st["time"])
    assert "valid_to" not in s, s
key = lambda ind, area, per, bd: (ind, area, per, bd)
by_key = {key(o["indicator"], o["area"], o["period"], json.dumps(o["breakdown"], sort_keys=True)): o
          for o in feed["observations"]}
rows = list(csv.reader(open(sys.argv[3], encoding="utf-8-sig"), delimiter=";"))
head = rows[0]
assert head[-3:] == ["span_id", "valid_from", "valid_to"], head
assert len(rows) - 1 == feed["count"]
for r in rows[1:]:
    assert len(r) == len(head), r
    bd = {}
    if r[4]:
        for pair in r[4].split("|"):
            k, v = pair.split("=", 1)
            bd[k] = v
    o = by_key[key(r[0], r[1], r[3], json.dumps(bd, sort_keys=True))]
    assert r[-3] == o["source"]["span_id"] and r[-2] == o["source"]["valid_from"], (r, o)
    assert r[-1] == "", r
ns = {"f": "urn:nl:gateway:feed:1"}
xs = ET.parse(sys.argv[4]).getroot().findall("f:observation", ns)
assert len(xs) == feed["count"]
for x, o in zip(xs, feed["observations"]):
    src = x.find("f:source", ns).attrib
    assert src["span_id"] == o["source"]["span_id"], (src, o)
    assert src["valid_from"] == o["source"]["valid_from"], (src, o)
    assert "valid_to" not in src
PY
pass "every figure's span is a fetch of the same payload; valid_from lies between that fetch and the store record; CSV and XML agree"

# ---- without the flag: what the feeds hold ---------------------------------------
gw export --format json -o plain.json || fail "json export"
gw export --format xml -o plain.xml || fail "xml export"
gw export --format csv -o plain.csv || fail "csv export"
cmp -s plain.csv feeds/indicators.csv || fail "CSV export without the flag differs from the feed"
# JSON and XML differ from the feed only in the feed's name and time
tail -n +2 plain.json >a && tail -n +2 feeds/indicators.json >b
cmp -s a b || fail "JSON export without the flag differs from the feed"
tail -n +3 plain.xml >a && tail -n +3 feeds/indicators.xml >b
cmp -s a b || fail "XML export without the flag differs from the feed"
for f in plain.json plain.xml plain.csv; do
  ! grep -q "span_id\|valid_from\|valid_to" "$f" || fail "$f carries provenance without the flag"
done
pass "without the flag the exports are the feeds byte for byte (apart from the feed's name and time)"

# ---- audit trace: one revision --------------------------------------------------------
SPAN1=$(json_get prov.json "[o['source']['span_id'] for o in d['observations'] if o['indicator']=='bijstand_per_10k' and o['area']=='GM0384' and o['period']=='2020'][0]")
SHA1=$(json_get prov.json "[o['source']['payload_sha256'] for o in d['observations'] if o['indicator']=='bijstand_per_10k' and o['area']=='GM0384' and o['period']=='2020'][0]")
URL1=$("$PYTHON" -c 'import json,sys; print([r["url"] for r in map(json.loads, open(sys.argv[1])) if r.get("span_id")==sys.argv[2] and r.get("event")=="fetch"][0])' "$LOG" "$SPAN1")
CERT=$("$PYTHON" -c 'import json,sys; print([r["peer_cert_sha256"] for r in map(json.loads, open(sys.argv[1])) if r.get("span_id")==sys.argv[2]][0])' "$LOG" "$SPAN1")
FEED_SHA1=$(sha_of feeds/indicators.json)

gw audit trace bijstand_per_10k GM0384 2020 >t1.txt 2>t1.err || fail "audit trace: $(cat t1.err)"
out=$(cat t1.txt)
assert_contains "$out" "1 revision"
assert_contains "$out" "revision 1: 410 per_10000, final"
assert_contains "$out" "$URL1" "trace text"
assert_contains "$out" "sha256 $SHA1" "trace text"
assert_contains "$out" "span $SPAN1" "trace text"
assert_contains "$out" "peer certificate sha256 $CERT" "trace text"
assert_contains "$out" "HTTP 200, TLSv1.3" "trace text"
assert_contains "$out" "spool $WORK/data/spool/$SHA1: present, digest verified" "trace text"
assert_contains "$out" "run      $RUN1" "trace text"
assert_contains "$out" "sha256 $FEED_SHA1" "trace text (the JSON feed)"
assert_contains "$out" "the chain is complete"
# the period as StatLine writes it names the same figure
gw audit trace bijstand_per_10k GM0384 2020JJ00 >t1b.txt || fail "audit trace with a StatLine period"
cmp -s t1.txt t1b.txt || fail "2020JJ00 is not the same figure as 2020"
pass "audit trace shows the fetch URL, TLS identity, payload digest and spool copy the log and spool have, and the feeds"

gw --json audit trace bijstand_per_10k GM0384 2020 >t1.json || fail "audit trace --json"
"$PYTHON" - t1.json "$LOG" "$SPAN1" "$SHA1" "$RUN1" <<'PY' || fail "audit trace --json content"
import json, sys
d = json.load(open(sys.argv[1]))
log = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
assert d["complete"] is True, d
(fig,) = d["figures"]
assert (fig["indicator"], fig["area"], fig["period"], fig["breakdown"], fig["source"]) == \
    ("bijstand_per_10k", "GM0384", "2020", {}, "sociaal-domein"), fig
(rev,) = fig["revisions"]
assert rev["revision"] == 1 and rev["value"] == 410 and rev["valid_to"] is None, rev
f = rev["fetch"]
logged = [r for r in log if r.get("span_id") == sys.argv[3] and r.get("event") == "fetch"]
assert f["record"] == logged[-1], (f, logged)
assert log[f["line"] - 1] == f["record"], "segment line does not point at the record"
assert rev["payload_sha256"] == sys.argv[4] and rev["run_id"] == sys.argv[5]
assert rev["spool"]["state"] == "verified", rev["spool"]
events = sorted(e["record"]["event"] for e in rev["run_records"])
assert "parse" in events and "store" in events, events
assert all(e["record"]["trace_id"] == sys.argv[5] for e in rev["run_records"])
exports = [(e["feed"], e["format"]) for e in rev["exports"]]
for fmt in ("json", "xml", "csv"):
    assert ("indicators", fmt) in exports, exports
assert rev["problems"] == []
PY
pass "audit trace --json: the fetch record as logged, at the line named, the run's records and the exports"

# ---- a second run against a changed table: revision 2 ------------------------------------
sed -i "/$ROW/s/\"Bijstandsuitkeringen_6\":410,/\"Bijstandsuitkeringen_6\":415,/" "$TABLE"
grep -q "$ROW.*\"Bijstandsuitkeringen_6\":415," "$TABLE" || fail "fixture edit did not apply"
gw --json run >run2.json 2>run2.err || fail "second run failed: $(cat run2.err)"
assert_eq "$(json_get run2.json "[r['revised'] for r in d['runs'] if r['source']=='sociaal-domein'][0]")" 1 \
  "figures revised by the second run"
RUN2=$(json_get run2.json "[r['run_id'] for r in d['runs'] if r['source']=='sociaal-domein'][0]")
FEED_SHA2=$(sha_of feeds/indicators.json)

gw audit trace bijstand_per_10k GM0384 2020 >t2.txt 2>t2.err || fail "audit trace after a revision: $(cat t2.err)"
assert_contains "$(cat t2.txt)" "2 revisions"
assert_contains "$(cat t2.txt)" "revision 1: 410 per_10000"
assert_contains "$(cat t2.txt)" "revision 2: 415 per_10000"
gw --json audit trace bijstand_per_10k GM0384 2020 >t2.json || fail "audit trace --json after a revision"
"$PYTHON" - t2.json "$LOG" "$SPAN1" "$SHA1" "$RUN1" "$RUN2" "$FEED_SHA1" "$FEED_SHA2" <<'PY' || fail "two revisions"
import json, sys
d = json.load(open(sys.argv[1]))
span1, sha1, run1, run2, feed1, feed2 = sys.argv[3:9]
log = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
assert d["complete"] is True, [r["problems"] for r in d["figures"][0]["revisions"]]
(fig,) = d["figures"]
r1, r2 = fig["revisions"]
assert (r1["revision"], r1["value"], r2["revision"], r2["value"]) == (1, 410, 2, 415)
assert r1["valid_to"] == r2["valid_from"] and r2["valid_to"] is None, (r1, r2)
assert r1["span_id"] == span1 and r1["payload_sha256"] == sha1 and r1["run_id"] == run1
assert r2["run_id"] == run2 and r2["span_id"] != span1 and r2["payload_sha256"] != sha1
f2 = r2["fetch"]["record"]
assert f2["span_id"] == r2["span_id"] and f2["payload_sha256"] == r2["payload_sha256"]
assert f2["trace_id"] == run2 and f2["http_status"] == 200, f2
assert r2["spool"]["state"] == "verified"
sha = lambda r: {e["payload_sha256"] for e in r["exports"] if e["format"] == "json"}
assert feed1 in sha(r1) and feed1 not in sha(r2), (sha(r1), sha(r2))
assert feed2 in sha(r2) and feed2 not in sha(r1), (sha(r1), sha(r2))
for e in r1["exports"]:
    assert r1["valid_from"] <= e["time"] < r1["valid_to"], e
for e in r2["exports"]:
    assert r2["valid_from"] <= e["time"], e
PY
pass "after a changed table: two revisions, each with its own fetch, payload and feeds"

# as-of between the runs: revision 1 with its valid_to, still valid
T_MID=$(json_get t2.json "d['figures'][0]['revisions'][1]['valid_from']")
T_ASOF=$("$PYTHON" -c 'import datetime as dt,sys; t=dt.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%fZ"); print((t - dt.timedelta(milliseconds=1)).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % ((t - dt.timedelta(milliseconds=1)).microsecond // 1000))' "$T_MID")
gw export --format json --with-provenance --as-of "$T_ASOF" -o asof.json || fail "as-of export with provenance"
$VALIDATE asof.json || fail "as-of JSON with provenance does not match the schema"
assert_eq "$(json_get asof.json "[(o['revision'], o['value'], o['source']['valid_to']) for o in d['observations'] if o['indicator']=='bijstand_per_10k' and o['area']=='GM0384' and o['period']=='2020'][0]")" \
  "(1, 410, '$T_MID')" "the figure as of just before revision 2"
assert_eq "$(json_get asof.json "sum(1 for o in d['observations'] if 'valid_to' not in o['source'])")" "0" \
  "observations of an as-of feed without valid_to"
gw export --format xml --with-provenance --as-of "$T_ASOF" -o asof.xml || fail "as-of XML export"
xmllint --noout --nonet --schema "$GW_SOURCE_DIR/schemas/feed.xsd" asof.xml 2>xml.err ||
  fail "as-of XML with provenance does not match feed.xsd: $(cat xml.err)"
grep -q "valid_to=\"$T_MID\"" asof.xml || fail "as-of XML lacks the valid_to of revision 1"
pass "--as-of with provenance: revision 1 with valid_to, schemas still validate"

# ---- breakdowns and sources -------------------------------------------------------------------
BD_FIG=$(json_get prov.json "[(o['indicator'], o['period'], o['breakdown']['age']) for o in d['observations'] if o['source']['id']=='rivm-gezondheid' and o['area']=='GM0384' and 'age' in o['breakdown']][0]")
IND=$(printf '%s' "$BD_FIG" | "$PYTHON" -c 'import ast,sys; print(ast.literal_eval(sys.stdin.read())[0])')
PER=$(printf '%s' "$BD_FIG" | "$PYTHON" -c 'import ast,sys; print(ast.literal_eval(sys.stdin.read())[1])')
AGE=$(printf '%s' "$BD_FIG" | "$PYTHON" -c 'import ast,sys; print(ast.literal_eval(sys.stdin.read())[2])')
n_all=$(json_get prov.json "sum(1 for o in d['observations'] if o['indicator']=='$IND' and o['area']=='GM0384' and o['period']=='$PER')")
gw --json audit trace "$IND" GM0384 "$PER" >bd.json || fail "audit trace of a figure with breakdowns"
assert_eq "$(json_get bd.json "len(d['figures'])")" "$n_all" "figures without --breakdown: every breakdown"
gw --json audit trace "$IND" GM0384 "$PER" --breakdown "age=$AGE" --source rivm-gezondheid >bd1.json ||
  fail "audit trace --breakdown DIM=MEMBER"
assert_eq "$(json_get bd1.json "[(f['breakdown'], f['source']) for f in d['figures']]")" \
  "[({'age': '$AGE'}, 'rivm-gezondheid')]" "one figure by --breakdown"
gw --json audit trace "$IND" GM0384 "$PER" --breakdown "{\"age\":\"$AGE\"}" >bd2.json ||
  fail "audit trace --breakdown JSON"
assert_eq "$(json_get bd2.json "len(d['figures'])")" "1" "one figure by a JSON breakdown"
pass "--breakdown (DIM=MEMBER or JSON) and --source pick one figure; without them every breakdown is shown"

# ---- failures -------------------------------------------------------------------------------------
rc=0
gw audit trace bijstand_per_10k GM0384 1999 >/dev/null 2>miss.err || rc=$?
assert_eq "$rc" "1" "exit status for a figure that does not exist"
assert_contains "$(cat miss.err)" "no figure bijstand_per_10k GM0384 1999 in the store"
rc=0
gw audit trace bijstand_per_10k GM0384 2020 --source nope >/dev/null 2>miss.err || rc=$?
assert_eq "$rc" "1" "exit status for a source that has no such figure"
assert_contains "$(cat miss.err)" "these exist for it"
assert_contains "$(cat miss.err)" "source sociaal-domein"

# the log without revision 2's fetch record (e.g. a removed segment)
SPAN2=$(json_get t2.json "d['figures'][0]['revisions'][1]['span_id']")
grep -v "\"span_id\":\"$SPAN2\"" "$LOG" >cut.log
rc=0
gw audit trace bijstand_per_10k GM0384 2020 --log cut.log >cut.txt 2>cut.err || rc=$?
assert_eq "$rc" "1" "exit status when the log lacks a fetch record"
assert_contains "$(cat cut.txt)" "NOT IN THE LOG (span $SPAN2)"
assert_contains "$(cat cut.txt)" "has no fetch record with span_id $SPAN2"
assert_contains "$(cat cut.txt)" "rotated away or removed, or the log was tampered with"
assert_contains "$(cat cut.err)" "1 problem in the chain"

# revision 1's payload removed by spool retention: said, and no gap
rm -f "data/spool/$SHA1"
"$PYTHON" - "$LOG" "$SHA1" >pruned.log <<'PY'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
last = json.loads(lines[-1])
rec = {"seq": last["seq"] + 1, "time": last["time"], "prev": "0" * 64,
       "event": "prune", "name": "prune:spool", "files": 1, "bytes": 9964,
       "payloads": ["0" * 64, sys.argv[2]], "outcome": "ok"}
print("\n".join(lines + [json.dumps(rec, separators=(",", ":"))]))
PY
PRUNE_SEQ=$(tail -1 pruned.log | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["seq"])')
gw audit trace bijstand_per_10k GM0384 2020 --log pruned.log >pr.txt 2>pr.err ||
  fail "a pruned payload is not a gap in the chain: $(cat pr.err) $(cat pr.txt)"
assert_contains "$(cat pr.txt)" "spool $WORK/data/spool/$SHA1: removed by spool retention, seq $PRUNE_SEQ"
gw audit trace bijstand_per_10k GM0384 2020 >pr2.txt || fail "trace without the prune record"
assert_contains "$(cat pr2.txt)" "spool $WORK/data/spool/$SHA1: not kept"

# a changed spooled payload
SHA2=$(json_get t2.json "d['figures'][0]['revisions'][1]['payload_sha256']")
chmod u+w "data/spool/$SHA2" 2>/dev/null || true
printf ' ' >>"data/spool/$SHA2"
rc=0
gw audit trace bijstand_per_10k GM0384 2020 >sp.txt 2>sp.err || rc=$?
assert_eq "$rc" "1" "exit status when a spooled payload changed"
assert_contains "$(cat sp.txt)" "PRESENT BUT CHANGED"

bad() { # TEXT ARGS...
  local text=$1 rc=0
  shift
  gw audit trace "$@" >bad.out 2>bad.err || rc=$?
  assert_eq "$rc" "2" "exit status of audit trace $*"
  assert_contains "$(cat bad.err)" "$text" "message of audit trace $*"
}
bad "give INDICATOR AREA PERIOD" bijstand_per_10k GM0384
bad "give INDICATOR AREA PERIOD" bijstand_per_10k GM0384 2020 extra
bad "--breakdown takes a JSON object or DIM=MEMBER" bijstand_per_10k GM0384 2020 --breakdown age
bad "--breakdown is not a JSON object" bijstand_per_10k GM0384 2020 --breakdown '{"age":'
bad "every member must be a string" bijstand_per_10k GM0384 2020 --breakdown '{"age":1}'
bad "unknown option" bijstand_per_10k GM0384 2020 --bogus
pass "a missing figure, a log without the fetch record and a changed spool copy exit 1 naming the gap (a pruned one is named, no gap); bad arguments exit 2"
