#!/usr/bin/env python3
"""The pandas script a data steward would write for a RIVM Gezondheidsmonitor
StatLine table: the baseline the gateway's import is measured against.

    pandas_normalise.py --url https://127.0.0.1:PORT/ODataFeed/odata/50120NED
                        --catalogue catalogue.json --cafile ca.crt
                        --out observations.json [--source-id ID]

Fetches the table over HTTPS (urllib, verified against --cafile; Debian's
python3-pandas, no requests), follows odata.nextLink, and normalises the
way the gateway does (DESIGN.md section 4, plugins/cbs_odata, normaliser.c,
store_schema.c STORE_SQL_JOIN):

- long format: one observation per region x period x topic x age group;
- region codes trimmed (StatLine pads them), area_level from the code;
- periods 2022JJ00 -> 2022, 2022KW01 -> 2022-Q1, 2022MM03 -> 2022-03,
  2022W105 -> 2022-W05, anything else kept verbatim;
- the Marges rows joined: MW00000 is the value, MOG0095 ci_low, MBG0095
  ci_high; bounds only accompany a value (never published for a missing
  figure); a key with no MW00000 row is missing;
- status: null -> missing; a figure in a period whose Status is Voorlopig
  -> provisional; else final;
- indicator and unit from the gateway's catalogue (dataset + column stem);
  breakdown {"age": <Leeftijd title>}.

Writes a feed like the gateway's JSON export (schemas/observation.schema.json):
{"feed":{...},"observations":[ one object per line ],"count":N}.
Prints one line of JSON with counts and timings to stdout.
"""
import argparse
import datetime
import hashlib
import json
import re
import ssl
import sys
import time
import urllib.request

import numpy as np
import pandas as pd

MARGES = {"MW00000": "value", "MOG0095": "ci_low", "MBG0095": "ci_high"}
LEVELS = {"GM": "municipality", "WK": "district", "BU": "neighbourhood"}


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Client:
    def __init__(self, cafile):
        self.context = ssl.create_default_context(cafile=cafile)
        self.pages = []  # (fetched_at, payload_sha256) per data page
        self.bytes = 0

    def get(self, url):
        sep = "&" if "?" in url else "?"
        if "$format=json" not in url:
            url += sep + "$format=json"
        req = urllib.request.Request(url, headers={"Accept": "application/json"})
        with urllib.request.urlopen(req, context=self.context, timeout=120) as resp:
            body = resp.read()
        self.bytes += len(body)
        return body

    def entity(self, url):
        return pd.DataFrame(json.loads(self.get(url))["value"])

    def data_pages(self, url):
        """Yield one DataFrame per page, following odata.nextLink."""
        while url:
            fetched_at = now()
            body = self.get(url)
            doc = json.loads(body)
            self.pages.append((fetched_at, hashlib.sha256(body).hexdigest()))
            frame = pd.DataFrame(doc["value"])
            frame["page"] = len(self.pages) - 1
            yield frame
            url = doc.get("odata.nextLink")


def normalise_period(code):
    code = code.strip()
    m = re.fullmatch(r"(\d{4})(JJ|KW|MM|W1)(\d\d)", code)
    if not m:
        return code
    year, kind, n = m.group(1), m.group(2), int(m.group(3))
    if kind == "JJ" and n == 0:
        return year
    if kind == "KW" and 1 <= n <= 4:
        return "%s-Q%d" % (year, n)
    if kind == "MM" and 1 <= n <= 12:
        return "%s-%02d" % (year, n)
    if kind == "W1" and 1 <= n <= 53:
        return "%s-W%02d" % (year, n)
    return code


