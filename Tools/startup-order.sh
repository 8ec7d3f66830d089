#!/usr/bin/env bash
# Writes Tools/startup.order: the functions `roster run hello.lua` executes, which `make
# release` hands to the linker (lld's --symbol-ordering-file) so that they sit together in
# the binary. Start-up then touches far fewer pages of code: less time, less memory.
# Regenerate it after a toolchain or package upgrade (stale names are only ignored).
# Needs valgrind (callgrind lists every function a run executes).
# Usage: Tools/startup-order.sh [ROSTER_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$(realpath "${1:-.build/release/roster}")
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 2; }

folder=$(mktemp -d)
trap 'rm -rf "$folder"' EXIT
# Valgrind's reader does not take the binary's DWARF 5: a copy without debug information.
strip -g -o "$folder/roster" "$binary"
echo 'print("hello")' > "$folder/hello.lua"
export XDG_STATE_HOME="$folder/state"
(cd "$folder" && ./roster run hello.lua >/dev/null 2>&1) # the journal's tables, made once
(cd "$folder" && valgrind --tool=callgrind --demangle=no --callgrind-out-file="$folder/profile" ./roster run hello.lua >/dev/null 2>&1)

# The profile names objects (ob=, cob=) and functions (fn=, cfn=) once, then by number;
# keep the functions of the binary itself, in the order the profile lists them, once each.
awk -v binary="$folder/roster" '
  /^c?ob=\(/ {
    rest = $0; sub(/^c?ob=\(/, "", rest); id = rest; sub(/\).*$/, "", id)
    if (sub(/^[0-9]+\) /, "", rest)) objects[id] = rest
    if ($0 ~ /^ob=/) current = objects[id]
    next
  }
  /^c?fn=\(/ {
    rest = $0; sub(/^c?fn=\(/, "", rest); id = rest; sub(/\).*$/, "", id)
    if (sub(/^[0-9]+\) /, "", rest)) names[id] = rest
    if ($0 ~ /^fn=/ && current == binary) {
      name = names[id]; sub(/\047[0-9]+$/, "", name)
      if (name != "" && name !~ /^0x/ && !(name in seen)) { seen[name] = 1; print name }
    }
  }' "$folder/profile" > "$folder/order"
# A name several objects define locally (outlined helpers such as objectdestroyTm) would
# draw every section that defines it, most of them never run: those are left out.
nm --defined-only "$binary" | awk '{ print $3 }' | sort | uniq -d > "$folder/shared-names"
grep -vxFf "$folder/shared-names" "$folder/order" > Tools/startup.order
echo "Tools/startup.order: $(wc -l < Tools/startup.order) functions"
