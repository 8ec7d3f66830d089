#!/usr/bin/env bash
# Times `roster run SCRIPT` against `lua5.4 SCRIPT` (for Benchmarks/compute.lua, the goal
# is at most 1.10; Benchmarks/patterns.lua measures Roster's own pattern matcher against
# the stock one). Each round runs the two back to back; the ratio is the median of the
# rounds' ratios (robust to a shared machine's drift), the times the best of each.
# Usage: compare-cli.sh [ROSTER_BINARY] [ROUNDS] [SCRIPT]
set -euo pipefail
cd "$(dirname "$0")/.."
roster=${1:-.build/release/roster}
rounds=${2:-7}
script=${3:-Benchmarks/compute.lua}
name=$(basename "$script" .lua)
command -v lua5.4 >/dev/null || { echo "lua5.4 is not installed (make deps)"; exit 2; }
# A journal of its own, so that the user's gets none of these runs.
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
export XDG_STATE_HOME="$state"

elapsed() { # wall-clock nanoseconds of one command
  local start end
  start=$(date +%s%N); "$@" >/dev/null; end=$(date +%s%N)
  echo $((end - start))
}
for _ in $(seq "$rounds"); do
  echo "$(elapsed lua5.4 "$script") $(elapsed "$roster" run "$script")"
done | awk -v name="$name" '
  { lua[NR] = $1; roster[NR] = $2; ratio[NR] = $2 / $1 }
  END {
    # insertion sort of the ratios (mawk has no asort)
    for (i = 2; i <= NR; i++) { v = ratio[i]; j = i - 1; while (j > 0 && ratio[j] > v) { ratio[j + 1] = ratio[j]; j-- } ratio[j + 1] = v }
    best_lua = lua[1]; best_roster = roster[1]
    for (i = 1; i <= NR; i++) { if (lua[i] < best_lua) best_lua = lua[i]; if (roster[i] < best_roster) best_roster = roster[i] }
    printf "{\"script\": \"%s\", \"roster_run_s\": %.3f, \"lua54_s\": %.3f, \"roster_run_vs_lua54_ratio\": %.3f}\n",
      name, best_roster / 1e9, best_lua / 1e9, ratio[int((NR + 1) / 2)]
  }'
