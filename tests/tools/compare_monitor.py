#!/usr/bin/env python3
"""Compare a `gateway monitor --format json` report with the municipality's
reference table (kept verbatim in schemas/indicators.json, generated from
prestatie-indicatoren-2023.csv): every werkelijk 2020/2021 and begroot
2022/2023 cell must read exactly as the municipality writes it.

Usage: compare_monitor.py MONITOR.json INDICATORS.json   (exit 0 when equal)
"""
import json, sys
m = json.load(open(sys.argv[1], encoding="utf-8"))
c = json.load(open(sys.argv[2], encoding="utf-8"))
ref = {}
for ind in c["indicators"]:
    for r in ind.get("reference", []):
        ref[(ind["id"], json.dumps(r.get("breakdown", {}), sort_keys=True))] = r
checked, bad = 0, []
for g in m["goals"]:
    for row in g["rows"]:
        key = (row["indicator"], json.dumps(row.get("breakdown", {}), sort_keys=True))
        r = ref.get(key)
        if r is None:
            bad.append(f"{row['code']} {key[1]}: no reference row"); continue
        for col, year, part in (("werkelijk_2020", "2020", "werkelijk"), ("werkelijk_2021", "2021", "werkelijk"),
                                ("begroot_2022", "2022", "begroot"), ("begroot_2023", "2023", "begroot")):
            got = row[part].get(year, {}).get("display")
            checked += 1
            if got != r[col]:
                bad.append(f"{row['code']} {key[1]} {col}: monitor {got!r}, reference {r[col]!r}")
print(f"{checked} cells checked, {len(bad)} differ")
for b in bad: print("  " + b)
sys.exit(1 if bad else 0)
