#!/usr/bin/env bash
# csv_export end to end over local HTTPS: one source per fixture file of
# tests/fixtures/csv (Swing bulk layout, GGD table in windows-1252 with
# title rows, the municipality's Excel sheet, a CBS table saved as CSV).
# Diemen's stored figures equal the reference table as the catalogue
# carries it (werkelijk 2020/2021: numbers, NB, n.n.b., N.v.t., -). The
# bad files fail with the file and the line, store nothing and leave what
# was stored before alone; a ragged row is rejected with its line while the
# rest of its file is kept.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

it_start_server C "$GW_SOURCE_DIR/tests/fixtures/csv"

# The catalogue maps the Swing variable codes for swing_ods only; a Swing
# bulk file read by csv_export needs its own mapping (dataset swing_bulk).
"$PYTHON" - "$GW_SOURCE_DIR/schemas/indicators.json" "$WORK/indicators.json" <<'PY'
import json, sys
cat = json.load(open(sys.argv[1], encoding="utf-8"))
for ind in cat["indicators"]:
    for src in list(ind["sources"]):
        if src["plugin"] == "swing_ods":
            extra = {"plugin": "csv_export", "dataset": "swing_bulk", "code": src["code"]}
            if extra not in ind["sources"]:
                ind["sources"].append(extra)
json.dump(cat, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False, indent=1)
PY

