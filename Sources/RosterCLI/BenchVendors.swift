/// BenchVendors.swift: `roster bench --vendors`, what a vendor call costs the client:
/// Encore `get_user` against an emulator in a process of its own (so this process's CPU is
/// the client's alone), through the HTTP client with no Roster code around it, through the
/// vendor client and from Lua, where the time of a call goes, and the same emulator loaded
/// by wrk and by Python's aiohttp, when they are installed.
import ArgumentParser
@_spi(Benchmarks) import Bindings
import Engine
import Foundation
import LuaHost
@_spi(Benchmarks) import Vendors

extension BenchCommand {
    /// The figures of one `--vendors` run.
    struct VendorFigures: Encodable {
        var clientSequentialCallsPerSecond: Double
        var clientCallsPerSecond: Double
        var clientCPUSecondsPer1000Calls: Double
        var luaCallsPerSecond: Double
        var luaCPUSecondsPer1000Calls: Double
        var floorCallsPerSecond: Double
        var floorCPUSecondsPer1000Calls: Double
        var luaVsFloorRatio: Double
        var profileMicroseconds: [String: Double]
        var wrkCallsPerSecond: Double?
        var aiohttpCallsPerSecond: Double?
        var aiohttpCPUSecondsPer1000Calls: Double?
        var luaVsAiohttpRatio: Double?
        var luaVsWrkRatio: Double?
        var floorVsWrkRatio: Double?

        enum CodingKeys: String, CodingKey {
            case clientSequentialCallsPerSecond = "client_sequential_calls_per_s", clientCallsPerSecond = "client_64_in_flight_calls_per_s"
            case clientCPUSecondsPer1000Calls = "client_cpu_s_per_1000_calls"
            case luaCallsPerSecond = "lua_parallel_map_64_calls_per_s", luaCPUSecondsPer1000Calls = "lua_cpu_s_per_1000_calls"
            case profileMicroseconds = "profile_us_per_call", wrkCallsPerSecond = "wrk_64_connections_calls_per_s"
            case aiohttpCallsPerSecond = "aiohttp_64_in_flight_calls_per_s", aiohttpCPUSecondsPer1000Calls = "aiohttp_cpu_s_per_1000_calls"
            case luaVsAiohttpRatio = "lua_vs_aiohttp_ratio", luaVsWrkRatio = "lua_vs_wrk_ratio"
            case floorCallsPerSecond = "http_client_floor_64_in_flight_calls_per_s"
            case floorCPUSecondsPer1000Calls = "http_client_floor_cpu_s_per_1000_calls"
            case luaVsFloorRatio = "lua_vs_http_client_floor_ratio", floorVsWrkRatio = "http_client_floor_vs_wrk_ratio"
        }
    }

    static let inFlight = 64

    func benchmarkVendors() async throws {
        let emulator = try EmulatorChild.start()
        defer { emulator.stop() }
        let registry = VendorRegistry.standard
        let tenant = try registry.emulatorTenant(origin: emulator.origin)
        guard let getUser = registry.unit(named: "encore")?.module.operations.first(where: { $0.name == "get_user" }),
              let encore = tenant[EncoreConfiguration.self] else {
            throw ValidationError("the registry has no encore.get_user")
        }
        let session = VendorSession(tenant: tenant)
        let call = try getUser.work(LuaTable(["id": 1001]), in: session)
        _ = try await call() // warm the connection pool

        // The client alone: the declaration's work, no Lua.
        let sequentialCalls = 2_000
        let sequential = try await Self.timed { for _ in 0..<sequentialCalls { _ = try await call() } }
        let calls = 20_000
        let concurrent = try await Self.timed {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<Self.inFlight {
                    group.addTask { for _ in stride(from: worker, to: calls, by: Self.inFlight) { _ = try await call() } }
                }
                try await group.waitForAll()
            }
        }

        // The HTTP client with nothing of Roster's: what a call cannot cost less than here.
        let key = encore.subscriptionKey.reveal()
        let url = emulator.origin + "/encore/users/v1/users/1001?use-external-id=false"
        let floor = try await Self.timed {
            try await HTTPClientFloor.run(url: url, headers: [("Ocp-Apim-Subscription-Key", key)], calls: calls, inFlight: Self.inFlight)
        }

