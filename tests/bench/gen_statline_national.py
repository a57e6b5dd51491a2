#!/usr/bin/env python3
"""Generate a national-scale StatLine v3 Feed table shaped like the RIVM/GGD
Gezondheidsmonitor "Gezondheid per wijk en buurt" (50120NED) for benchmarks.

    gen_statline_national.py --out DIR [--scale S] [--page-size K]
                             [--copies N] [--seed N]

Stdlib only and deterministic: the same arguments write the same bytes.
The layout is the one tests/server/fixture_server.py serves (GET P?...
$skip=N... -> DIR/P.skipN.json, else DIR/P.json; "{BASE}" in a body becomes
https://<host>):

  /ODataFeed/odata/<ID>.json                  service document
  /ODataFeed/odata/<ID>/TableInfos.json
  /ODataFeed/odata/<ID>/DataProperties.json   4 dimensions, 3 string + 34
                                              numeric topics (the 50120NED
                                              column list, source-formats.md
                                              section 4.1)
  /ODataFeed/odata/<ID>/CategoryGroups.json
  /ODataFeed/odata/<ID>/WijkenEnBuurten.json  every region key (padded)
  /ODataFeed/odata/<ID>/Perioden.json         Key, Title, Status (the last
                                              period is Voorlopig)
  /ODataFeed/odata/<ID>/Leeftijd.json
  /ODataFeed/odata/<ID>/Marges.json           MW00000, MOG0095, MBG0095
  /ODataFeed/odata/<ID>/TypedDataSet[.skipN].json
                                              pages of K rows (default
                                              10,000, the Feed's page size)
                                              linked by odata.nextLink

Shape, as on dataderden.cbs.nl (reference/source-formats.md 2.3, 2.5, 4.1):
- Regions: NL01, 342 municipalities (GMnnnn), their districts (WKnnnnnn)
  and neighbourhoods (BUnnnnnnnn), about 17,600 keys at scale 1. Keys are
  padded with trailing spaces to 18 characters (a public client filters a
  BU code plus 8 spaces); Codering_3 repeats the code padded to 10.
- Marges is the OUTERMOST sort key: all MW00000 (value) rows, then all
  MOG0095 (lower bound of the 95% interval) rows, then all MBG0095 (upper
  bound) rows, so a value and its bounds are a third of the table apart
  (DESIGN.md section 4, "A trap for memory").
- Missing cells are JSON null (TypedDataSet): topics a period did not ask
  (PsychischeKlachten, veerkracht only in 2022, stress from 2020), about
  3% of neighbourhood cells (too few respondents), a few values without
  bounds and a few bounds without a value (the gateway must then publish
  no bounds: they would disclose what the source withheld).
- Values are percentages with one decimal; bounds are value -/+ a margin
  that grows from country to neighbourhood.

--scale S   1: 3 periods (2016JJ00, 2020JJ00, 2022JJ00) x 3 age groups
            (20300, 53115, 80200) x 3 Marges x ~17,600 regions = ~475,000
            rows (~5.4 million observations). An integer S > 1 multiplies
            the rows by S with more periods and age groups (4: 6 periods x
            6 age groups; the extra age codes are invented). S < 1 keeps
            that fraction of the municipalities (with their districts and
            neighbourhoods), e.g. 0.01 for the test suite.
--copies N  write N tables with the same content under the ids 50120NED,
            50121NED, ... (distinct URLs, for parallel-source runs).

Also writes DIR/catalogue.json (a gateway catalogue mapping every numeric
topic of every copy to an indicator) and DIR/manifest.json (tables, rows,
pages, and the number of observations an import must produce).
"""
import argparse
import json
import math
import os
import random
import re
import sys

FIRST_ID = 50120
REGION_WIDTH = 18
CODE_WIDTH = 10

