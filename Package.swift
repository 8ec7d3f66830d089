// swift-tools-version:6.0
// Roster: automate user administration across SaaS vendors with sandboxed Lua scripts.
import PackageDescription

let package = Package(
    name: "Roster",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "roster", targets: ["roster"]),
        .library(name: "LuaHost", targets: ["LuaHost"]),
        .library(name: "RosterCLI", targets: ["RosterCLI"]),
        .library(name: "Emulator", targets: ["Emulator"]),
        .library(name: "Vendors", targets: ["Vendors"]),
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "Journal", targets: ["Journal"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Debian's Lua 5.4 (liblua5.4-dev): its headers, linked statically by CRosterLua.
        .systemLibrary(name: "CLua", providers: [.apt(["liblua5.4-dev"])]),
        // The few things that must be C: the call trampoline, the allocator, the limit hook
        // and watchdog, protected helpers, and the sandbox's guarded library wrappers. Lua
        // is linked from Debian's static library: every API call is then a direct call,
        // not one through the dynamic linker's table (a binding call is two of them).
        // Leaf functions without a frame pointer: each binding's C entry point (trampoline.c)
        // is then a load and a jump.
        .target(
            name: "CRosterLua", dependencies: ["CLua"],
            cSettings: [.unsafeFlags(["-momit-leaf-frame-pointer"])],
            linkerSettings: [.linkedLibrary(":liblua5.4.a"), .linkedLibrary("m")]),
        // Swift over the Lua C API: values, declared functions, sandbox, limits, scheduler.
        // The only Swift module that imports CLua/CRosterLua.
        .target(name: "LuaHost", dependencies: ["CLua", "CRosterLua"]),
        // Child processes on posix_spawn, reaped on a thread of their own (a worker's runs,
        // the tests' children). Knows nothing else of Roster.
        .target(name: "ChildProcesses"),
        // One async client per vendor: models, auth, routes, errors, retries. Knows no Lua.
        .target(
            name: "Vendors",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The five vendor APIs, served over Hummingbird (in-process or standalone), with
        // faults on demand. Its own wire types: it does not import Vendors.
        .target(
            name: "Emulator",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Every run and every change it sends, in SQLite (GRDB): written before a change is
        // sent, read by resume, `roster runs` and `roster audit`. Knows no Lua and no vendor.
        .target(
            name: "Journal",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // TLS to a PostgreSQL journal (sslmode in its address).
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The vendor modules in Lua: one declaration per operation, with docs and effect.
        .target(name: "Bindings", dependencies: ["LuaHost", "Vendors", .product(name: "Crypto", package: "swift-crypto")], plugins: ["EmbedLua"]),
        // Configuration, tenants and secrets; script runs with their vendor session and plan.
        .target(
            name: "Engine",
            dependencies: [
                "Vendors",
                "Emulator",
                "LuaHost",
                "Bindings",
                "Journal",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            plugins: ["EmbedLua"]
        ),
        // The `roster` commands as a library tests can call.
        .target(
            name: "RosterCLI",
            dependencies: [
                "ChildProcesses",
                "LuaHost",
                "Bindings",
                "Emulator",
                "Engine",
                "Journal",
                "Vendors",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // A worker's metrics (roster worker --metrics-port), served over Hummingbird.
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            plugins: ["EmbedLua"]
        ),
        .executableTarget(name: "roster", dependencies: ["RosterCLI"]),
        // Lua the host runs (`Type.member.lua` files) compiled into `static let member`
        // strings at build time: written as Lua, shipped inside the binary.
        .executableTarget(name: "EmbedLuaTool", path: "Tools/EmbedLuaTool"),
        .plugin(name: "EmbedLua", capability: .buildTool(), dependencies: ["EmbedLuaTool"]),
        .target(
            name: "TestSupport",
            dependencies: ["LuaHost", .product(name: "AsyncHTTPClient", package: "async-http-client")],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "ChildProcessesTests", dependencies: ["ChildProcesses", "TestSupport"]),
        .testTarget(name: "LuaHostTests", dependencies: ["ChildProcesses", "LuaHost", "TestSupport"]),
        .testTarget(name: "RosterCLITests", dependencies: ["ChildProcesses", "RosterCLI", "TestSupport", "Emulator", "Engine", "Journal",
                                                              .product(name: "GRDB", package: "GRDB.swift"), .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .testTarget(
            name: "VendorsTests",
            dependencies: [
                "Vendors", "Emulator", "Engine", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "BindingsTests",
            dependencies: [
                "Bindings", "Engine", "Emulator", "Journal", "LuaHost", "Vendors",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Vendors", "Emulator", "Bindings", "Journal", "TestSupport"]),
        .testTarget(name: "JournalStoreTests", dependencies: ["Journal", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        // A sixth vendor declared only here, through every layer: what adding a vendor takes.
        .testTarget(
            name: "VendorUnitTests",
            dependencies: [
                "Bindings", "Emulator", "Engine", "LuaHost", "Vendors", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "EmulatorTests",
            dependencies: [
                "Emulator", "Engine", "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
    ]
)
