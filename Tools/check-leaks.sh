#!/usr/bin/env bash
# Builds the tests with AddressSanitizer and runs them with LeakSanitizer on: any leak
# (a Swift object or a Lua state left behind on some bridge path) fails the run.
# valgrind cannot read the Swift toolchain's debug info, so LeakSanitizer it is.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests --sanitize=address --scratch-path .build-asan
ASAN_OPTIONS=detect_leaks=1 .build-asan/debug/RosterPackageTests.xctest --testing-library swift-testing
echo "leaks: none reported by LeakSanitizer"
