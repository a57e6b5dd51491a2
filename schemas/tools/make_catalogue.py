#!/usr/bin/env python3
"""Generate schemas/indicators.json from the municipality's reference table.

Usage: make_catalogue.py REFERENCE.csv [OUTPUT.json]   (default: stdout)

The reference table (prestatie-indicatoren-2023.csv) is ';'-separated with
the header
  code;doel;indicator;unit;verplicht;likely_source;breakdown;
  werkelijk_2020;werkelijk_2021;begroot_2022;begroot_2023;note
The note column is free text and may itself contain ';', so everything after
the eleventh separator is the note (the csv module would split it).

Output is deterministic: indicators in the order their code first appears,
keys in a fixed order, UTF-8, two-space indent, trailing newline. The
committed schemas/indicators.json is exactly this script's output, so a
reviewer can regenerate it and diff.

Ids, multi-row titles and source mappings are curated here (they are a
public contract and cannot be derived from the table). The script fails
loudly when the table has a code without an id, so a new table row cannot
slip into the catalogue unnamed.
"""
import json
import sys

HEADER = ["code", "doel", "indicator", "unit", "verplicht", "likely_source",
          "breakdown", "werkelijk_2020", "werkelijk_2021", "begroot_2022",
          "begroot_2023", "note"]
REFERENCE_COLUMNS = HEADER[7:11]

# Stable public ids. Rules: lower-case ASCII snake_case, Dutch subject first,
# a unit suffix where it helps (_pct, _per_1000, _per_10k, _dagen).
IDS = {
    "3.1": "uitstroom_naar_werk",
    "2.1.1": "wmo_doorlooptijd_dagen",
    "2.2.1": "huizen_van_de_buurt_activiteiten",
    "2.3.1": "diemen_voor_elkaar_bemiddelingen",
    "3.1.1": "banen_per_1000",
    "3.1.2": "beschut_werk_plaatsingen",
    "3.1.3": "netto_participatie_pct",
    "3.1.4": "bijstand_per_10k",
    "3.1.5": "reintegratie_per_10k",
    "3.1.6": "wmo_clienten_per_10k",
    "3.1.7": "stadspas_houders",
    "3.1.8": "huishoudens_bijstand_pct",
    "3.1.9": "huishoudens_bijstand_mra_pct",
    "3.3.1": "jongeren_delict_pct",
    "3.3.2": "kinderen_armoede_pct",
    "3.3.3": "kindermishandeling_meldingen_pct",
    "3.3.4": "achterstandsleerlingen_pct",
    "3.3.5": "werkloze_jongeren_pct",
    "3.3.6": "jongeren_jeugdhulp_pct",
    "3.3.7": "jongeren_jeugdbescherming_pct",
    "3.3.8": "jongeren_jeugdreclassering_pct",
    "3.3.9": "bereik_jeugdgezondheidszorg_pct",
    "4.2.3": "mentoraat_vrijwilligers_deelnemers",
    "5.1.1": "eenzaamheid_pct",
    "5.1.2": "psychosociale_klachten_pct",
    "5.1.3": "welzijn_op_recept_trajecten",
    "5.2.1": "jeugd_beweegt_dagelijks_pct",
    "5.2.2": "goed_ervaren_gezondheid_pct",
    "5.2.3": "tevredenheid_leefomgeving_pct",
    "5.2.4": "bewegingsaanbod_welzijn_deelname",
    "5.2.5": "volwassenen_beweegt_dagelijks_pct",
    "5.2.6": "overgewicht_pct",
    "5.2.7": "bewegingsaanbod_deelname",
    "5.2.8": "buurtsportcoaches_per_week",
    "5.3.1": "genotsmiddelengebruik_pct",
    "5.4.1": "diversiteit_activiteiten",
    "6.1.1": "woonurgenties",
    "6.1.2": "lokale_voorrang_sociale_huur_pct",
    "6.1.3": "beschermd_wonen_opvang",
    "6.1.4": "woningen_geschikt_oud_pct",
    "6.1.5": "passend_wonen_activiteiten",
    "6.1.6": "groot_naar_beter_bemiddelingen",
    "6.1.7": "wmo_maatwerkvoorzieningen",
    "6.2.1": "meldingen_zorg_overlast",
    "6.2.2": "meldpunt_wvggz_meldingen",
}

