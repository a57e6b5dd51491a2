#!/usr/bin/env python3
"""Write a realistic exchange log of N records for timing `gateway audit show`
(and `audit verify`): source runs of fetches, a parse and a store record each,
feed exports after each round, plugin loads now and then. Records look like
the ones `gateway run` writes (same members, same order, compact JSON, a valid
seq/prev hash chain), time grows by a few seconds per record from START.

    make_audit_log.py OUT [--records N] [--sources S] [--seed X] [--start T]

Prints one summary line: records, bytes, the first and last time, and one
source id and trace id that occur in the log, for selective filters.
"""
import argparse
import datetime as dt
import hashlib
import json
import random

RESOURCE = {"service.name": "indicator-gateway", "service.version": "0.1.0"}
ATTRS = {"dpl.core.processing_activity_id":
         "https://register.example.nl/verwerkingen/indicatoren"}
CERT = "206672cbd1c0b935eb24807c2f695cbb2964d217547b10964f1b8beb76af96c3"
SUBJECT = "serialNumber=00000099000000000001,CN=opendata.example.nl,O=CBS TEST"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--sources", type=int, default=40)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--start", default="2026-01-01T00:00:00Z")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    t = dt.datetime.strptime(a.start, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=dt.timezone.utc)
    sources = ["source-%03d" % i for i in range(a.sources)]
    prev = "0" * 64
    seq = 0
    nbytes = 0
    sample_trace = None
    first_time = None

    def hexid(n):
        return "%0*x" % (2 * n, rnd.getrandbits(8 * n))

    with open(a.out, "w", encoding="ascii", newline="\n") as out:
        def emit(fields):
            nonlocal prev, seq, t, nbytes, first_time
            t += dt.timedelta(milliseconds=rnd.randint(20, 6000))
            stamp = t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (
                t.microsecond // 1000)
            first_time = first_time or stamp
            rec = {"seq": seq, "time": stamp, "prev": prev}
            rec.update(fields)
            rec["resource"] = RESOURCE
            rec["attributes"] = ATTRS
            line = json.dumps(rec, separators=(",", ":"), ensure_ascii=True)
            out.write(line + "\n")
            prev = hashlib.sha256(line.encode("ascii")).hexdigest()
            seq += 1
            nbytes += len(line) + 1
            return stamp

        last = None
        while seq < a.records:
            for src in sources:
                if seq >= a.records:
                    break
                trace, root = hexid(16), hexid(8)
                if src == sources[len(sources) // 2] and sample_trace is None \
                        and seq > a.records // 2:
                    sample_trace = trace
                start_ms = int(t.timestamp() * 1000)
                if rnd.random() < 0.02:
                    emit({"event": "plugin_load", "name": "plugin_load",
                          "trace_id": hexid(16), "span_id": hexid(8),
                          "parent_span_id": None, "start_time": start_ms,
                          "end_time": start_ms, "status_code": 1,
                          "plugin": "cbs_odata", "version": "1.0.0", "abi": 1,
                          "path": "/usr/lib/gateway/plugins/cbs_odata.so",
                          "plugin_sha256": hexid(32), "outcome": "ok"})
                pages = rnd.randint(3, 25)
                failed = rnd.random() < 0.01
                for p in range(pages):
                    if seq >= a.records:
                        break
                    status = 503 if failed and p == pages - 1 else \
                        (304 if rnd.random() < 0.3 else 200)
                    size = 0 if status != 200 else rnd.randint(300, 200000)
                    emit({"event": "fetch", "name": "fetch:" + src,
                          "trace_id": trace, "span_id": hexid(8),
                          "parent_span_id": root, "start_time": start_ms,
                          "end_time": start_ms + 50, "status_code":
                          2 if status == 503 else 1, "source": src,
                          "plugin": "cbs_odata",
                          "url": "https://opendata.example.nl/ODataFeed/odata/"
                                 "%s/TypedDataSet?$format=json&$skip=%d"
                                 % (src, p * 200),
                          "attempt": 1, "http_status": status,
                          "tls_version": "TLSv1.3", "peer_cert_sha256": CERT,
                          "peer_subject": SUBJECT,
                          "peer_oin": "00000099000000000001", "bytes": size,
                          "payload_sha256": hexid(32),
                          "not_modified": status == 304,
                          "outcome": "fail" if status == 503 else "ok",
                          "error": "HTTP 503 Service Unavailable"
                          if status == 503 else None})
                if seq >= a.records:
                    break
                emitted = rnd.randint(50, 5000)
                emit({"event": "parse", "name": "parse:" + src,
                      "trace_id": trace, "span_id": root, "start_time":
                      start_ms, "end_time": start_ms + 900,
                      "status_code": 2 if failed else 1, "source": src,
                      "plugin": "cbs_odata", "pages": pages,
                      "emitted": emitted, "unmapped": 0, "rejected": 0,
                      "rejections": [], "suppressed": 0,
                      "suppression_rule": None,
                      "outcome": "fail" if failed else "ok",
                      "error": "fetch failed: HTTP 503" if failed else None})
                if failed or seq >= a.records:
                    continue
                revised = rnd.randint(0, 20) if rnd.random() < 0.1 else 0
                emit({"event": "store", "name": "store:" + src,
                      "trace_id": trace, "span_id": hexid(8),
                      "parent_span_id": root, "start_time": start_ms + 900,
                      "end_time": start_ms + 950, "status_code": 1,
                      "source": src, "plugin": "cbs_odata",
                      "staged": emitted, "inserted": 0, "revised": revised,
                      "unchanged": emitted - revised, "outcome": "committed"})
            for fmt in ("json", "xml", "csv"):
                if seq >= a.records:
                    break
                last = emit({"event": "export", "name": "export:feed",
                             "trace_id": hexid(16), "span_id": hexid(8),
                             "parent_span_id": None, "start_time": 0,
                             "end_time": 0, "status_code": 1,
                             "feed": "indicators", "format": fmt,
                             "destination": "/srv/feeds/indicators." + fmt,
                             "count": 150000, "payload_sha256": hexid(32),
                             "bytes": 60000000, "outcome": "ok",
                             "error": None})
    print("records=%d bytes=%d first=%s last=%s source=%s trace=%s" %
          (seq, nbytes, first_time, last, sources[len(sources) // 2],
           sample_trace))


if __name__ == "__main__":
    main()
