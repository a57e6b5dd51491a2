#!/usr/bin/env bash
# gateway serve against the real server over TLS on 127.0.0.1: every
# format validates against its schema, the filters select exactly what the
# published feed holds for them, pagination through all pages gives the
# full set once, ETag/Last-Modified give 304, a published feed comes back
# byte for byte, every request leaves one serve record in an intact
# exchange log, and SIGTERM stops the server cleanly.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
cd "$WORK"
VALIDATE="/usr/bin/python3 $GW_SOURCE_DIR/tests/tools/validate_json.py"
SCHEMAS="$GW_SOURCE_DIR/schemas"

serve_fill_store
serve_configure
"$GW_BIN" serve --help >/dev/null || fail "serve --help failed"
gw check >check.out 2>&1 || fail "gateway check refuses the serve config: $(cat check.out)"
serve_start
pass "the server listens on $BASE"

# ---- health and the indicator list -------------------------------------
assert_eq "$(req "$BASE/v1/health")" 200 "health without credentials"
assert_eq "$(json_get body "d['status']")" ok "health body"
assert_eq "$(header Cache-Control)" no-store "health is not cached"

assert_eq "$(as_all /v1/indicators)" 200 "indicators"
$VALIDATE "$SCHEMAS/indicator-list.schema.json" body || fail "indicator list JSON invalid"
n_all=$(json_get body "d['count']")
[ "$n_all" -ge 40 ] || fail "only $n_all indicators listed"
assert_eq "$(as_all '/v1/indicators?format=xml')" 200 "indicators as XML"
assert_contains "$(header Content-Type)" "application/xml"
xmllint --noout --nonet --schema "$SCHEMAS/indicator-list.xsd" body 2>xml.err ||
  fail "indicator list XML invalid: $(cat xml.err)"
assert_eq "$(as_all /v1/indicators -H 'Accept: text/csv')" 200 "indicators as CSV"
assert_eq "$(($(wc -l <body) - 1))" "$n_all" "CSV lines after the header"
assert_eq "$(as_some /v1/indicators)" 200 "indicators of a limited client"
assert_eq "$(json_get body "sorted(i['id'] for i in d['indicators'])")" \
  "['banen_per_1000', 'bijstand_per_10k']" "a limited client's indicator list"
pass "health, and the indicator list in JSON, XML and CSV, valid and per client"

# ---- observations in every format --------------------------------------
FEED=feeds/indicators.json
total=$(json_get "$FEED" "d['count']")
[ "$total" -gt 1000 ] || fail "the store holds only $total observations"

assert_eq "$(as_all '/v1/observations?limit=10000')" 200 "observations"
cp body all.json
$VALIDATE "$SCHEMAS/observation.schema.json" all.json || fail "observations JSON invalid"
assert_eq "$(json_get all.json "d['count']")" "$total" "observations in one page"
assert_eq "$(header X-Next-Cursor)" "" "no next page when everything fits"
assert_eq "$(as_all '/v1/observations?limit=500&format=xml')" 200 "observations as XML"
xmllint --noout --nonet --schema "$SCHEMAS/feed.xsd" body 2>xml.err ||
  fail "observations XML invalid: $(cat xml.err)"
assert_eq "$(grep -c '<observation>' body)" 500 "XML observations on the page"
assert_eq "$(as_all '/v1/observations?limit=50' -H 'Accept: text/csv;q=0.9, application/json;q=0.5')" 200 "observations as CSV"
assert_contains "$(header Content-Type)" "text/csv"
assert_contains "$(head -1 body)" "indicator;area;area_level;period"
assert_eq "$(($(wc -l <body) - 1))" 50 "CSV rows on the page"
pass "observations as JSON and XML validate (observation.schema.json, feed.xsd); CSV by Accept"