# Codes whose rows carry different titles per breakdown member need one
# common title for the indicator; the member rows keep their own.
COMMON_TITLES = {
    "5.2.8": "Activiteiten en bereik buurtsportcoaches",
    "6.1.3": "Aantal Diemenaren in Beschermd Wonen, Maatschappelijke Opvang "
             "en Noodopvang",
}

# Source mappings: (code, plugin, dataset, source code, fixed breakdown).
# For cbs_odata the source code is the StatLine v3 column stem (Key without
# the "_<n>" edition suffix) or the v4 measure code; for swing_ods the Swing
# variable code; for csv_export the column (or variable) name of the export;
# for provider_report the policy code as the provider writes it.
SOURCES = [
    ("3.1.1", "cbs_odata", "90001NED", "BanenPer1000Inwoners", None),
    ("3.1.3", "cbs_odata", "90001NED", "NettoArbeidsparticipatie", None),
    ("3.1.4", "cbs_odata", "90001NED", "Bijstandsuitkeringen", None),
    ("3.1.5", "cbs_odata", "90001NED", "ReIntegratievoorzieningen", None),
    ("3.1.6", "cbs_odata", "90001NED", "WmoClienten", None),
    ("3.1.8", "cbs_odata", "90001NED", "HuishoudensMetBijstand", None),
    ("3.3.6", "cbs_odata", "90002NED", "M004521", None),
    ("3.3.7", "cbs_odata", "90002NED", "M004522", None),
    ("3.3.8", "cbs_odata", "90002NED", "M004523", None),
    ("5.2.2", "cbs_odata", "50120NED", "ErvarenGezondheidGoedZeerGoed", None),
    ("5.2.5", "cbs_odata", "50120NED", "VoldoetAanBeweegrichtlijn", None),
    ("5.2.6", "cbs_odata", "50120NED", "Overgewicht", None),
    ("5.1.1", "cbs_odata", "50120NED", "Eenzaam", None),
    ("5.1.2", "cbs_odata", "50120NED", "PsychischeKlachten", None),
    ("5.3.1", "cbs_odata", "50120NED", "Roker", {"substance": "roken"}),
    ("5.3.1", "cbs_odata", "50120NED", "ZwareDrinker", {"substance": "alcohol"}),
    # Swing Open Data Service (waarstaatjegemeente.nl). The variable codes
    # are CONSTRUCTED: the real ones are unconfirmed (source-formats.md 1).
    ("3.1.1", "swing_ods", "*", "bbv_banen_per_1000", None),
    ("3.1.3", "swing_ods", "*", "bbv_netto_arbeidsparticipatie", None),
    ("3.1.4", "swing_ods", "*", "bbv_bijstand_per_10000", None),
    ("3.1.5", "swing_ods", "*", "bbv_reintegratie_per_10000", None),
    ("3.1.6", "swing_ods", "*", "bbv_wmo_maatwerk_per_10000", None),
    ("3.3.1", "swing_ods", "*", "bbv_jongeren_delict", None),
    ("3.3.2", "swing_ods", "*", "bbv_kinderen_uitkeringsgezin", None),
    ("3.3.3", "swing_ods", "*", "bbv_melding_kindermishandeling", None),
    ("3.3.4", "swing_ods", "*", "bbv_achterstandsleerlingen", None),
    ("3.3.5", "swing_ods", "*", "bbv_werkloze_jongeren", None),
    ("3.3.6", "swing_ods", "*", "bbv_jeugdhulp", None),
    ("3.3.7", "swing_ods", "*", "bbv_jeugdbescherming", None),
    ("3.3.8", "swing_ods", "*", "bbv_jeugdreclassering", None),
    # GGD tables saved as CSV. 3.3.9's age member comes from the export's
    # "leeftijd" column, so the mapping adds no fixed member.
    ("3.3.9", "csv_export", "ggd_monitor", "bereik_jgz", None),
    ("5.2.1", "csv_export", "ggd_monitor", "jongeren_bewegen", None),
    ("5.2.3", "csv_export", "ggd_monitor", "tevreden_leefomgeving", None),
    ("5.3.1", "csv_export", "ggd_monitor", "drugsgebruik",
     {"substance": "drugs"}),
    # The municipality's own registrations, exported as CSV.
    ("3.1", "csv_export", "diemen_lokaal", "uitstroom_werk", None),
    ("2.1.1", "csv_export", "diemen_lokaal", "doorlooptijd_wmo", None),
    ("3.1.2", "csv_export", "diemen_lokaal", "beschut_werk", None),
    ("3.1.7", "csv_export", "diemen_lokaal", "stadspas", None),
    ("5.2.7", "csv_export", "diemen_lokaal", "deelname_bewegingsaanbod", None),
    ("5.4.1", "csv_export", "diemen_lokaal", "activiteiten_diversiteit", None),
    ("6.1.1", "csv_export", "diemen_lokaal", "woonurgenties", None),
    ("6.1.4", "csv_export", "diemen_lokaal", "woningen_geschikt_oud", None),
    ("6.2.1", "csv_export", "diemen_lokaal", "meldingen_zorg_overlast", None),
    ("6.2.2", "csv_export", "diemen_lokaal", "meldpunt_wvggz", None),
    # CBS figures downloaded as CSV. 6.1.7's type member comes from the
    # export's "type" column; 3.1.9 is about the MRA (indicator area).
    ("3.1.9", "csv_export", "cbs_export", "huishoudens_bijstand_mra", None),
    ("6.1.7", "csv_export", "cbs_export", "wmo_voorzieningen", None),
    # Provider reports (schemas/provider-report.xsd): the code is the policy
    # code; 5.2.8 and 6.1.3 carry their member in the report's breakdown.
    ("2.2.1", "provider_report", "*", "2.2.1", None),
    ("2.3.1", "provider_report", "*", "2.3.1", None),
    ("4.2.3", "provider_report", "*", "4.2.3", None),
    ("5.1.3", "provider_report", "*", "5.1.3", None),
    ("5.2.4", "provider_report", "*", "5.2.4", None),
    ("5.2.8", "provider_report", "*", "5.2.8", None),
    ("6.1.2", "provider_report", "*", "6.1.2", None),
    ("6.1.3", "provider_report", "*", "6.1.3", None),
    ("6.1.5", "provider_report", "*", "6.1.5", None),
    ("6.1.6", "provider_report", "*", "6.1.6", None),
]

