#!/usr/bin/env bash
# Times `roster run Benchmarks/compute.lua` against `lua5.4 Benchmarks/compute.lua`,
# alternating the two, and prints the best of each and their ratio (goal: <= 1.10).
# Usage: compare-cli.sh [ROSTER_BINARY] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
roster=${1:-.build/release/roster}
rounds=${2:-5}
script=Benchmarks/compute.lua
command -v lua5.4 >/dev/null || { echo "lua5.4 is not installed (make deps)"; exit 2; }

best() { # best wall-clock nanoseconds of one command
  local start end
  start=$(date +%s%N); "$@" >/dev/null; end=$(date +%s%N)
  echo $((end - start))
}
lua_best=; roster_best=
for _ in $(seq "$rounds"); do
  t=$(best lua5.4 "$script"); [ -z "$lua_best" ] || [ "$t" -lt "$lua_best" ] && lua_best=$t
  t=$(best "$roster" run "$script"); [ -z "$roster_best" ] || [ "$t" -lt "$roster_best" ] && roster_best=$t
done
awk -v r="$roster_best" -v l="$lua_best" 'BEGIN {
  printf "{\"roster_run_compute_s\": %.3f, \"lua54_compute_s\": %.3f, \"roster_run_vs_lua54_ratio\": %.3f}\n", r / 1e9, l / 1e9, r / l }'