# SDMX-JSON: the structure and the keys of every observation hold together.
assert_eq "$(as_all '/v1/observations?format=sdmx&limit=400')" 200 "SDMX"
assert_contains "$(header Content-Type)" "application/vnd.sdmx.data+json"
"$PYTHON" - body <<'PY' || fail "SDMX-JSON message inconsistent"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["meta"]["schema"].endswith("2.0.0/sdmx-json-data-schema.json")
assert set(m["meta"]) >= {"id", "prepared", "sender"}
st = m["data"]["structures"][0]
series_dims = st["dimensions"]["series"]
time = st["dimensions"]["observation"][0]
assert [d["id"] for d in series_dims] == ["INDICATOR", "REF_AREA", "BREAKDOWN", "SOURCE"]
assert time["id"] == "TIME_PERIOD" and time["keyPosition"] == 2
assert sorted(d["keyPosition"] for d in series_dims + [time]) == [0, 1, 2, 3, 4]
assert [x["id"] for x in st["measures"]["observation"]] == ["OBS_VALUE", "CI_LOWER", "CI_UPPER"]
attrs = st["attributes"]["observation"]
assert [a["id"] for a in attrs] == ["OBS_STATUS", "UNIT_MEASURE"]
ds = m["data"]["dataSets"][0]
assert ds["structure"] == 0 and ds["links"]
count = 0
for key, s in ds["series"].items():
    idx = [int(k) for k in key.split(":")]
    assert len(idx) == 4
    for d, i in zip(series_dims, idx):
        assert 0 <= i < len(d["values"]), (key, d["id"])
    for okey, values in s["observations"].items():
        assert 0 <= int(okey) < len(time["values"])
        assert len(values) == 5
        assert values[0] is None or isinstance(values[0], (int, float))
        assert 0 <= values[3] < len(attrs[0]["values"])
        assert 0 <= values[4] < len(attrs[1]["values"])
        status = attrs[0]["values"][values[3]]["id"]
        if status in ("missing", "suppressed"):
            assert values[0] is None, "a missing figure is null, never 0"
        count += 1
assert count == 400, count
PY
pass "SDMX-JSON 2.0: dimensions INDICATOR/REF_AREA/TIME_PERIOD/BREAKDOWN/SOURCE, every key in range"

# ---- filters against the published feed ---------------------------------
# check_filter QUERY PYTHON_PREDICATE(o): the answer holds exactly the
# feed's observations for which the predicate holds.
check_filter() {
  local query=$1 predicate=$2
  assert_eq "$(as_all "/v1/observations?limit=10000&$query")" 200 "filter $query"
  "$PYTHON" - body "$FEED" "$predicate" <<'PY' || fail "filter $query selects the wrong observations"
import json, sys
key = lambda o: (o["indicator"], o["area"], o["period"],
                 json.dumps(o["breakdown"], sort_keys=True), o["source"]["id"])
got = [key(o) for o in json.load(open(sys.argv[1]))["observations"]]
feed = json.load(open(sys.argv[2], encoding="utf-8-sig"))["observations"]
want = sorted(key(o) for o in feed if eval(sys.argv[3], {"o": o}))
assert want, "the filter selects nothing; the test proves nothing"
assert got == want, (len(got), len(want))
PY
}
check_filter "indicator=bijstand_per_10k" "o['indicator']=='bijstand_per_10k'"
check_filter "indicator=bijstand_per_10k,banen_per_1000&area_level=gemeente" \
  "o['indicator'] in ('bijstand_per_10k','banen_per_1000') and o['area'].startswith('GM')"
check_filter "area_level=wijk" "o['area'].startswith('WK')"
check_filter "area_level=buurt&period_from=2020&period_to=2020" \
  "o['area'].startswith('BU') and o['period']=='2020'"
check_filter "area=GM0384&area=NL01" "o['area'] in ('GM0384','NL01')"
check_filter "status=provisional" "o['status']=='provisional'"
check_filter "status=missing,suppressed" "o['status'] in ('missing','suppressed')"
check_filter "breakdown=none&period_from=2021" "o['breakdown']=={} and o['period']>='2021'"
check_filter "breakdown=substance:roken&breakdown=age:18%20tot%2065%20jaar" \
  "o['breakdown'].get('substance')=='roken' and o['breakdown'].get('age')=='18 tot 65 jaar'"