# A Swing bulk download (`"period";"geolevel";"geoitem";"<var>"`, the
# waarstaatjegemeente export layout) carries the same variable codes as the
# Open Data Service; read with csv_export it uses dataset "swing_bulk".
SOURCES += [(code, "csv_export", "swing_bulk", var, bd)
            for (code, plugin, _, var, bd) in list(SOURCES)
            if plugin == "swing_ods"]

# Breakdown members a source publishes that the reference table does not
# show, and which of them the table's figure is: the RIVM health monitor
# splits every figure by age, and the Programmabegroting reports adults
# ("18 jaar of ouder"). Keyed by (plugin, dataset); the monitor report uses
# only rows with exactly the indicator's member plus these.
MONITOR_BREAKDOWN = {
    ("cbs_odata", "50120NED"): {"age": "18 jaar of ouder"},
}

# Which plugin delivers what the table calls likely_source. When several
# sources deliver the same figure, the monitor prefers this plugin.
LIKELY_PLUGIN = {
    "waarstaatjegemeente": "swing_ods",
    "cbs": "cbs_odata",
    "ggd": "cbs_odata",
    "provider": "provider_report",
    "local": "csv_export",
}

# The goals (doelen) of the programme Sociaal, from "Wat willen we
# bereiken?" of the Programmabegroting 2023.
GOALS = [
    ("1", "Uniforme en integrale klantbenadering en -ondersteuning door de "
          "gemeente en haar partners"),
    ("2", "Kwalitatief goede voorzieningen (individuele en algemene "
          "voorzieningen) binnen beschikbare middelen"),
    ("3", "Alle doelgroepen binnen het sociaal domein participeren binnen "
          "eigen mogelijkheden"),
    ("4", "Inwoners uit Diemen maken optimaal gebruik van hun "
          "(zorg-)netwerk (in de buurt) en ondersteunen elkaar daarbij"),
    ("5", "Alle inwoners uit Diemen hebben gelijke kansen op een goede "
          "gezondheid"),
    ("6", "Kansen creëren voor inwoners om veilig en passend te kunnen "
          "blijven wonen in Diemen"),
]

