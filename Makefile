# Roster: the two commands a new user runs are `make run` and `make test`.
# Both install what is missing first (Debian: apt-get, with sudo when not root).

SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: all run test deps build release bench load lint leaks clean packages

## `make`: build Roster and the example plugins' signed packages.
all: build

## Install the system packages Roster needs, only when something is missing.
deps:
	@missing=""; \
	ls /usr/lib/*/liblua5.4.a /usr/include/lua5.4/lua.h >/dev/null 2>&1 || missing="$$missing liblua5.4-dev"; \
	command -v lua5.4 >/dev/null 2>&1 || missing="$$missing lua5.4"; \
	ls /usr/lib/*/libedit.so.2 >/dev/null 2>&1 || missing="$$missing libedit2"; \
	pkg-config --exists sqlite3 2>/dev/null || missing="$$missing libsqlite3-dev pkg-config"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v openssl >/dev/null 2>&1 || missing="$$missing openssl"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  $(SUDO) apt-get update && $(SUDO) apt-get install -y $$missing; \
	fi

build: deps
	$(SWIFT) build
	@$(MAKE) --no-print-directory packages

## The example plugins as signed packages (build/plugins/NAME-VERSION.rosterplugin), signed
## with a test key made once in build/keys (a customer trusts build/keys/roster-examples.pub).
packages:
	@bin=$$($(SWIFT) build --show-bin-path)/roster; mkdir -p build/plugins; \
	[ -f build/keys/roster-examples.key ] || $$bin plugin keygen --name roster-examples --out build/keys >/dev/null; \
	for plugin in plugins/*/; do \
	  name=$$(basename $$plugin); version=$$(sed -n 's/^version = "\(.*\)"/\1/p' $$plugin/plugin.toml); \
	  $$bin plugin pack $$plugin --key build/keys/roster-examples.key -o build/plugins/$$name-$$version.rosterplugin; \
	done

## Build, then run the main job on the built-in emulator.
run: build
	$(SWIFT) run roster run scripts/onboard-guest.lua

## Build and run every test: the Lua-boundary lint, unit and CLI tests.
test: deps lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## Swift code must not raise across its own frames; only LuaHost may touch the Lua C API.
lint:
	@bash Tools/check-lua-boundary.sh

## The release binary links Swift's runtime and Foundation statically: a third less start-up
## (no symbol lookups across a dozen shared libraries), and it runs where no Swift is installed.
## Its 150,000 relocations are packed (RELR, lld from the Swift toolchain): fewer pages read
## and touched at start. Its own symbols are not exported (the static runtime asks for that;
## nothing looks them up, and the runtime's one dladdr at start scanned all 56,000): 3.5 MB
## less peak memory. The functions start-up runs are placed together (Tools/startup.order, made
## by Tools/startup-order.sh): fewer pages of code touched, about a third less peak memory.
## Every function gets a section of its own (-function-sections), so that the order reaches
## the code built here too, not only the C objects (the prebuilt Swift and Foundation
## archives stay as they are): about 0.4 MB less. The metadata of a concrete generic type
## (`OptionGroup<VendorOptions>`, `VendorAPIClient<EncoreConfiguration>`) is reached through its
## accessor, not instantiated from its mangled name, which made the runtime check each generic
## requirement by scanning the binary's 11,600 conformance records: a quarter of start-up's
## instructions (62M -> 46M), at about 0.7 MB more code. The C++ runtime (TOML is parsed in
## C++) is linked statically too: libstdc++ and libgcc_s made 1,750 of the 3,600 symbol
## bindings the loader did at each start, about a tenth of a start. SwiftPM asks for
## `-lstdc++`, so a folder holding only the static archive (the one the toolchain's clang picks)
## is searched before the compiler's own; without that archive the link stays dynamic.
## Changing these flags rebuilds everything.
STATIC_CXX := $(CURDIR)/.build/static-c++
release: deps
	@# SwiftPM does not track the ordering file: a newer one must relink the binary.
	@[ ! Tools/startup.order -nt .build/release/roster ] || rm -f .build/release/roster
	@mkdir -p $(STATIC_CXX); \
	archive=$$("$$(dirname "$$(readlink -f "$$(command -v $(SWIFT))")")/clang" -print-file-name=libstdc++.a); \
	if [ -f "$$archive" ]; then ln -sfn "$$archive" $(STATIC_CXX)/libstdc++.a; else rm -f $(STATIC_CXX)/libstdc++.a; fi
	$(SWIFT) build -c release --static-swift-stdlib -Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs -Xlinker --no-export-dynamic \
		-Xswiftc -L$(STATIC_CXX) -Xswiftc -Xclang-linker -Xswiftc -static-libgcc \
		-Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections -Xcxx -ffunction-sections \
		-Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors \
		-Xlinker --symbol-ordering-file=$(CURDIR)/Tools/startup.order -Xlinker --no-warn-symbol-ordering

## Performance goals as ratios against baselines in the same run.
bench: release
	@[ -x /usr/bin/time ] && command -v wrk >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y time wrk; }
	@python3 -c 'import aiohttp' 2>/dev/null || python3 -m pip install --quiet aiohttp || echo "aiohttp not installed: roster bench --vendors leaves its peer out"
	.build/release/roster bench
	.build/release/roster bench --vendors
	@bash Benchmarks/compare-cli.sh .build/release/roster
	@bash Benchmarks/compare-cli.sh .build/release/roster 7 Benchmarks/patterns.lua
	@bash Benchmarks/start.sh .build/release/roster

## Requests per second the emulator serves on loopback (needs wrk: apt-get install wrk).
load: release
	@command -v wrk >/dev/null || $(SUDO) apt-get install -y wrk
	bash Benchmarks/emulator-load.sh .build/release/roster

## Every test under AddressSanitizer with LeakSanitizer (a separate build, a few minutes).
leaks: deps
	bash Tools/check-leaks.sh

clean:
	rm -rf .build build