check_filter "source=jeugdhulp" "o['source']['id']=='jeugdhulp'"
pass "filters: indicator, area, area level, period range, status, breakdown, source"

# A limited client without a filter sees only its own indicators.
assert_eq "$(as_some '/v1/observations?limit=10000')" 200 "limited client, no filter"
assert_eq "$(json_get body "sorted(set(o['indicator'] for o in d['observations']))")" \
  "['banen_per_1000', 'bijstand_per_10k']" "a limited client's observations"
pass "a client without a filter gets only the indicators it may read"

# ---- pagination: all pages are the full set, once -----------------------
rm -rf pages && mkdir pages
query="/v1/observations?limit=150&status=final,provisional,missing,suppressed,impossible"
pages=0
while :; do
  assert_eq "$(as_all "$query")" 200 "page $pages"
  pages=$((pages + 1))
  cp body "pages/$(printf '%04d' "$pages").json"
  next=$(header X-Next-Cursor)
  [ -n "$next" ] || break
  link=$(header Link)
  assert_contains "$link" "cursor=$next>; rel=\"next\"" "Link header"
  query=$(printf '%s' "$link" | sed -e 's/^<//' -e 's/>;.*$//')
  [ "$pages" -lt 100 ] || fail "pagination does not end"
done
"$PYTHON" - pages "$FEED" <<'PY' || fail "the pages are not the full set"
import json, os, sys
key = lambda o: (o["indicator"], o["area"], o["period"],
                 json.dumps(o["breakdown"], sort_keys=True), o["source"]["id"])
got = []
for name in sorted(os.listdir(sys.argv[1])):
    page = json.load(open(os.path.join(sys.argv[1], name)))
    assert page["count"] == len(page["observations"]) <= 150
    got += [key(o) for o in page["observations"]]
feed = [key(o) for o in json.load(open(sys.argv[2], encoding="utf-8-sig"))["observations"]]
assert len(got) == len(set(got)), "an observation came twice"
assert sorted(got) == sorted(feed), (len(got), len(feed))
assert got == sorted(got), "pages are not in the store's order"
PY
assert_eq "$pages" "$(((total + 149) / 150))" "number of pages"
pass "pagination: $pages pages of 150 give the $total observations once, in order"

# ---- caching: ETag, Last-Modified, 304 ----------------------------------
assert_eq "$(as_all '/v1/observations?indicator=bijstand_per_10k')" 200 "first"
etag=$(header ETag)
lm=$(header Last-Modified)
cp body first.json
[ -n "$etag" ] && [ -n "$lm" ] || fail "no ETag or Last-Modified: $(cat headers)"
assert_eq "$etag" "\"$(sha256sum first.json | cut -d' ' -f1)\"" "the ETag is the body's SHA-256"
assert_contains "$(header Cache-Control)" "private, max-age=60"
assert_eq "$(as_all '/v1/observations?indicator=bijstand_per_10k' -H "If-None-Match: $etag")" 304 "If-None-Match"
[ ! -s body ] || fail "a 304 has a body"
assert_eq "$(header ETag)" "$etag" "ETag on the 304"
assert_eq "$(as_all '/v1/observations?indicator=bijstand_per_10k' -H "If-None-Match: \"other\", W/$etag")" 304 "weak match in a list"
assert_eq "$(as_all '/v1/observations?indicator=bijstand_per_10k' -H "If-Modified-Since: $lm")" 304 "If-Modified-Since"
assert_eq "$(as_all '/v1/observations?indicator=bijstand_per_10k' -H 'If-None-Match: "stale"')" 200 "a stale ETag"
cmp -s body first.json || fail "the same query gave other bytes"
assert_eq "$(as_all '/v1/observations?indicator=bijstand_per_10k' -I)" 200 "HEAD"
assert_eq "$(header Content-Length)" "$(stat -c %s first.json)" "HEAD Content-Length"
pass "strong ETag = SHA-256 of the body; 304 on If-None-Match and If-Modified-Since; HEAD"