# key, title, base %, spread, first period with data (None: all)
TOPICS = [
    ("ErvarenGezondheidGoedZeerGoed_4", "Ervaren gezondheid goed/zeer goed", 76, 8, None),
    ("VoldoetAanBeweegrichtlijn_5", "Voldoet aan beweegrichtlijn", 50, 10, None),
    ("WekelijkseSporters_6", "Wekelijkse sporters", 52, 10, None),
    ("Ondergewicht_7", "Ondergewicht", 2, 1, None),
    ("NormaalGewicht_8", "Normaal gewicht", 48, 6, None),
    ("Overgewicht_9", "Overgewicht", 48, 8, None),
    ("ErnstigOvergewicht_10", "Ernstig overgewicht", 14, 4, None),
    ("Roker_11", "Roker", 20, 5, None),
    ("VoldoetAanAlcoholRichtlijn_12", "Voldoet aan alcoholrichtlijn", 42, 8, None),
    ("Drinker_13", "Drinker", 80, 6, None),
    ("ZwareDrinker_14", "Zware drinker", 9, 3, None),
    ("OvermatigeDrinker_15", "Overmatige drinker", 7, 3, None),
    ("EenOfMeerLangdurigeAandoeningen_16", "Een of meer langdurige aandoeningen", 50, 8, None),
    ("BeperktVanwegeGezondheid_17", "Beperkt vanwege gezondheid", 30, 6, None),
    ("ErnstigBeperktVanwegeGezondheid_18", "Ernstig beperkt vanwege gezondheid", 6, 2, None),
    ("LangdurigErnstigBeperkt_19", "Langdurig ernstig beperkt", 5, 2, None),
    ("PsychischeKlachten_20", "Psychische klachten", 8, 3, "2022JJ00"),
    ("ZeerLageVeerkracht_21", "Zeer lage veerkracht", 10, 3, "2022JJ00"),
    ("ZeerHogeVeerkracht_22", "Zeer hoge veerkracht", 25, 5, "2022JJ00"),
    ("MistEmotioneleSteun_23", "Mist emotionele steun", 12, 3, None),
    ("SuicideGedachtenLaatste12Maanden_24", "Suïcidegedachten laatste 12 maanden", 4, 1.5, None),
    ("HoogRisicoOpAngstOfDepressie_25", "Hoog risico op angst of depressie", 7, 3, None),
    ("HeelVeelStressInAfgelopen4Weken_26", "Heel veel stress in afgelopen 4 weken", 14, 4, "2020JJ00"),
    ("Eenzaam_27", "Eenzaam", 45, 8, None),
    ("ErnstigZeerErnstigEenzaam_28", "Ernstig/zeer ernstig eenzaam", 11, 3, None),
    ("EmotioneelEenzaam_29", "Emotioneel eenzaam", 32, 6, None),
    ("SociaalEenzaam_30", "Sociaal eenzaam", 34, 6, None),
    ("Mantelzorger_31", "Mantelzorger", 14, 4, None),
    ("Vrijwilligerswerk_32", "Vrijwilligerswerk", 28, 6, None),
    ("MoeiteMetRondkomen_33", "Moeite met rondkomen", 17, 6, None),
    ("LopenEnOfFietsenNaarSchoolOfWerk_34", "Lopen en/of fietsen naar school of werk", 46, 10, None),
    ("LopenNaarSchoolOfWerk_35", "Lopen naar school of werk", 12, 4, None),
    ("FietsenNaarSchoolOfWerk_36", "Fietsen naar school of werk", 38, 10, None),
    ("NietSpecifiekeKlachten_37", "Niet-specifieke klachten", 30, 6, None),
]
STRING_TOPICS = [("Gemeentenaam_1", "Gemeentenaam"), ("SoortRegio_2", "Soort regio"),
                 ("Codering_3", "Codering")]

ALL_PERIODS = ["2000JJ00", "2002JJ00", "2004JJ00", "2006JJ00", "2008JJ00", "2010JJ00",
               "2012JJ00", "2014JJ00", "2016JJ00", "2018JJ00", "2020JJ00", "2022JJ00"]
# The three real codes first (source-formats.md 4.1); the others invented.
ALL_AGES = [("20300", "18 jaar of ouder"), ("53115", "18 tot 65 jaar"),
            ("80200", "65 jaar of ouder"), ("53050", "18 tot 35 jaar"),
            ("53060", "35 tot 50 jaar"), ("53070", "50 tot 65 jaar")]
MARGES = [("MW00000", "Waarde"), ("MOG0095", "Ondergrens 95%-interval"),
          ("MBG0095", "Bovengrens 95%-interval")]
MARGIN = {"Land": 0.3, "Gemeente": 2.0, "Wijk": 3.5, "Buurt": 5.5}

