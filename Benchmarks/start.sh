#!/usr/bin/env bash
# Start-up: `roster run hello.lua` against `lua5.4 hello.lua` (goal: at most 8 times the
# time, and at most 20 MB of peak memory). Each round runs the two back to back; the
# ratio is the median of the rounds' ratios, the times the best of each, the memory the
# largest peak RSS seen (GNU time). Runs in a temporary folder with no roster.toml (the
# built-in emulator's case) and a temporary journal, so the user's journal gets no runs.
# Usage: start.sh [ROSTER_BINARY] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
roster=$(realpath "${1:-.build/release/roster}")
rounds=${2:-21}
command -v lua5.4 >/dev/null || { echo "lua5.4 is not installed (make deps)"; exit 2; }
[ -x /usr/bin/time ] || { echo "GNU time is not installed (apt-get install time)"; exit 2; }

folder=$(mktemp -d)
trap 'rm -rf "$folder"' EXIT
cd "$folder"
echo 'print("hello")' > hello.lua
export XDG_STATE_HOME="$folder/state"

run() { # wall-clock nanoseconds (bash's own clock: no process started to read it), then
  # peak RSS in KB from a second run under GNU time (whose own start is not timed)
  local start end
  start=${EPOCHREALTIME/[.,]/}
  "$@" >/dev/null 2>&1
  end=${EPOCHREALTIME/[.,]/}
  /usr/bin/time -f "%M" -o rss.txt "$@" >/dev/null 2>&1
  echo "$(((end - start) * 1000)) $(cat rss.txt)"
}
# Peak memory counts the binary's pages the kernel maps around each page fault when they
# are cached, so it depends on what of the file is cached: a binary just linked or copied is
# cached whole, one long installed only in part (up to 3 MB apart). Drop the file's cached
# pages first, so that the runs below find what a start reads, whatever came before.
sync "$roster" && dd if="$roster" iflag=nocache count=0 status=none
"$roster" run hello.lua >/dev/null 2>&1 # the journal's first open creates its tables
for _ in $(seq "$rounds"); do
  echo "$(run lua5.4 hello.lua) $(run "$roster" run hello.lua)"
done | awk '
  { lua[NR] = $1; roster[NR] = $3; ratio[NR] = $3 / $1
    if ($2 > lua_rss) lua_rss = $2; if ($4 > roster_rss) roster_rss = $4 }
  END {
    for (i = 2; i <= NR; i++) { v = ratio[i]; j = i - 1; while (j > 0 && ratio[j] > v) { ratio[j + 1] = ratio[j]; j-- } ratio[j + 1] = v }
    best_lua = lua[1]; best_roster = roster[1]
    for (i = 1; i <= NR; i++) { if (lua[i] < best_lua) best_lua = lua[i]; if (roster[i] < best_roster) best_roster = roster[i] }
    printf "{\"script\": \"hello\", \"roster_run_ms\": %.2f, \"lua54_ms\": %.2f, \"roster_run_vs_lua54_ratio\": %.2f, \"roster_peak_rss_mb\": %.1f, \"lua54_peak_rss_mb\": %.1f}\n",
      best_roster / 1e6, best_lua / 1e6, ratio[int((NR + 1) / 2)], roster_rss / 1024, lua_rss / 1024
  }'