        // From Lua: what a script pays, answers written as the script sees them.
        let runner = VendorScriptRunner(tenant: tenant, limits: LuaLimits(memory: 256 << 20, timeout: .seconds(600)))
        func script(_ count: Int, concurrency: Int) -> LuaScript {
            LuaScript(name: "bench.lua", source: """
                local ids = {}
                for i = 1, \(count) do ids[i] = 1001 end
                local users = parallel.map(ids, function(id) return encore.get_user(id) end, {concurrency = \(concurrency)})
                assert(#users == \(count) and users[\(count)].user_name == "ada")
                """)
        }
        func runLua(_ count: Int, concurrency: Int) async throws {
            let result = await runner.run(script(count, concurrency: concurrency), dryRun: false, output: CollectedOutput())
            guard result.outcome == .success else { throw ValidationError("the benchmark script failed: \(result.outcome.summary)") }
        }
        try await runLua(200, concurrency: Self.inFlight) // warm
        let lua = try await Self.timed { try await runLua(calls, concurrency: Self.inFlight) }

        // Where a call's time goes: one call at a time, so that phases do not overlap.
        VendorCallProfile.shared.start()
        try await runLua(sequentialCalls, concurrency: 1)
        VendorCallProfile.shared.stop()
        let profile = VendorCallProfile.shared.microsecondsPerCall()

        let wrk = Peers.wrk(url: url, header: "Ocp-Apim-Subscription-Key: \(key)", connections: Self.inFlight)
        let aiohttp = Peers.aiohttp(url: url, header: ("Ocp-Apim-Subscription-Key", key), calls: calls, inFlight: Self.inFlight)

        let figures = VendorFigures(
            clientSequentialCallsPerSecond: Double(sequentialCalls) / sequential.seconds,
            clientCallsPerSecond: Double(calls) / concurrent.seconds,
            clientCPUSecondsPer1000Calls: concurrent.cpu / Double(calls) * 1000,
            luaCallsPerSecond: Double(calls) / lua.seconds,
            luaCPUSecondsPer1000Calls: lua.cpu / Double(calls) * 1000,
            floorCallsPerSecond: Double(calls) / floor.seconds,
            floorCPUSecondsPer1000Calls: floor.cpu / Double(calls) * 1000,
            luaVsFloorRatio: floor.seconds / lua.seconds,
            profileMicroseconds: Dictionary(uniqueKeysWithValues: profile.map { ($0.phase.name, $0.microseconds) }),
            wrkCallsPerSecond: wrk,
            aiohttpCallsPerSecond: aiohttp?.callsPerSecond,
            aiohttpCPUSecondsPer1000Calls: aiohttp.map { $0.cpu / Double(calls) * 1000 },
            luaVsAiohttpRatio: aiohttp.map { Double(calls) / lua.seconds / $0.callsPerSecond },
            luaVsWrkRatio: wrk.map { Double(calls) / lua.seconds / $0 },
            floorVsWrkRatio: wrk.map { Double(calls) / floor.seconds / $0 })
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(figures), as: UTF8.self))
            return
        }
        print(String(format: "encore get_user against an emulator in its own process, %d in flight:", Self.inFlight))
        print(String(format: "  client alone:   %6.0f calls/s (%.0f one at a time), %.3f s of CPU per 1,000 calls (goal <= 0.10)",
                     figures.clientCallsPerSecond, figures.clientSequentialCallsPerSecond, figures.clientCPUSecondsPer1000Calls))
        print(String(format: "  from Lua:       %6.0f calls/s through parallel.map, %.3f s of CPU per 1,000 calls",
                     figures.luaCallsPerSecond, figures.luaCPUSecondsPer1000Calls))
        print(String(format: "  HTTP client, no Roster code: %6.0f calls/s, %.3f s of CPU per 1,000 calls; Lua/that %.2fx",
                     figures.floorCallsPerSecond, figures.floorCPUSecondsPer1000Calls, figures.luaVsFloorRatio))
        if let aiohttp {
            print(String(format: "  Python aiohttp: %6.0f calls/s, %.3f s of CPU per 1,000 calls; Lua/aiohttp %.2fx (goal >= 2.5)",
                         aiohttp.callsPerSecond, aiohttp.cpu / Double(calls) * 1000, figures.luaVsAiohttpRatio ?? 0))
        } else {
            print("  Python aiohttp: not installed (make bench installs it: pip install aiohttp)")
        }
        if let wrk {
            print(String(format: "  wrk:            %6.0f calls/s; Lua/wrk %.2fx (goal >= 0.6); HTTP client alone/wrk %.2fx",
                         wrk, figures.luaVsWrkRatio ?? 0, figures.floorVsWrkRatio ?? 0))
        } else {
            print("  wrk:            not installed (apt-get install wrk)")
        }
        let total = profile.reduce(0) { $0 + $1.microseconds }
        print(String(format: "where one call's time goes (one at a time, %.0f us in all):", total))
        for (phase, microseconds) in profile {
            print("  " + phase.name.padding(toLength: 14, withPad: " ", startingAt: 0)
                + String(format: " %7.1f us  %4.1f%%", microseconds, total > 0 ? microseconds / total * 100 : 0))
        }
    }

    /// Wall seconds and this process's CPU seconds of `body`.
    static func timed(_ body: () async throws -> Void) async throws -> (seconds: Double, cpu: Double) {
        let start = ContinuousClock.now, cpu = processCPUSeconds()
        try await body()
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        return (Double(seconds) + Double(attoseconds) / 1e18, processCPUSeconds() - cpu)
    }
}