MUNICIPALITIES = 342
SUPPRESSED_BU = 0.03      # neighbourhood cells without any figure
VALUE_NO_BOUNDS = 0.002   # a value whose bounds are null
BOUNDS_NO_VALUE = 0.0005  # bounds whose value is null


def periods_of(count):
    """The real editions 2016, 2020, 2022 for 3; more years otherwise."""
    if count == 3:
        return ["2016JJ00", "2020JJ00", "2022JJ00"]
    return ALL_PERIODS[-count:]


def layout(scale):
    """(periods, ages, fraction of municipalities) for a scale."""
    if scale <= 0:
        raise ValueError("--scale must be positive")
    if scale < 1:
        return periods_of(3), ALL_AGES[:3], scale
    k = int(round(scale))
    if abs(k - scale) > 1e-9 or k > 8:
        raise ValueError("--scale above 1 must be an integer up to 8")
    ages = 6 if k % 2 == 0 and k >= 4 else 3
    periods = 9 * k // ages
    return periods_of(periods), ALL_AGES[:ages], 1.0


def regions(rng, fraction):
    """[(code, name, kind, municipality name)] in StatLine order: country,
    then each municipality followed by its districts and neighbourhoods."""
    numbers = sorted(rng.sample(range(1, 2000), MUNICIPALITIES))
    keep = max(1, int(math.ceil(MUNICIPALITIES * fraction - 1e-9)))
    out = [("NL01", "Nederland", "Land", "Nederland")]
    for number in numbers[:keep]:
        gm = "%04d" % number
        name = "Gemeente %s" % gm
        out.append(("GM" + gm, name, "Gemeente", name))
        for w in range(rng.randint(1, 18)):
            out.append(("WK%s%02d" % (gm, w), "Wijk %02d %s" % (w, name), "Wijk", name))
            buurten = rng.randint(1, 7) + (1 if rng.random() < 0.3 else 0)
            for b in range(buurten):
                out.append(("BU%s%02d%02d" % (gm, w, b), "Buurt %02d%02d %s" % (w, b, name),
                            "Buurt", name))
    return out


def cells(seed, index, region, periods, ages):
    """Per (period, age, topic): (value, low, high), each None or a number.
    Seeded per region, so the three Marges passes see the same figures
    without the table being held in memory."""
    code, _name, kind, _m = region
    rng = random.Random(seed * 1000003 + index)
    margin = MARGIN[kind]
    offset = rng.random() - 0.5
    out = []
    for period in periods:
        for _age in ages:
            row = []
            for _key, _title, base, spread, since in TOPICS:
                u_value = rng.random()
                u_margin = rng.random()
                u_gap = rng.random()
                if since and period < since:
                    row.append((None, None, None))
                    continue
                if kind == "Buurt" and u_gap < SUPPRESSED_BU:
                    row.append((None, None, None))
                    continue
                v = base + (offset + (u_value - 0.5)) * spread
                v = round(min(99.9, max(0.1, v)), 1)
                m = margin * (0.8 + 0.4 * u_margin)
                lo = round(max(0.0, v - m), 1)
                hi = round(min(100.0, v + m), 1)
                if u_gap > 1 - VALUE_NO_BOUNDS:
                    row.append((v, None, None))
                elif u_gap > 1 - VALUE_NO_BOUNDS - BOUNDS_NO_VALUE:
                    row.append((None, lo, hi))
                else:
                    row.append((v, lo, hi))
            out.append(row)
    return out


def number(x):
    return "null" if x is None else repr(x)


def js(s):
    return json.dumps(s, ensure_ascii=False)


class PageWriter:
    """Streams rows into pages of page_size rows linked by odata.nextLink."""

    def __init__(self, root, path, page_size, total):
        self.root, self.path, self.size, self.total = root, path, page_size, total
        self.start = 0
        self.rows = 0
        self.pages = 0
        self.f = None
        self.context = ('{"odata.metadata":' +
                        js("{BASE}" + path + "/$metadata#Cbs.OData.WebAPI.TypedDataSet") +
                        ',"value":[\n')

    def _open(self):
        name = "/TypedDataSet" + (".skip%d" % self.start if self.start else "") + ".json"
        self.f = open(self.root + self.path + name, "w", encoding="utf-8")
        self.f.write(self.context)
        self.pages += 1

    def _close(self):
        self.f.write("\n]")
        end = self.start + self.size
        if end < self.total:
            self.f.write(',"odata.nextLink":' +
                         js("{BASE}" + self.path + "/TypedDataSet?$format=json&$skip=%d" % end))
        self.f.write("}\n")
        self.f.close()
        self.f = None

    def row(self, text):
        if self.f is None:
            self._open()
        elif self.rows > self.start:
            self.f.write(",\n")
        self.f.write(text)
        self.rows += 1
        if self.rows == self.start + self.size:
            self._close()
            self.start = self.rows

    def finish(self):
        if self.f is not None:
            self._close()
        elif self.rows == 0:
            self._open()
            self._close()


