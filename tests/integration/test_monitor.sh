#!/usr/bin/env bash
# The monitor report on the StatLine demo sources: the werkelijk 2020/2021
# cells of every indicator those sources deliver equal the municipality's
# reference table (as the municipality writes them: "68,6", "NB",
# "n.n.b.", "N.v.t."), the begroot 2022/2023 cells equal its targets, and
# the text, CSV and HTML renderings are well-formed.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

# The reference table's cells, verbatim: the catalogue carries them (it is
# generated from prestatie-indicatoren-2023.csv); when the table itself is
# at hand (GW_REFERENCE_CSV) the two are compared as well.
CATALOGUE="$GW_SOURCE_DIR/schemas/indicators.json"
REFERENCE=${GW_REFERENCE_CSV:-/work/shared/reference/prestatie-indicatoren-2023.csv}

it_start_server S "$GW_SOURCE_DIR/tests/fixtures/statline"
it_write_config "[
  {\"id\":\"sociaal-domein\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/90001NED\"},
  {\"id\":\"rivm-gezondheid\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/50120NED\"},
  {\"id\":\"jeugdhulp\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/odata/v1/CBS/90002NED\"}]" "[]"
# The targets file is a top-level config key.
"$PYTHON" - "$WORK/gateway.json" "$GW_SOURCE_DIR/ops/targets/diemen.json" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["targets"] = sys.argv[2]
json.dump(cfg, open(sys.argv[1], "w"), indent=2)
PY

gw check >check.out 2>&1 || fail "gateway check: $(cat check.out)"
gw --json run >run.json 2>run.err || fail "run failed: $(cat run.err)"
pass "the three StatLine sources ran"

gw monitor --format json >monitor.json 2>monitor.err || fail "monitor json: $(cat monitor.err)"
"$PYTHON" - monitor.json "$CATALOGUE" "$REFERENCE" <<'PY' || fail "monitor JSON differs from the reference table"
import json, os, sys
report = json.load(open(sys.argv[1], encoding="utf-8"))
rows = {}
for goal in report["goals"]:
    for row in goal["rows"]:
        key = (row["code"], json.dumps(row["breakdown"], sort_keys=True))
        rows[key] = row

# code -> breakdown of the reference row (None: the single row)
checked = ["3.1.1", "3.1.3", "3.1.4", "3.1.5", "3.1.6", "3.1.8", "3.3.6",
           "3.3.7", "3.3.8", "5.1.1", "5.1.2", "5.2.2", "5.2.5", "5.2.6",
           ("5.3.1", "substance=roken"), ("5.3.1", "substance=alcohol")]
reference = {}
for ind in json.load(open(sys.argv[2], encoding="utf-8"))["indicators"]:
    for ref in ind["reference"]:
        bd = ",".join("%s=%s" % kv for kv in sorted(ref["breakdown"].items()))
        reference[(ind["code"], bd)] = ref
if os.path.exists(sys.argv[3]):
    lines = open(sys.argv[3], encoding="utf-8").read().splitlines()
    header = lines[0].split(";")
    for line in lines[1:]:
        rec = dict(zip(header, line.split(";")[:11]))
        if rec["breakdown"].startswith("area="):
            rec["breakdown"] = ""
        ref = reference[(rec["code"], rec["breakdown"])]
        for col in ("werkelijk_2020", "werkelijk_2021", "begroot_2022", "begroot_2023"):
            assert ref[col] == rec[col], (rec["code"], col, ref[col], rec[col])

errors, cells = [], 0
for item in checked:
    code, bd = (item, "") if isinstance(item, str) else item
    rec = reference[(code, bd)]
    member = dict(p.split("=", 1) for p in bd.split(",")) if bd else {}
    row = rows.get((code, json.dumps(member, sort_keys=True)))
    if row is None:
        errors.append("%s %s: no row in the report" % (code, bd))
        continue
    for kind, year in (("werkelijk", "2020"), ("werkelijk", "2021"),
                       ("begroot", "2022"), ("begroot", "2023")):
        want = rec["%s_%s" % (kind, year)]
        got = row[kind][year]["display"]
        cells += 1
        if got != want:
            errors.append("%s %s %s %s: report %r, reference %r"
                          % (code, bd, kind, year, got, want))
    # a figure cites its source
    for year in ("2020", "2021"):
        cell = row["werkelijk"][year]
        if cell["kind"] == "observation":
            src = cell["source"]
            if src["plugin"] != "cbs_odata" or not src["fetched_at"] or not cell["source_ref"]:
                errors.append("%s %s: source missing in %r" % (code, year, cell))
if errors:
    print("\n".join(errors))
    sys.exit(1)
assert report["title"] == "Monitor Samen Diemen"
assert report["municipality"] == "GM0384"
assert [g["goal"] for g in report["goals"]] == ["2", "3", "4", "5", "6"], report["goals"]
assert all(g["title"] for g in report["goals"])
assert {"kind": "begroot", "year": "2023"} in report["columns"]
print("compared %d cells" % cells)
PY
pass "werkelijk 2020/2021 and begroot 2022/2023 equal the reference table"

# the MRA indicator keeps its own area; the provisional 2022 figure is marked
area=$(json_get monitor.json "[r['area'] for g in d['goals'] for r in g['rows'] if r['code']=='3.1.9'][0]")
assert_eq "$area" "MRA" "area of 3.1.9"
st=$(json_get monitor.json "[r['werkelijk']['2022']['status'] for g in d['goals'] for r in g['rows'] if r['code']=='3.1.4'][0]")
assert_eq "$st" "provisional" "status of 3.1.4 in 2022"
pass "indicator areas and statuses are kept"

gw monitor --format html --output report/monitor.html 2>html.err || fail "monitor html: $(cat html.err)"
[ -f report/monitor.html ] || fail "no HTML written"
ls report | grep -v '^monitor.html$' && fail "temporary files left next to the report"
xmllint --html --noout report/monitor.html 2>xmllint.err || fail "xmllint: $(cat xmllint.err)"
[ ! -s xmllint.err ] || fail "xmllint warnings: $(cat xmllint.err)"
"$PYTHON" - report/monitor.html <<'PY' || fail "HTML is not balanced or not self-contained"
import sys
from html.parser import HTMLParser
VOID = {"meta", "br", "hr", "img", "link", "input"}
class Check(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.tables = [], [], 0
    def handle_starttag(self, tag, attrs):
        if tag in ("script", "link", "img", "iframe"):
            self.errors.append("forbidden <%s>" % tag)
        for name, value in attrs:
            if name in ("src",) or (name == "href" and not (value or "").startswith("#")):
                self.errors.append("external reference %s=%r" % (name, value))
        if tag == "table":
            self.tables += 1
        if tag not in VOID:
            self.stack.append(tag)
    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("unbalanced </%s> (open: %s)" % (tag, self.stack[-3:]))
        else:
            self.stack.pop()
c = Check()
text = open(sys.argv[1], encoding="utf-8").read()
c.feed(text)
if c.stack:
    c.errors.append("unclosed: %s" % c.stack)
if c.tables != 5:
    c.errors.append("expected a table per goal (5), got %d" % c.tables)
for needle in ("<title>Monitor Samen Diemen</title>", "@media print", "Werkelijk 2020",
               "Begroot 2023", "Legenda", "Bronnen", "68,6", "n.n.b."):
    if needle not in text:
        c.errors.append("missing %r" % needle)
print("\n".join(c.errors))
sys.exit(1 if c.errors else 0)
PY
pass "HTML report is well-formed, self-contained and has the tables"

gw monitor --format csv --output monitor.csv 2>csv.err || fail "monitor csv: $(cat csv.err)"
head -c 3 monitor.csv | od -An -tx1 | grep -q "ef bb bf" || fail "CSV has no BOM"
"$PYTHON" - monitor.csv <<'PY' || fail "CSV shape"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline=""), delimiter=";"))
header = rows[0]
assert header[:3] == ["doel", "code", "indicator"], header
assert all(len(r) == len(header) for r in rows), "ragged CSV"
i = {h: n for n, h in enumerate(header)}
hit = [r for r in rows[1:] if r[i["code"]] == "3.1.3" and r[i["soort"]] == "werkelijk" and r[i["jaar"]] == "2020"]
assert hit and hit[0][i["weergave"]] == "68,6" and hit[0][i["waarde"]] == "68,6", hit
PY
pass "CSV has a BOM, ';' cells, decimal comma and a rectangular shape"

gw monitor >monitor.txt 2>text.err || fail "monitor text: $(cat text.err)"
assert_contains "$(cat monitor.txt)" "Doel 3 - Alle doelgroepen"
assert_contains "$(cat monitor.txt)" "Werkelijk 2021"
assert_contains "$(cat monitor.txt)" "Legenda"
pass "text report"

set +e
gw monitor --years 20x1 >/dev/null 2>bad.err
rc=$?
set -e
assert_eq "$rc" "2" "exit status for a bad year"
assert_contains "$(cat bad.err)" "20x1"
set +e
gw monitor --format pdf >/dev/null 2>bad.err
rc=$?
set -e
assert_eq "$rc" "2" "exit status for an unknown format"
pass "bad options are usage errors"
