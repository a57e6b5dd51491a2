#!/usr/bin/env bash
# The command line: help texts, version, usage errors, check's messages
# with file, line and key, the plugin and indicator listings.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
it_make_ca

out=$("$GW_BIN" --help) || fail "--help failed"
for c in run check plugins indicators export status "audit verify"; do
  assert_contains "$out" "$c" "--help"
done
for c in run check plugins indicators export status audit; do
  "$GW_BIN" $c --help >/dev/null || fail "$c --help failed"
done
assert_contains "$("$GW_BIN" --version)" "plugin ABI" "--version"
pass "help and version"

rc=0; "$GW_BIN" frobnicate 2>err.txt || rc=$?
assert_eq "$rc" 2 "exit status of an unknown command"
assert_contains "$(cat err.txt)" "unknown command 'frobnicate'"
rc=0; env -u GATEWAY_CONFIG "$GW_BIN" daemon 2>err.txt || rc=$?
assert_eq "$rc" 2 "daemon without a config"
assert_contains "$(cat err.txt)" "daemon needs a configuration file"
pass "usage errors exit 2 with a reason"

# Split so that no committed file carries a PEM private-key header.
pem_header="-----BEGIN PRIV""ATE KEY-----"
cat >bad.json <<JSON
{
  "data_dir": "data",
  "plugin_dir": "$GW_PLUGIN_DIR",
  "tls": { "ca_file": "$WORK/certs/ca.crt", "client_key": "$pem_header" },
  "sources": [
    { "id": "a", "plugin": "cbs_odata", "url": "http://example.org/x",
      "tls_profil": "public" }
  ]
}
JSON
rc=0; "$GW_BIN" --config bad.json check 2>check.err || rc=$?
assert_eq "$rc" 2 "exit status of check on a bad config"
err=$(cat check.err)
assert_contains "$err" "bad.json:4:" "inline secret line"
assert_contains "$err" "client_key" "inline secret key"
assert_contains "$err" "bad.json:7:" "unknown key line"
assert_contains "$err" "tls_profil" "unknown key name"
assert_contains "$err" "tls_profile" "did-you-mean suggestion"
assert_contains "$err" "https" "non-https url"
pass "check names file, line and key"

it_write_config '[{"id":"x","plugin":"cbs_odata","url":"https://127.0.0.1:1/ODataFeed/odata/90001NED","params":{"toppics":["A"]}}]'
rc=0; gw check 2>check2.err || rc=$?
assert_eq "$rc" 2 "exit status of check with a bad plugin param"
assert_contains "$(cat check2.err)" "toppics" "unknown plugin param"
assert_contains "$(cat check2.err)" "topics" "did-you-mean for plugin params"
pass "plugin params are checked against the plugin's key table"

out=$(gw plugins) || fail "plugins failed"
assert_contains "$out" "cbs_odata"
gw --json plugins | "$PYTHON" -c "import json,sys; d=json.load(sys.stdin); assert any(p.get('name')=='cbs_odata' and p['abi']==1 for p in d)" ||
  fail "plugins --json lacks cbs_odata with ABI 1"
pass "plugins lists cbs_odata with version and ABI"

out=$(gw indicators) || fail "indicators failed"
assert_contains "$out" "bijstand_per_10k"
n=$(gw --json indicators | "$PYTHON" -c "import json,sys; print(len(json.load(sys.stdin)))")
[ "$n" -ge 40 ] || fail "catalogue lists only $n indicators"
pass "indicators lists the catalogue ($n)"

printf '{"municipality":"GM0384","targets":[{"indicator":"bestaat_niet","year":"2022","value":1}]}\n' >bad-targets.json
"$PYTHON" - "$WORK/gateway.json" "$WORK/bad-targets.json" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["targets"] = sys.argv[2]
cfg["sources"] = []
json.dump(cfg, open(sys.argv[1], "w"), indent=2)
PY
rc=0; gw check 2>check3.err || rc=$?
assert_eq "$rc" 2 "exit status of check with a bad targets file"
assert_contains "$(cat check3.err)" "bad-targets.json:1:" "targets file and line"
assert_contains "$(cat check3.err)" "bestaat_niet" "unknown indicator in targets"
pass "check validates the targets file"

# A signing key that is not 64 hex digits fails the check (not the first
# run), and the message never repeats the key.
"$PYTHON" - "$WORK/gateway.json" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg.pop("targets", None)
cfg["audit"]["signing_key"] = "${GW_TEST_SIGNING_KEY}"
json.dump(cfg, open(sys.argv[1], "w"), indent=2)
PY
rc=0; GW_TEST_SIGNING_KEY=not-a-hex-seed-xyz gw check 2>check4.err || rc=$?
assert_eq "$rc" 2 "exit status of check with a malformed signing key"
assert_contains "$(cat check4.err)" "audit.signing_key" "the key named"
if grep -q "not-a-hex-seed-xyz" check4.err; then fail "the check repeated the signing key: $(cat check4.err)"; fi
GW_TEST_SIGNING_KEY=$(printf '%064d' 7) gw check >/dev/null 2>check5.err ||
  fail "check refused a well-formed signing key: $(cat check5.err)"
pass "check validates audit.signing_key without echoing it"