def dump(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")


def entity(path, name, rows):
    return {"odata.metadata": "{BASE}" + path + "/$metadata#Cbs.OData.WebAPI." + name,
            "value": rows}


def dataprop(i, ptype, key, title, position=None, parent=None, **extra):
    kind = ptype if ptype in ("Topic", "TopicGroup") else "Dimension"
    row = {"odata.type": "Cbs.OData.WebAPI." + kind, "ID": i, "Position": position,
           "ParentID": parent, "Type": ptype, "Key": key, "Title": title,
           "Description": None}
    row.update(extra)
    return row


def write_metadata(root, ident, path, regs, periods, ages):
    dims = ["WijkenEnBuurten", "Perioden", "Leeftijd", "Marges"]
    sets = ["TableInfos", "UntypedDataSet", "TypedDataSet", "DataProperties",
            "CategoryGroups"] + dims
    dump(root + path + ".json",
         {"odata.metadata": "{BASE}" + path + "/$metadata",
          "value": [{"name": s, "url": "{BASE}" + path + "/" + s} for s in sets]})
    dump(root + path + "/TableInfos.json", entity(path, "TableInfos", [{
        "ID": 0, "Title": "Gezondheid per wijk en buurt (benchmark, invented figures)",
        "ShortTitle": "Gezondheid per wijk en buurt", "Identifier": ident,
        "Summary": "Generated by tests/bench/gen_statline_national.py.",
        "Modified": "2023-03-01T02:00:00", "MetaDataModified": "2023-03-01T02:00:00",
        "ReasonDelivery": "Actualisering", "Frequency": "Perjaar",
        "Period": "%s-%s" % (periods[0][:4], periods[-1][:4]), "Language": "nl",
        "Catalog": "RIVM", "OutputStatus": "Regulier",
        "RecordCount": len(regs) * len(periods) * len(ages) * len(MARGES),
        "ColumnCount": len(dims) + len(STRING_TOPICS) + len(TOPICS)}]))
    props = [dataprop(0, "GeoDetail", "WijkenEnBuurten", "Wijken en buurten", 0),
             dataprop(1, "TimeDimension", "Perioden", "Perioden", 1),
             dataprop(2, "Dimension", "Leeftijd", "Leeftijd", 2),
             dataprop(3, "Dimension", "Marges", "Marges", 3)]
    for n, (key, title) in enumerate(STRING_TOPICS):
        props.append(dataprop(4 + n, "Topic", key, title, 4 + n, Datatype="String",
                              Unit=None, Decimals=0, Default="Missing",
                              PresentationType="Absolute"))
    props.append(dataprop(7, "TopicGroup", "Gezondheid", "Gezondheid en leefstijl"))
    for n, (key, title, *_r) in enumerate(TOPICS):
        props.append(dataprop(8 + n, "Topic", key, title, 7 + n, 7, Datatype="Double",
                              Unit="%", Decimals=1, Default="Missing",
                              PresentationType="Relative"))
    dump(root + path + "/DataProperties.json", entity(path, "DataProperties", props))
    dump(root + path + "/CategoryGroups.json", entity(path, "CategoryGroups", []))
    dump(root + path + "/WijkenEnBuurten.json", entity(path, "WijkenEnBuurten", [
        {"Key": c.ljust(REGION_WIDTH), "Title": n, "Description": None,
         "Municipality": m.ljust(40)} for c, n, _k, m in regs]))
    dump(root + path + "/Perioden.json", entity(path, "Perioden", [
        {"Key": p, "Title": p[:4] + ("*" if p == periods[-1] else ""), "Description": None,
         "Status": "Voorlopig" if p == periods[-1] else "Definitief"} for p in periods]))
    dump(root + path + "/Leeftijd.json", entity(path, "Leeftijd", [
        {"Key": k, "Title": t, "Description": None, "CategoryGroupID": None}
        for k, t in ages]))
    dump(root + path + "/Marges.json", entity(path, "Marges", [
        {"Key": k, "Title": t, "Description": None, "CategoryGroupID": None}
        for k, t in MARGES]))


def write_table(root, ident, seed, regs, periods, ages, page_size):
    path = "/ODataFeed/odata/" + ident
    write_metadata(root, ident, path, regs, periods, ages)
    total = len(regs) * len(periods) * len(ages) * len(MARGES)
    pw = PageWriter(root, path, page_size, total)
    heads = [(js(c.ljust(REGION_WIDTH)),
              ',"Gemeentenaam_1":%s,"SoortRegio_2":%s,"Codering_3":%s' %
              (js(m.ljust(40)), js(k.ljust(10)), js(c.ljust(CODE_WIDTH))))
             for c, _n, k, m in regs]
    keys = [t[0] for t in TOPICS]
    n = 0
    for component, (marge, _t) in enumerate(MARGES):  # Marges outermost
        for index, region in enumerate(regs):
            figures = cells(seed, index, region, periods, ages)
            region_key, strings = heads[index]
            j = 0
            for period in periods:
                for age, _a in ages:
                    row = figures[j]
                    j += 1
                    parts = ['{"ID":%d,"WijkenEnBuurten":%s,"Perioden":"%s","Leeftijd":"%s",'
                             '"Marges":"%s"%s' % (n, region_key, period, age, marge, strings)]
                    for key, cell in zip(keys, row):
                        parts.append(',"%s":%s' % (key, number(cell[component])))
                    parts.append("}")
                    pw.row("".join(parts))
                    n += 1
    pw.finish()
    return {"table": ident, "url_path": path, "rows": total, "pages": pw.pages,
            "page_size": page_size}


def snake(stem):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", stem).lower()


def catalogue(idents):
    indicators = []
    for key, title, *_r in TOPICS:
        stem = key.rsplit("_", 1)[0]
        indicators.append({
            "id": "gm_" + snake(stem), "code": "bench." + stem, "title": title,
            "unit": "percent", "goal": "5", "mandatory": False, "likely_source": "ggd",
            "preferred_plugin": "cbs_odata", "breakdown_members": [],
            "sources": [{"plugin": "cbs_odata", "dataset": i, "code": stem} for i in idents],
            "reference": [], "note": "benchmark (tests/bench/gen_statline_national.py)"})
    return {"version": 1, "municipality": "GM0384",
            "goals": [{"goal": "5", "title": "Gezondheid (benchmark)"}],
            "indicators": indicators}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--page-size", type=int, default=10000)
    ap.add_argument("--copies", type=int, default=1)
    ap.add_argument("--seed", type=int, default=50120)
    args = ap.parse_args()
    if args.page_size < 1 or args.copies < 1:
        ap.error("--page-size and --copies must be positive")
    try:
        periods, ages, fraction = layout(args.scale)
    except ValueError as e:
        ap.error(str(e))
    out = args.out.rstrip("/")
    regs = regions(random.Random(args.seed), fraction)
    idents = ["%dNED" % (FIRST_ID + i) for i in range(args.copies)]
    tables = [write_table(out, ident, args.seed, regs, periods, ages, args.page_size)
              for ident in idents]
    levels = {}
    for _c, _n, kind, _m in regs:
        levels[kind] = levels.get(kind, 0) + 1
    keys = len(regs) * len(periods) * len(ages) * len(TOPICS)
    manifest = {"generator": "tests/bench/gen_statline_national.py", "scale": args.scale,
                "seed": args.seed, "page_size": args.page_size, "regions": len(regs),
                "region_levels": levels, "periods": periods,
                "ages": [a for a, _t in ages], "topics": len(TOPICS),
                "observations_per_table": keys, "tables": tables}
    dump(out + "/catalogue.json", catalogue(idents))
    dump(out + "/manifest.json", manifest)
    for t in tables:
        print("%s: %d rows in %d pages of %d, %d regions, %d observations"
              % (t["table"], t["rows"], t["pages"], t["page_size"], len(regs), keys),
              file=sys.stderr)


if __name__ == "__main__":
    main()