/// `roster emulator --port 0` in a process of its own.
struct EmulatorChild {
    let process: Process
    let origin: String

    static func start() throws -> EmulatorChild {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["emulator", "--port", "0"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // "roster: emulator listening on http://127.0.0.1:PORT"
        var text = ""
        let handle = errors.fileHandleForReading
        while !text.contains("\n") {
            let chunk = handle.availableData
            guard !chunk.isEmpty else { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let range = text.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) else {
            process.terminate()
            throw ValidationError("the emulator did not start: \(text)")
        }
        // Whatever it says later is read and dropped: a full pipe would stall it.
        handle.readUntilEnd { _ in }
        return EmulatorChild(process: process, origin: String(text[range]))
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

/// Other clients loading the same emulator, when installed.
enum Peers {
    /// Requests per second of `wrk` with `connections` connections for 3 s (nil without wrk).
    static func wrk(url: String, header: String, connections: Int) -> Double? {
        guard let output = run("wrk", ["-t2", "-c\(connections)", "-d3s", "-H", header, url]),
              !output.contains("Non-2xx"),
              let line = output.split(separator: "\n").first(where: { $0.hasPrefix("Requests/sec:") }) else { return nil }
        return Double(line.split(separator: " ").last ?? "")
    }

    /// `calls` GETs from Python's asyncio and aiohttp, `inFlight` at a time (nil without it).
    static func aiohttp(url: String, header: (String, String), calls: Int, inFlight: Int) -> (callsPerSecond: Double, cpu: Double)? {
        let program = """
            import asyncio, json, resource, sys, time
            import aiohttp
            async def main(url, calls, in_flight, name, value):
                connector = aiohttp.TCPConnector(limit=in_flight)
                async with aiohttp.ClientSession(connector=connector, headers={name: value}) as session:
                    async def worker(count):
                        for _ in range(count):
                            async with session.get(url) as response:
                                assert response.status == 200
                                await response.json()
                    await worker(10)
                    start = time.perf_counter(); cpu = resource.getrusage(resource.RUSAGE_SELF)
                    share = [calls // in_flight + (1 if i < calls % in_flight else 0) for i in range(in_flight)]
                    await asyncio.gather(*(worker(n) for n in share))
                    end = time.perf_counter(); used = resource.getrusage(resource.RUSAGE_SELF)
                    print(json.dumps({"calls_per_s": calls / (end - start),
                                      "cpu_s": used.ru_utime - cpu.ru_utime + used.ru_stime - cpu.ru_stime}))
            asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]))
            """
        guard let output = run("python3", ["-c", program, url, String(calls), String(inFlight), header.0, header.1]),
              let object = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Double],
              let rate = object["calls_per_s"], let cpu = object["cpu_s"] else { return nil }
        return (rate, cpu)
    }

    /// The standard output of `command` found on PATH, when it exits 0.
    private static func run(_ command: String, _ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [command] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
