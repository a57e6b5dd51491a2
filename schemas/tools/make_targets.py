#!/usr/bin/env python3
"""Generate the targets file ops/targets/diemen.json from the reference table.

Usage: make_targets.py REFERENCE.csv INDICATORS.json [OUTPUT.json]

Ships, as configuration, what the Programmabegroting 2023 says:
  * "targets": begroot_2022 and begroot_2023 per indicator and breakdown
    member, as a number ("3,2" -> 3.2) or a marker ("NB", "N.v.t.", ...);
  * "werkelijk": the werkelijk cells the municipality itself marks "N.v.t."
    (the indicator was not yet in the begroting) or "-" (no value that
    year), which no source can express: sources say only "missing".
Other werkelijk cells are data and come from the sources, never from here.
The output is deterministic, so the committed file can be regenerated and
diffed (see docs/monitor.md).
"""
import json
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, __import__("os").path.dirname(__file__))
import make_catalogue  # noqa: E402  (reuses the table reader)

MARKERS = ("NB", "n.n.b.", "N.v.t.", "-")
TARGET_COLUMNS = (("begroot_2022", "2022"), ("begroot_2023", "2023"))
WERKELIJK_COLUMNS = (("werkelijk_2020", "2020"), ("werkelijk_2021", "2021"))

# Dutch notes the begroting prints next to a target.
TARGET_NOTES = {
    ("3.3.9", "2023"): "minimaal 90% voor alle vaccinaties, HPV uitgezonderd",
}
SINCE_2022 = "Deze indicator is sinds de Begroting 2022 opgenomen."
NOT_APPLICABLE = "Niet van toepassing volgens de Programmabegroting 2023."
NO_VALUE = "Geen waarde volgens de Programmabegroting 2023."
DECLARED_WERKELIJK = ("N.v.t.", "-")


def fail(msg):
    sys.stderr.write("make_targets: " + msg + "\n")
    sys.exit(1)


def number(text, where):
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        fail("%s: %r is neither a number nor a marker %s" % (where, text,
                                                             MARKERS))
    return int(value) if value.is_integer() else value


def main(argv):
    if len(argv) not in (3, 4):
        fail("usage: make_targets.py REFERENCE.csv INDICATORS.json [OUT]")
    rows = make_catalogue.read_rows(argv[1])
    catalogue = json.load(open(argv[2], encoding="utf-8"))
    ids = {i["code"]: i["id"] for i in catalogue["indicators"]}
    targets, werkelijk = [], []
    for r in rows:
        where = "%s:%d" % (argv[1], r["_line"])
        code = r["code"]
        if code not in ids:
            fail("%s: code %s is not in the catalogue" % (where, code))
        breakdown = make_catalogue.parse_breakdown(r["breakdown"], where)
        breakdown.pop(make_catalogue.AREA_DIMENSION, None)
        breakdown = dict(sorted(breakdown.items()))
        for column, year in TARGET_COLUMNS:
            entry = {"indicator": ids[code], "breakdown": breakdown,
                     "year": year}
            cell = r[column]
            if cell in MARKERS:
                entry["marker"] = cell
            else:
                entry["value"] = number(cell, where)
            note = TARGET_NOTES.get((code, year))
            if note:
                entry["note"] = note
            targets.append(entry)
        for column, year in WERKELIJK_COLUMNS:
            marker = r[column]
            if marker not in DECLARED_WERKELIJK:
                continue
            if marker == "-":
                reason = NO_VALUE
            elif "since 2022" in r["note"]:
                reason = SINCE_2022
            else:
                reason = NOT_APPLICABLE
            werkelijk.append({"indicator": ids[code], "breakdown": breakdown,
                              "year": year, "marker": marker,
                              "reason": reason})
    doc = {"municipality": catalogue["municipality"], "targets": targets,
           "werkelijk": werkelijk}
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if len(argv) == 4:
        with open(argv[3], "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv)
