#!/usr/bin/env bash
# ops/gateway.example.json, with its absolute production paths moved into a
# temporary directory, passes `gateway check` (plugins load, params, secrets,
# files); the systemd units pass `systemd-analyze verify` where available.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

T=$WORK/root
mkdir -p "$T/etc/gateway" "$T/var/lib/gateway/data" "$T/var/lib/gateway/feeds" \
  "$T/var/lib/gateway/drop" "$T/var/log/gateway" "$T/credentials"
cp "$GW_SOURCE_DIR/ops/targets/diemen.json" "$T/etc/gateway/targets.json"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/credentials/audit-signing-key"
chmod 600 "$T/credentials/audit-signing-key"
export SWING_APIKEY=test-apikey-not-real

sed -e "s#/run/credentials/indicator-gateway.service#$T/credentials#g" \
  -e "s#/usr/lib/gateway/plugins#$GW_PLUGIN_DIR#g" \
  -e "s#/usr/share/gateway/schemas#$GW_SOURCE_DIR/schemas#g" \
  -e "s#\"/etc/gateway/#\"$T/etc/gateway/#g" \
  -e "s#/var/lib/gateway#$T/var/lib/gateway#g" \
  -e "s#/var/log/gateway#$T/var/log/gateway#g" \
  "$GW_SOURCE_DIR/ops/gateway.example.json" >"$T/etc/gateway/gateway.json"
# Every absolute path must have been moved; a new one in the example would
# otherwise be checked on this machine's real file system.
left=$(grep -o '"/[a-z][^"]*"' "$T/etc/gateway/gateway.json" | grep -v "^\"$T\|^\"$GW_PLUGIN_DIR\|^\"$GW_SOURCE_DIR" || true)
[ -z "$left" ] || fail "paths not rewritten by the test: $left"

$GW_WRAPPER "$GW_BIN" --config "$T/etc/gateway/gateway.json" check >check.out 2>&1 ||
  fail "gateway check of the example config: $(cat check.out)"
pass "gateway check accepts ops/gateway.example.json"

# The secret must really be read: without it the same file is refused,
# naming the variable (so the check above is not vacuous).
if env -u SWING_APIKEY "$GW_BIN" --config "$T/etc/gateway/gateway.json" check >nokey.out 2>&1; then
  fail "check passed without SWING_APIKEY"
fi
assert_contains "$(cat nokey.out)" "SWING_APIKEY" "check without SWING_APIKEY"
pass "the Swing API key is taken from \${SWING_APIKEY}"

if command -v systemd-analyze >/dev/null 2>&1; then
  # verify wants the ExecStart binary to exist: point the units at ours.
  mkdir -p units
  for u in indicator-gateway.service indicator-gateway-run.service indicator-gateway-run.timer; do
    sed "s#/usr/bin/gateway#$GW_BIN#g" "$GW_SOURCE_DIR/ops/systemd/$u" >"units/$u"
  done
  systemd-analyze verify --man=no units/*.service units/*.timer >verify.out 2>&1 ||
    fail "systemd-analyze verify: $(cat verify.out)"
  if grep -v "^$" verify.out | grep -q .; then
    fail "systemd-analyze verify warnings: $(cat verify.out)"
  fi
  pass "systemd-analyze verify accepts the units"
else
  echo "skip - systemd-analyze is not installed (no systemd here); units not verified"
fi