def area_level(codes):
    level = codes.str[:2].map(LEVELS)
    level[codes.isin(["NL00", "NL01"])] = "country"
    return level


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", required=True, help="table root, e.g. .../ODataFeed/odata/50120NED")
    ap.add_argument("--catalogue", required=True)
    ap.add_argument("--cafile", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--source-id", default="rivm-national")
    args = ap.parse_args()
    t0 = time.monotonic()
    url = args.url.rstrip("/")
    dataset = url.rsplit("/", 1)[1]
    client = Client(args.cafile)

    # --- metadata: topics, dimensions, period status, age titles ---------
    props = client.entity(url + "/DataProperties")
    topics = props[(props.Type == "Topic") & (props.Datatype == "Double")].Key.tolist()
    geo = props[props.Type.isin(["GeoDimension", "GeoDetail"])].Key.iloc[0]
    time_dim = props[props.Type == "TimeDimension"].Key.iloc[0]
    periods = client.entity(url + "/" + time_dim)
    provisional = set(periods.loc[periods.Status == "Voorlopig", "Key"].str.strip())
    ages = client.entity(url + "/Leeftijd")
    age_title = dict(zip(ages.Key.str.strip(), ages.Title))

    catalogue = json.load(open(args.catalogue, encoding="utf-8"))
    mapping = {}
    for ind in catalogue["indicators"]:
        for src in ind["sources"]:
            if src["plugin"] == "cbs_odata" and src["dataset"] in (dataset, "*"):
                mapping[src["code"]] = (ind["id"], ind["unit"])
    stem = {t: re.sub(r"_\d+$", "", t) for t in topics}
    topics = [t for t in topics if stem[t] in mapping]

    # --- data: every page, wide -----------------------------------------
    select = ",".join([geo, time_dim, "Leeftijd", "Marges"] + topics)
    frames = list(client.data_pages(url + "/TypedDataSet?$format=json&$select=" +
                                    urllib.request.quote(select, safe=",")))
    wide = pd.concat(frames, ignore_index=True)
    del frames
    t_fetch = time.monotonic()
    rows = len(wide)
    for col in [geo, time_dim, "Leeftijd", "Marges"]:
        wide[col] = wide[col].str.strip()
    keys = [geo, time_dim, "Leeftijd", "topic"]

    # --- long format, one frame per Marges member, joined ----------------
    parts = {}
    for code, name in MARGES.items():
        part = wide[wide.Marges == code].melt(
            id_vars=[geo, time_dim, "Leeftijd", "page"], value_vars=topics,
            var_name="topic", value_name=name)
        if name != "value":
            part = part.drop(columns="page")
        parts[name] = part
    del wide
    long = (parts["value"]
            .merge(parts["ci_low"], on=keys, how="outer")
            .merge(parts["ci_high"], on=keys, how="outer"))
    del parts

    has_value = long["value"].notna()
    long.loc[~has_value, ["ci_low", "ci_high"]] = np.nan
    long["status"] = np.where(has_value, "final", "missing")
    long.loc[has_value & long[time_dim].isin(provisional), "status"] = "provisional"
    long["area"] = long[geo]
    long["area_level"] = area_level(long["area"])
    long["period"] = long[time_dim].map({p: normalise_period(p)
                                         for p in long[time_dim].unique()})
    long["source_code"] = long["topic"].map(stem)
    long["indicator"] = long["source_code"].map({s: mapping[s][0] for s in stem.values()
                                                 if s in mapping})
    long["unit"] = long["source_code"].map({s: mapping[s][1] for s in stem.values()
                                            if s in mapping})
    # Shared dict objects: only a handful of distinct breakdowns.
    breakdowns = {k: {"age": t} for k, t in age_title.items()}
    long["breakdown"] = long["Leeftijd"].map(breakdowns)
    long["revision"] = 1
    page = long["page"].fillna(0).astype(int)
    sources = {}
    source = []
    for code, p in zip(long["source_code"], page):
        s = sources.get((code, p))
        if s is None:
            fetched_at, sha = client.pages[p]
            s = sources[(code, p)] = {"id": args.source_id, "plugin": "cbs_odata",
                                      "dataset": dataset, "source_code": code,
                                      "fetched_at": fetched_at, "payload_sha256": sha}
        source.append(s)
    long["source"] = source
    long = long.sort_values(["indicator", "area", "period", "Leeftijd"], ignore_index=True)
    t_norm = time.monotonic()

    # --- the feed ---------------------------------------------------------
    columns = ["indicator", "area", "area_level", "period", "breakdown", "value", "unit",
               "status", "ci_low", "ci_high", "revision", "source"]
    chunk = 500000
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(json.dumps({"feed": {"name": "indicators", "generated_at": now(),
                                     "as_of": None, "gateway_version": "pandas-" + pd.__version__,
                                     "schema": "observation.schema.json"}},
                           separators=(",", ":"))[:-1] + ',\n"observations":[\n')
        for start in range(0, len(long), chunk):
            text = long[columns].iloc[start:start + chunk].to_json(
                orient="records", lines=True, force_ascii=False)
            if start:
                f.write(",\n")
            f.write(",\n".join(text.rstrip("\n").split("\n")))
        f.write('\n],\n"count":%d}\n' % len(long))
    t_end = time.monotonic()
    print(json.dumps({"rows": rows, "pages": len(client.pages), "bytes": client.bytes,
                      "observations": len(long),
                      "seconds": {"fetch_parse": round(t_fetch - t0, 3),
                                  "normalise": round(t_norm - t_fetch, 3),
                                  "write": round(t_end - t_norm, 3),
                                  "total": round(t_end - t0, 3)}}))


if __name__ == "__main__":
    sys.exit(main())
