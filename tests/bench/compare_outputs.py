#!/usr/bin/env python3
"""Check that two JSON feeds hold the same observations: the gateway's export
and tests/bench/pandas_normalise.py's output (or any two feeds in the
schemas/observation.schema.json shape).

    compare_outputs.py A.json B.json [--rtol 1e-9] [--atol 1e-9]
                       [--examples 10] [--label-a gateway] [--label-b pandas]

An observation is identified by (indicator, area, period, breakdown); for
each key both sides must agree on area_level, status, unit, and on value,
ci_low and ci_high (null = null; numbers within atol + rtol * |b|).
Provenance (fetched_at, payload digest, revision) is not compared: it
differs between two fetches by design.

Feeds are read as a stream (the gateway writes one observation per line),
reduced to one canonical line per observation and sorted with sort(1), so
millions of observations are compared in bounded memory. A feed that is not
one observation per line is read whole with json.load instead.

Exit status 0: the same observations; 1: they differ (a summary per kind
of difference with examples goes to stdout); 2: a feed cannot be read.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

FIELDS = ["area_level", "status", "unit", "value", "ci_low", "ci_high"]
NUMBERS = {"value", "ci_low", "ci_high"}


class FeedError(Exception):
    pass


def canonical(obs):
    try:
        key = "\x1f".join([obs["indicator"], obs["area"], obs["period"],
                           json.dumps(obs["breakdown"], sort_keys=True,
                                      separators=(",", ":"), ensure_ascii=False)])
        values = [obs[f] for f in FIELDS]
    except (KeyError, TypeError) as e:
        raise FeedError("observation without %s: %.200s" % (e, json.dumps(obs)))
    if "\t" in key or "\n" in key:
        raise FeedError("tab or newline in a key: %.200s" % json.dumps(obs))
    return key + "\t" + json.dumps(values, separators=(",", ":"), ensure_ascii=False)


def observations(path):
    """Yield the observations of a feed; check its count."""
    seen = 0
    declared = None
    with open(path, encoding="utf-8-sig") as f:
        for line in f:
            text = line.strip()
            if text.startswith('{"indicator"'):
                seen += 1
                try:
                    yield json.loads(text[:-1] if text.endswith(",") else text)
                except json.JSONDecodeError as e:
                    raise FeedError("%s: observation %d is not JSON: %s" % (path, seen, e))
            elif text.startswith('"count":'):
                declared = int(text[len('"count":'):].rstrip("}").strip())
    if seen == 0:  # not one observation per line: read it whole
        with open(path, encoding="utf-8-sig") as f:
            doc = json.load(f)
        declared = doc.get("count")
        for obs in doc["observations"]:
            seen += 1
            yield obs
    if declared is not None and declared != seen:
        raise FeedError("%s: count says %d, the feed holds %d observations"
                        % (path, declared, seen))


def sorted_canonical(path, tmpdir, tag):
    raw = os.path.join(tmpdir, tag + ".raw")
    out = os.path.join(tmpdir, tag + ".sorted")
    n = 0
    with open(raw, "w", encoding="utf-8") as f:
        for obs in observations(path):
            f.write(canonical(obs) + "\n")
            n += 1
    env = dict(os.environ, LC_ALL="C")
    subprocess.run(["sort", "-S", "512M", "-T", tmpdir, "-o", out, raw], env=env, check=True)
    os.unlink(raw)
    return out, n


def read_sorted(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            key, values = line.rstrip("\n").split("\t", 1)
            yield key, json.loads(values)


def close(a, b, rtol, atol):
    if a is None or b is None:
        return a is None and b is None
    return math.isfinite(a) and math.isfinite(b) and abs(a - b) <= atol + rtol * abs(b)


def show_key(key):
    ind, area, period, breakdown = key.split("\x1f")
    return "%s %s %s %s" % (ind, area, period, breakdown)


class Report:
    def __init__(self, examples):
        self.examples = examples
        self.kinds = {}

    def add(self, kind, text):
        entry = self.kinds.setdefault(kind, [0, []])
        entry[0] += 1
        if len(entry[1]) < self.examples:
            entry[1].append(text)


def compare(a_path, b_path, args):
    with tempfile.TemporaryDirectory(prefix="compare-outputs-") as tmp:
        a_sorted, a_count = sorted_canonical(a_path, tmp, "a")
        b_sorted, b_count = sorted_canonical(b_path, tmp, "b")
        report = Report(args.examples)
        same = 0
        a_iter, b_iter = read_sorted(a_sorted), read_sorted(b_sorted)
        a_item, b_item = next(a_iter, None), next(b_iter, None)
        last = None
        while a_item or b_item:
            if a_item and (not b_item or a_item[0] < b_item[0]):
                kind = "only in " + args.label_a
                if a_item[0] == last:
                    kind = "key twice in " + args.label_a
                report.add(kind, show_key(a_item[0]) + " " + json.dumps(a_item[1]))
                last = a_item[0]
                a_item = next(a_iter, None)
                continue
            if b_item and (not a_item or b_item[0] < a_item[0]):
                kind = "only in " + args.label_b
                if b_item[0] == last:
                    kind = "key twice in " + args.label_b
                report.add(kind, show_key(b_item[0]) + " " + json.dumps(b_item[1]))
                last = b_item[0]
                b_item = next(b_iter, None)
                continue
            key, va, vb = a_item[0], a_item[1], b_item[1]
            differs = False
            for i, field in enumerate(FIELDS):
                ok = (close(va[i], vb[i], args.rtol, args.atol) if field in NUMBERS
                      else va[i] == vb[i])
                if not ok:
                    differs = True
                    report.add("%s differs" % field, "%s: %s=%s %s=%s" % (
                        show_key(key), args.label_a, json.dumps(va[i]),
                        args.label_b, json.dumps(vb[i])))
            same += not differs
            last = key
            a_item, b_item = next(a_iter, None), next(b_iter, None)
    return a_count, b_count, same, report


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--rtol", type=float, default=1e-9)
    ap.add_argument("--atol", type=float, default=1e-9)
    ap.add_argument("--examples", type=int, default=10)
    ap.add_argument("--label-a", default="gateway")
    ap.add_argument("--label-b", default="pandas")
    args = ap.parse_args()
    try:
        a_count, b_count, same, report = compare(args.a, args.b, args)
    except (OSError, ValueError, FeedError, subprocess.CalledProcessError) as e:
        print("compare_outputs: %s" % e, file=sys.stderr)
        return 2
    print("%s: %d observations; %s: %d observations; %d identical"
          % (args.label_a, a_count, args.label_b, b_count, same))
    if not report.kinds and a_count == b_count == same:
        print("SAME: both feeds hold the same %d observations" % same)
        return 0
    print("DIFFERENT:")
    for kind in sorted(report.kinds):
        count, examples = report.kinds[kind]
        print("  %s: %d" % (kind, count))
        for text in examples:
            print("    " + text)
    return 1


if __name__ == "__main__":
    sys.exit(main())
