#!/usr/bin/env bash
# Requests per second the emulator serves on loopback (wrk, from Debian), for an
# authenticated Encore `GET /users/v1/users/{id}` and an HMAC-verified Activeconnect call
# (signed once; the emulator recomputes the HMAC for every request). Goal: 10,000 req/s.
# Usage: emulator-load.sh [ROSTER_BINARY] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
roster=${1:-.build/release/roster}
seconds=${2:-5}
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk"; exit 2; }

log=$(mktemp)
"$roster" emulator --port 0 2>"$log" &
emulator=$!
trap 'kill $emulator 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.1; done
port=$(sed -nE 's/.*listening on http:\/\/127\.0\.0\.1:([0-9]+).*/\1/p' "$log")
[ -n "$port" ] || { echo "the emulator did not start: $(cat "$log")"; exit 1; }

rate() { # requests/s from wrk's output; fails when any response was not 2xx
  local out
  out=$(wrk -t2 -c64 -d"${seconds}s" "$@")
  if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx responses: $out" >&2; exit 1; fi
  sed -nE 's/^Requests\/sec:[[:space:]]+([0-9.]+).*/\1/p' <<<"$out"
}

encore=$(rate -H "Ocp-Apim-Subscription-Key: demo-encore-subscription-key" \
  "http://127.0.0.1:$port/encore/users/v1/users/1001?use-external-id=false")

path="/activeconnect/management/has_registered_mobile_device/DEMOAPP/ada%40example.com"
{ read -r authentication; read -r timestamp; } < <(python3 - "$port" "$path" <<'PY'
import base64, hashlib, hmac, sys, time
port, path = sys.argv[1], sys.argv[2]
nonce, secret, stamp = "9223372036854775807", "demo-activeconnect-secret-0123456789", str(int(time.time()))
token = hashlib.sha256((nonce + secret).encode()).digest()[:16]
mac = hmac.new(token, (nonce + "127.0.0.1:" + port + path + stamp).encode(), hashlib.sha256).digest()[:16]
print("hmac DEMOAPP:" + nonce + ":" + base64.b64encode(mac).decode())
print(stamp)
PY
)
activeconnect=$(rate -H "Authentication: $authentication" -H "X-Sonikpass-Authentication-Timestamp: $timestamp" \
  -H "X-Sonikpass-Authentication-Version: 1" "http://127.0.0.1:$port$path")

printf '{"encore_get_user_rps": %s, "activeconnect_hmac_rps": %s}\n' "$encore" "$activeconnect"