LOCAL='"dataset":"diemen_lokaal","area_column":"Gemeente","period_column":"Jaar","area_prefix":"GM"'
sources="[
 {\"id\":\"swing-bulk\",\"plugin\":\"csv_export\",\"url\":\"$BASE_C/swing_bulk.csv\",
  \"params\":{\"dataset\":\"swing_bulk\",\"area_column\":\"geoitem\",\"period_column\":\"period\",\"area_prefix\":\"GM\"}},
 {\"id\":\"ggd-monitor\",\"plugin\":\"csv_export\",\"url\":\"$BASE_C/ggd_monitor.csv\",
  \"params\":{\"dataset\":\"ggd_monitor\",\"layout\":\"long\",\"area_column\":\"Gemeente\",\"period_column\":\"Jaar\",
   \"code_column\":\"Indicator\",\"value_column\":\"Waarde\",\"lower_column\":\"Ondergrens\",\"upper_column\":\"Bovengrens\",
   \"breakdown_columns\":{\"age\":\"Leeftijd\"},
   \"area_map\":{\"Diemen\":\"GM0384\",\"Amsterdam\":\"GM0363\",\"Ouder-Amstel\":\"GM0437\"}}},
 {\"id\":\"diemen-lokaal\",\"plugin\":\"csv_export\",\"url\":\"$BASE_C/diemen_lokaal.csv\",\"params\":{$LOCAL}},
 {\"id\":\"cbs-export\",\"plugin\":\"csv_export\",\"url\":\"$BASE_C/cbs_export.csv\",
  \"params\":{\"dataset\":\"cbs_export\",\"layout\":\"long\",\"area_column\":\"Regio\",\"period_column\":\"Perioden\",
   \"code_column\":\"Onderwerp\",\"value_column\":\"Waarde\",\"breakdown_columns\":{\"type\":\"Type\"}}},
 {\"id\":\"bad-missing-column\",\"plugin\":\"csv_export\",\"url\":\"$BASE_C/bad/missing_column.csv\",\"params\":{$LOCAL}},
 {\"id\":\"bad-mixed\",\"plugin\":\"csv_export\",\"url\":\"$BASE_C/bad/mixed_delimiters.csv\",\"params\":{$LOCAL}},
 {\"id\":\"bad-utf8\",\"plugin\":\"csv_export\",\"url\":\"$BASE_C/bad/bad_utf8.csv\",\"params\":{$LOCAL,\"encoding\":\"utf-8\"}},
 {\"id\":\"multiline\",\"plugin\":\"csv_export\",\"url\":\"$BASE_C/bad/embedded_newline.csv\",\"params\":{$LOCAL}},
 {\"id\":\"ragged\",\"plugin\":\"csv_export\",\"url\":\"$BASE_C/bad/ragged.csv\",\"params\":{$LOCAL}}
]"
it_write_config "$sources"
"$PYTHON" - "$WORK/gateway.json" "$WORK/indicators.json" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["catalogue"] = sys.argv[2]
json.dump(cfg, open(sys.argv[1], "w"), indent=2)
PY

gw check >check.out 2>&1 || fail "gateway check: $(cat check.out)"
pass "check accepts the csv_export sources"

gw --json run swing-bulk ggd-monitor diemen-lokaal cbs-export >run1.json 2>run1.err ||
  fail "good sources failed: $(cat run1.err)"
for s in swing-bulk ggd-monitor diemen-lokaal cbs-export; do
  outcome=$(json_get run1.json "[r['outcome'] for r in d['runs'] if r['source']=='$s'][0]")
  assert_eq "$outcome" ok "outcome of $s"
  rejected=$(json_get run1.json "[r['rejected'] for r in d['runs'] if r['source']=='$s'][0]")
  assert_eq "$rejected" 0 "rows rejected from $s"
done
assert_eq "$(json_get run1.json "[r['inserted'] for r in d['runs'] if r['source']=='swing-bulk'][0]")" 117 \
  "swing-bulk observations (9 rows x 13 variables)"
assert_eq "$(json_get run1.json "[r['inserted'] for r in d['runs'] if r['source']=='diemen-lokaal'][0]")" 30 \
  "diemen-lokaal observations (3 years x 10 indicators)"
pass "the four fixture files ran"

gw export --format json >export1.json 2>export.err || fail "export: $(cat export.err)"

# Every csv_export mapping of the catalogue: Diemen's (or the mapping's own
# area's) werkelijk 2020/2021 equals the stored observation.
"$PYTHON" - export1.json "$WORK/indicators.json" <<'PY' || fail "stored values differ from the reference table"
import json, sys
obs = json.load(open(sys.argv[1], encoding="utf-8"))["observations"]
cat = json.load(open(sys.argv[2], encoding="utf-8"))
STATUS = {"NB": "missing", "-": "missing", "n.n.b.": "not_yet_known", "N.v.t.": "not_applicable"}
bad, checked = [], 0
for ind in cat["indicators"]:
    mine = [s for s in ind["sources"] if s["plugin"] == "csv_export"]
    if not mine:
        continue
    area = ind.get("area") or "GM0384"
    for ref in ind["reference"]:
        # a mapping with a fixed breakdown (5.3.1 drugs) delivers that member only
        if not any(all(ref["breakdown"].get(k) == v for k, v in s.get("breakdown", {}).items()) for s in mine):
            continue
        for year in ("2020", "2021"):
            want = ref["werkelijk_" + year]
            hits = [o for o in obs if o["indicator"] == ind["id"] and o["area"] == area
                    and o["period"] == year and o["breakdown"] == ref["breakdown"]]
            label = "%s %s %s %s" % (ind["code"], area, year, ref["breakdown"])
            if len(hits) < 1:
                bad.append(label + ": not stored")
                continue
            for o in hits:
                if want in STATUS:
                    if o["value"] is not None or o["status"] != STATUS[want]:
                        bad.append("%s: want %s, got %s/%s" % (label, want, o["value"], o["status"]))
                elif o["value"] is None or abs(o["value"] - float(want.replace(",", "."))) > 1e-9:
                    bad.append("%s: want %s, got %s/%s" % (label, want, o["value"], o["status"]))
            checked += 1
for b in bad:
    print(b, file=sys.stderr)
print("checked", checked, file=sys.stderr)
sys.exit(1 if bad or checked < 60 else 0)
PY
pass "Diemen's stored figures equal the reference (numbers, NB, n.n.b., N.v.t., -)"

bounds=$(json_get export1.json "[(o['ci_low'], o['ci_high']) for o in d['observations'] if o['indicator']=='jeugd_beweegt_dagelijks_pct' and o['area']=='GM0384' and o['period']=='2020'][0]")
assert_eq "$bounds" "(40.2, 47.9)" "95% bounds of 5.2.1 from the Ondergrens/Bovengrens columns"
ages=$(json_get export1.json "sorted(o['breakdown']['age'] for o in d['observations'] if o['indicator']=='bereik_jeugdgezondheidszorg_pct' and o['area']=='GM0384' and o['period']=='2020')")
assert_eq "$ages" "['0 jaar', '10 jaar', '3 jaar', '5 jaar']" "3.3.9 age breakdown"
mra=$(json_get export1.json "[o['value'] for o in d['observations'] if o['indicator']=='huishoudens_bijstand_mra_pct' and o['period']=='2021'][0]")
assert_eq "$mra" "5.9" "3.1.9 for MRA"
sup=$(json_get export1.json "[o['status'] for o in d['observations'] if o['indicator']=='genotsmiddelengebruik_pct' and o['area']=='GM0363' and o['period']=='2020'][0]")
assert_eq "$sup" "suppressed" "x in the GGD table"
pass "bounds, breakdowns, the MRA aggregate and markers are stored right"

count_before=$(json_get export1.json "d['count']")
observations() { json_get "$1" "json.dumps(d['observations'], sort_keys=True)" | sha256sum | cut -d' ' -f1; }
obs_before=$(observations export1.json)

expect_failure() { # SOURCE NEEDLE...
  local src=$1 out rc=0
  shift
  gw run "$src" >"$src.out" 2>&1 || rc=$?
  out=$(cat "$src.out")
  [ "$rc" -eq 1 ] || fail "$src: expected exit 1, got $rc: $out"
  for needle in "$@"; do assert_contains "$out" "$needle" "$src message"; done
  grep "\"source\":\"$src\"" data/exchange.log | grep -q '"event":"store".*"outcome":"aborted"' ||
    fail "$src: no aborted store record"
  gw export --format json >"$src.export.json" || fail "export after $src"
  assert_eq "$(json_get "$src.export.json" "d['count']")" "$count_before" "$src: observations after the failed run"
  pass "$src refused: file and line named, nothing stored"
}

expect_failure bad-missing-column "$BASE_C/bad/missing_column.csv" \
  'column "Jaar" not found in the header on line 1 (header: Periode;Gemeente;uitstroom_werk;doorlooptijd_wmo)'
expect_failure bad-mixed "$BASE_C/bad/mixed_delimiters.csv" \
  "line 4 is separated by ',' but the header on line 1 by ';'"
expect_failure bad-utf8 "$BASE_C/bad/bad_utf8.csv" "line 3, byte offset" "0xEB is not valid UTF-8"
gw export --format json >export2.json || fail "export after the failures"
assert_eq "$(observations export2.json)" "$obs_before" "stored observations after the failed runs"

gw --json run multiline >multiline.json 2>multiline.err || fail "embedded newlines: $(cat multiline.err)"
assert_eq "$(json_get multiline.json "d['runs'][0]['inserted']")" 6 \
  "observations from the file with quoted newlines"
pass "quoted fields with embedded newlines are valid input"

rc=0
gw --json run ragged >ragged.json 2>ragged.err || rc=$?
[ "$rc" -eq 0 ] || fail "ragged: a bad row must not fail the file: $(cat ragged.err)"
assert_eq "$(json_get ragged.json "d['runs'][0]['rejected']")" 1 "rejected rows of ragged.csv"
assert_eq "$(json_get ragged.json "d['runs'][0]['inserted']")" 4 "rows kept from ragged.csv"
assert_contains "$(cat ragged.json ragged.err data/exchange.log)" \
  "$BASE_C/bad/ragged.csv line 3: has 3 fields, the header on line 1 has 4" "ragged rejection"
pass "a ragged row is rejected with its line, the rest of the file kept"

gw audit verify >verify.out 2>&1 || fail "audit verify: $(cat verify.out)"
pass "exchange log verifies"