# A breakdown dimension that is really the area the figure is about (the
# MRA aggregate): it becomes the indicator's "area", not a breakdown.
AREA_DIMENSION = "area"


def fail(msg):
    sys.stderr.write("make_catalogue: " + msg + "\n")
    sys.exit(1)


def read_rows(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    if not lines or lines[0].split(";") != HEADER:
        fail("%s:1: header is not %s" % (path, ";".join(HEADER)))
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.split(";")
        if len(parts) < len(HEADER):
            fail("%s:%d: %d fields, expected at least %d"
                 % (path, lineno, len(parts), len(HEADER)))
        fields = parts[:len(HEADER) - 1] + [";".join(parts[len(HEADER) - 1:])]
        row = dict(zip(HEADER, (x.strip() for x in fields)))
        row["_line"] = lineno
        rows.append(row)
    return rows


def parse_breakdown(text, where):
    if not text:
        return {}
    out = {}
    for item in text.split(","):
        if "=" not in item:
            fail("%s: breakdown %r is not dim=member" % (where, text))
        dim, member = (x.strip() for x in item.split("=", 1))
        if not dim or not member or dim in out:
            fail("%s: bad breakdown %r" % (where, text))
        out[dim] = member
    return out


def preferred_plugin(code, likely_source, sources):
    """The plugin the monitor prefers when several deliver the figure: the
    one behind likely_source when it is among the mappings, else the only
    plugin mapped, else none (the most recently fetched figure wins)."""
    plugins = sorted({s["plugin"] for s in sources})
    likely = LIKELY_PLUGIN.get(likely_source)
    if likely is None:
        fail("code %s: likely_source %r has no plugin in LIKELY_PLUGIN"
             % (code, likely_source))
    if likely in plugins:
        return likely
    if len(plugins) == 1:
        return plugins[0]
    return None


def same(rows, field, code):
    values = {r[field] for r in rows}
    if len(values) != 1:
        fail("code %s: rows disagree on %s: %s" % (code, field, sorted(values)))
    return values.pop()


def build(path):
    rows = read_rows(path)
    order, groups = [], {}
    for r in rows:
        if r["code"] not in groups:
            order.append(r["code"])
            groups[r["code"]] = []
        groups[r["code"]].append(r)

    unknown = [c for c in order if c not in IDS]
    if unknown:
        fail("codes without an id in IDS: %s" % ", ".join(unknown))
    stale = sorted(set(IDS) - set(order))
    if stale:
        fail("ids for codes not in the table: %s" % ", ".join(stale))

    indicators = []
    for code in order:
        group = groups[code]
        titles = [r["indicator"] for r in group]
        if len(set(titles)) == 1:
            title = titles[0]
        elif code in COMMON_TITLES:
            title = COMMON_TITLES[code]
        else:
            fail("code %s: member titles differ and COMMON_TITLES has none"
                 % code)
        mandatory = same(group, "verplicht", code)
        if mandatory not in ("yes", "no"):
            fail("code %s: verplicht %r is not yes/no" % (code, mandatory))

        area = None
        members, reference = [], []
        for r in group:
            where = "%s:%d" % (path, r["_line"])
            breakdown = parse_breakdown(r["breakdown"], where)
            if AREA_DIMENSION in breakdown:
                if len(group) != 1:
                    fail("%s: area breakdown on a multi-row code" % where)
                area = breakdown.pop(AREA_DIMENSION)
            breakdown = dict(sorted(breakdown.items()))
            if len(group) > 1:
                if not breakdown:
                    fail("%s: multi-row code without breakdown" % where)
                if r["indicator"] != title:
                    member_title = r["indicator"]
                else:
                    member_title = "%s (%s)" % (
                        title, ", ".join(breakdown.values()))
                members.append({"breakdown": breakdown, "title": member_title})
            ref = {"breakdown": breakdown}
            for col in REFERENCE_COLUMNS:
                ref[col] = r[col]
            reference.append(ref)

        keys = [json.dumps(m["breakdown"], sort_keys=True) for m in members]
        if len(set(keys)) != len(keys):
            fail("code %s: duplicate breakdown members" % code)

        sources = []
        for (scode, plugin, dataset, source_code, fixed) in SOURCES:
            if scode != code:
                continue
            s = {"plugin": plugin, "dataset": dataset, "code": source_code}
            if fixed:
                if json.dumps(fixed, sort_keys=True) not in keys:
                    fail("mapping %s: breakdown %r is not a member of %s"
                         % (source_code, fixed, code))
                s["breakdown"] = dict(sorted(fixed.items()))
            extra = MONITOR_BREAKDOWN.get((plugin, dataset))
            if extra:
                s["monitor_breakdown"] = dict(sorted(extra.items()))
            sources.append(s)
        if not sources:
            fail("code %s: no source mapping (every indicator needs one)"
                 % code)
        preferred = preferred_plugin(code, same(group, "likely_source", code),
                                     sources)

        notes = []
        for r in group:
            if r["note"] and r["note"] not in notes:
                notes.append(r["note"])

        entry = {
            "id": IDS[code],
            "code": code,
            "title": title,
            "unit": same(group, "unit", code),
            "goal": same(group, "doel", code),
            "mandatory": mandatory == "yes",
            "likely_source": same(group, "likely_source", code),
        }
        if area is not None:
            entry["area"] = area
        if preferred is not None:
            entry["preferred_plugin"] = preferred
        entry["breakdown_members"] = members
        entry["sources"] = sources
        entry["reference"] = reference
        entry["note"] = "; ".join(notes)
        indicators.append(entry)

    goal_codes = [g for g, _ in GOALS]
    for entry in indicators:
        if entry["goal"] not in goal_codes:
            fail("code %s: goal %s has no title in GOALS"
                 % (entry["code"], entry["goal"]))
    mapped = {s[0] for s in SOURCES}
    missing = sorted(mapped - set(order))
    if missing:
        fail("source mappings for codes not in the table: %s"
             % ", ".join(missing))
    goals = [{"goal": g, "title": t} for g, t in GOALS]
    return {"version": 1, "municipality": "GM0384", "goals": goals,
            "indicators": indicators}


def main(argv):
    if len(argv) not in (2, 3):
        fail("usage: make_catalogue.py REFERENCE.csv [OUTPUT.json]")
    text = json.dumps(build(argv[1]), indent=2, ensure_ascii=False) + "\n"
    if len(argv) == 3:
        with open(argv[2], "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv)