# ---- feeds ----------------------------------------------------------------
assert_eq "$(as_all /v1/feeds/indicators)" 200 "feed"
cmp -s body feeds/indicators.json || fail "the JSON feed differs from the published file"
feed_etag=$(header ETag)
assert_eq "$feed_etag" "\"$(sha_of feeds/indicators.json)\"" "feed ETag"
assert_eq "$(as_all /v1/feeds/indicators -H "If-None-Match: $feed_etag")" 304 "feed 304"
assert_eq "$(as_all '/v1/feeds/indicators?format=xml')" 200 "XML feed"
cmp -s body feeds/indicators.xml || fail "the XML feed differs from the published file"
assert_eq "$(as_all /v1/feeds/indicators -H 'Accept: text/csv')" 200 "CSV feed"
cmp -s body feeds/indicators.csv || fail "the CSV feed differs from the published file"
assert_eq "$(as_all '/v1/feeds/indicators?format=sdmx')" 400 "a format the feed is not published in"
assert_eq "$(as_some /v1/feeds/indicators)" 403 "a feed with indicators a client may not read"
pass "feeds come back byte for byte in their published formats, with 304"

# ---- the monitor report ------------------------------------------------------
assert_eq "$(as_all '/v1/monitor?years=2020,2021')" 200 "monitor"
json_get body "len(d['goals'])" >/dev/null || fail "monitor JSON unreadable"
assert_eq "$(as_all '/v1/monitor?format=html')" 200 "monitor as HTML"
assert_contains "$(header Content-Type)" "text/html"
assert_eq "$(as_some /v1/monitor)" 403 "monitor for a limited client"
pass "the monitor report as JSON and HTML, refused to a limited client"

# ---- the certificate client -------------------------------------------------
assert_eq "$(req --cert certs/client.crt --key certs/client.key "$BASE/v1/indicators")" 200 "client certificate"
pass "a client certificate matched by its OIN is served"

# ---- every request is in an intact log; SIGTERM stops ------------------------
serve_stop
n_requests=$(requests_made)
[ "$n_requests" -gt 40 ] || fail "only $n_requests requests counted"
assert_eq "$(serve_records)" "$n_requests" "serve records for $n_requests requests"
gw audit verify >verify.out 2>&1 || fail "audit verify after serving: $(cat verify.out)"
"$PYTHON" - data/exchange.log <<'PY' || fail "serve records lack fields"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if '"serve"' in l]
recs = [r for r in recs if r.get("event") == "serve"]
for r in recs:
    for f in ("trace_id", "span_id", "http_method", "path", "http_status",
              "rows", "bytes", "duration_ms", "client", "tls", "outcome"):
        assert f in r, (f, r)
    assert len(r["trace_id"]) == 32 and len(r["span_id"]) == 16
ok = [r for r in recs if r["endpoint"] == "/v1/observations" and r["http_status"] == 200]
assert any(r["rows"] > 0 and r["bytes"] > 0 and r["query"] for r in ok)
assert any(r["client"] and r["client"]["name"] == "begroting" for r in recs)
cert = [r for r in recs if r["client"] and r["client"]["auth"] == "certificate"]
assert cert and cert[0]["client"]["matched_by"] == "oin"
assert cert[0]["tls"]["peer_oin"] == "00000099000000000384"
assert len(cert[0]["tls"]["peer_cert_sha256"]) == 64
assert any(r["http_status"] == 304 and r["bytes"] == 0 for r in recs)
assert any(r["cache_hit"] for r in recs)
PY
pass "$n_requests requests, $n_requests serve records with client, query, status, rows, bytes; log intact; clean SIGTERM"
