#!/usr/bin/env bash
# Small-cell rules in a real run: with privacy.min_count 5, the counts 3
# and 4 of "beschut werk" (3.1.2) become suppressed cells without a value,
# 5 and larger stay, percentages and days are untouched, and the rule
# applied is in the exchange log.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

it_start_server C "$GW_SOURCE_DIR/tests/fixtures/csv"
it_write_config "[{\"id\":\"lokaal\",\"plugin\":\"csv_export\",\"url\":\"$BASE_C/diemen_lokaal.csv\",
  \"params\":{\"dataset\":\"diemen_lokaal\",\"area_column\":\"Gemeente\",\"period_column\":\"Jaar\",\"area_prefix\":\"GM\"}}]" '[]'
"$PYTHON" - "$WORK/gateway.json" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["privacy"] = {"min_count": 5}
json.dump(cfg, open(sys.argv[1], "w"), indent=2)
PY
gw --json run >run.json 2>run.err || fail "run failed: $(cat run.err)"
suppressed=$(json_get run.json "d['runs'][0]['suppressed']")
[ "$suppressed" -ge 2 ] || fail "expected at least 2 suppressed cells, got $suppressed"
gw export --format json --indicator beschut_werk_plaatsingen >feed.json || fail "export failed"
for year in 2020 2021; do
  got=$(json_get feed.json "[(o['status'], o['value']) for o in d['observations'] if o['period']=='$year'][0]")
  assert_eq "$got" "('suppressed', None)" "beschut werk $year (count below 5)"
done
got=$(json_get feed.json "[(o['status'], o['value']) for o in d['observations'] if o['period']=='2022'][0]")
assert_eq "$got" "('final', 5)" "beschut werk 2022 (count 5 is kept)"
got=$(gw export --format json --indicator wmo_doorlooptijd_dagen | "$PYTHON" -c "import json,sys; print(sorted(o['value'] for o in json.load(sys.stdin)['observations']))")
assert_eq "$got" "[38.5, 43, 57]" "days are not counts and stay"
rule=$(grep '"event":"parse"' data/exchange.log | "$PYTHON" -c "import json,sys; print(json.loads(sys.stdin.readline()).get('suppression_rule'))")
assert_contains "$rule" "min_count" "rule in the parse record"
pass "counts below privacy.min_count are suppressed (no value), the rule is logged: $rule"
