/// BenchVendors.swift: `roster bench --vendors`, what a vendor call costs the client:
/// Encore `get_user` against an emulator in a process of its own (so this process's CPU is
/// the client's alone), through the HTTP client with no Roster code around it, through the
/// vendor client and from Lua, where the time of a call goes, and the same emulator loaded
/// by wrk and by Python's aiohttp, when they are installed; and the emulator's own CPU under
/// each, since the two share the machine's cores.
import ArgumentParser
@_spi(Benchmarks) import Bindings
import ChildProcesses
import Engine
import Foundation
import LuaHost
@_spi(Benchmarks) import Vendors

extension BenchCommand {
    /// The figures of one `--vendors` run.
    struct VendorFigures: Encodable {
        var rounds: Int
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
        var luaVsAiohttpLowerQuartile: Double?
        var luaVsAiohttpUpperQuartile: Double?
        var luaVsWrkRatio: Double?
        var luaVsWrkLowerQuartile: Double?
        var luaVsWrkUpperQuartile: Double?
        var floorVsWrkRatio: Double?
        /// The emulator's CPU per 1,000 calls while each client loaded it, by client.
        var emulatorCPUSecondsPer1000Calls: [String: Double]
        /// The cores the client and the emulator share.
        var cores: Int

        enum CodingKeys: String, CodingKey {
            case rounds
            case clientSequentialCallsPerSecond = "client_sequential_calls_per_s", clientCallsPerSecond = "client_64_in_flight_calls_per_s"
            case clientCPUSecondsPer1000Calls = "client_cpu_s_per_1000_calls"
            case luaCallsPerSecond = "lua_parallel_map_64_calls_per_s", luaCPUSecondsPer1000Calls = "lua_cpu_s_per_1000_calls"
            case profileMicroseconds = "profile_us_per_call", wrkCallsPerSecond = "wrk_64_connections_calls_per_s"
            case aiohttpCallsPerSecond = "aiohttp_64_in_flight_calls_per_s", aiohttpCPUSecondsPer1000Calls = "aiohttp_cpu_s_per_1000_calls"
            case luaVsAiohttpRatio = "lua_vs_aiohttp_ratio", luaVsWrkRatio = "lua_vs_wrk_ratio"
            case luaVsAiohttpLowerQuartile = "lua_vs_aiohttp_ratio_lower_quartile", luaVsAiohttpUpperQuartile = "lua_vs_aiohttp_ratio_upper_quartile"
            case luaVsWrkLowerQuartile = "lua_vs_wrk_ratio_lower_quartile", luaVsWrkUpperQuartile = "lua_vs_wrk_ratio_upper_quartile"
            case floorCallsPerSecond = "http_client_floor_64_in_flight_calls_per_s"
            case floorCPUSecondsPer1000Calls = "http_client_floor_cpu_s_per_1000_calls"
            case luaVsFloorRatio = "lua_vs_http_client_floor_ratio", floorVsWrkRatio = "http_client_floor_vs_wrk_ratio"
            case emulatorCPUSecondsPer1000Calls = "emulator_cpu_s_per_1000_calls", cores
        }
    }

    /// One round of `--vendors`: every client measured once, back to back.
    struct VendorRound {
        /// What loads the emulator in a round.
        enum Client: String, CaseIterable {
            case client, floor = "http_client_floor", lua, wrk, aiohttp

            var label: String {
                switch self {
                case .client: "client alone"
                case .floor: "HTTP client, no Roster code"
                case .lua: "from Lua"
                case .wrk: "wrk"
                case .aiohttp: "aiohttp"
                }
            }
        }

        var calls: Int
        var client = (seconds: 0.0, cpu: 0.0)
        var floor = (seconds: 0.0, cpu: 0.0)
        var lua = (seconds: 0.0, cpu: 0.0)
        var wrk: Double?
        var aiohttp: (callsPerSecond: Double, cpu: Double)?
        /// The emulator's CPU seconds per 1,000 calls under each client (where /proc tells):
        /// the client and the emulator share the machine's cores, so calls/s are bound by
        /// the two together.
        var emulatorCPU: [Client: Double] = [:]

        func rate(_ timed: (seconds: Double, cpu: Double)) -> Double { Double(calls) / timed.seconds }
        /// CPU seconds per 1,000 calls.
        func cpu(_ timed: (seconds: Double, cpu: Double)) -> Double { timed.cpu / Double(calls) * 1000 }
        var luaVsAiohttp: Double? { aiohttp.map { rate(lua) / $0.callsPerSecond } }
        var luaVsWrk: Double? { wrk.map { rate(lua) / $0 } }
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

        // The client alone, one call at a time: the declaration's work, no Lua.
        let sequentialCalls = 2_000
        let sequential = try await Self.timed { for _ in 0..<sequentialCalls { _ = try await call() } }

        let key = encore.subscriptionKey.reveal()
        let url = emulator.origin + "/encore/users/v1/users/1001?use-external-id=false"
        var runner = VendorScriptRunner(tenant: tenant, limits: LuaLimits(memory: 256 << 20, timeout: .seconds(600)))
        runner.recordsReads = false // as `roster run` without --json
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

        // Rounds, each measuring every client once: a ratio is taken within a round (the
        // machine as loaded then), and the run reports the rounds' medians. The peers go
        // first every other round, so that neither side always runs second.
        let calls = 20_000
        var rounds: [VendorRound] = []
        for round in 1...max(1, self.rounds) {
            var measured = VendorRound(calls: calls)
            /// What `body` gives, counting the emulator's CPU over it as `client`'s, per 1,000
            /// of the calls `body` made by `made`.
            func loading<Figures>(_ client: VendorRound.Client, made: (Figures) -> Int, _ body: () async throws -> Figures) async rethrows -> Figures {
                let start = emulator.process.cpuSeconds
                let figures = try await body()
                if let start, let end = emulator.process.cpuSeconds, made(figures) > 0 {
                    measured.emulatorCPU[client] = (end - start) / Double(made(figures)) * 1000
                }
                return figures
            }
            func peers() async {
                measured.wrk = await loading(.wrk, made: { $0?.requests ?? 0 }) {
                    Peers.wrk(url: url, header: "Ocp-Apim-Subscription-Key: \(key)", connections: Self.inFlight)
                }?.callsPerSecond
                measured.aiohttp = await loading(.aiohttp, made: { $0 == nil ? 0 : calls + Peers.aiohttpWarmUpCalls }) {
                    Peers.aiohttp(url: url, header: ("Ocp-Apim-Subscription-Key", key), calls: calls, inFlight: Self.inFlight)
                }
            }
            if round.isMultiple(of: 2) { await peers() }
            // The client alone, 64 in flight.
            measured.client = try await loading(.client, made: { _ in calls }) { try await Self.timed {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in 0..<Self.inFlight {
                        group.addTask { for _ in stride(from: worker, to: calls, by: Self.inFlight) { _ = try await call() } }
                    }
                    try await group.waitForAll()
                }
            } }
            // The HTTP client with nothing of Roster's: what a call cannot cost less than here.
            measured.floor = try await loading(.floor, made: { _ in calls }) { try await Self.timed {
                try await HTTPClientFloor.run(url: url, headers: [("Ocp-Apim-Subscription-Key", key)], calls: calls, inFlight: Self.inFlight)
            } }
            // From Lua: what a script pays, answers written as the script sees them.
            measured.lua = try await loading(.lua, made: { _ in calls }) { try await Self.timed { try await runLua(calls, concurrency: Self.inFlight) } }
            if !round.isMultiple(of: 2) { await peers() }
            rounds.append(measured)
        }

        // Where a call's time goes: one call at a time, so that phases do not overlap.
        VendorCallProfile.shared.start()
        try await runLua(sequentialCalls, concurrency: 1)
        VendorCallProfile.shared.stop()
        let profile = VendorCallProfile.shared.microsecondsPerCall()

        let median = { (values: [Double]) -> Double in values.sorted()[values.count / 2] }
        /// The median of `figure` over the rounds (there is at least one).
        func typical(_ figure: (VendorRound) -> Double) -> Double { median(rounds.map(figure)) }
        /// The median of `figure` over the rounds that have it (nil when none has).
        func across(_ figure: (VendorRound) -> Double?) -> Double? {
            let values = rounds.compactMap(figure)
            return values.isEmpty ? nil : median(values)
        }
        /// The middle half of `figure` over the rounds: how far one run's median can move.
        func middleHalf(_ figure: (VendorRound) -> Double?) -> (Double, Double)? {
            let values = rounds.compactMap(figure).sorted()
            return values.isEmpty ? nil : (values[values.count / 4], values[(values.count * 3) / 4])
        }
        let luaVsAiohttpSpread = middleHalf { $0.luaVsAiohttp }, luaVsWrkSpread = middleHalf { $0.luaVsWrk }
        let figures = VendorFigures(
            rounds: rounds.count,
            clientSequentialCallsPerSecond: Double(sequentialCalls) / sequential.seconds,
            clientCallsPerSecond: typical { $0.rate($0.client) },
            clientCPUSecondsPer1000Calls: typical { $0.cpu($0.client) },
            luaCallsPerSecond: typical { $0.rate($0.lua) },
            luaCPUSecondsPer1000Calls: typical { $0.cpu($0.lua) },
            floorCallsPerSecond: typical { $0.rate($0.floor) },
            floorCPUSecondsPer1000Calls: typical { $0.cpu($0.floor) },
            luaVsFloorRatio: typical { $0.rate($0.lua) / $0.rate($0.floor) },
            profileMicroseconds: Dictionary(uniqueKeysWithValues: profile.map { ($0.phase.name, $0.microseconds) }),
            wrkCallsPerSecond: across { $0.wrk },
            aiohttpCallsPerSecond: across { $0.aiohttp?.callsPerSecond },
            aiohttpCPUSecondsPer1000Calls: across { round in round.aiohttp.map { $0.cpu / Double(calls) * 1000 } },
            luaVsAiohttpRatio: across { $0.luaVsAiohttp },
            luaVsAiohttpLowerQuartile: luaVsAiohttpSpread?.0, luaVsAiohttpUpperQuartile: luaVsAiohttpSpread?.1,
            luaVsWrkRatio: across { $0.luaVsWrk },
            luaVsWrkLowerQuartile: luaVsWrkSpread?.0, luaVsWrkUpperQuartile: luaVsWrkSpread?.1,
            floorVsWrkRatio: across { round in round.wrk.map { round.rate(round.floor) / $0 } },
            emulatorCPUSecondsPer1000Calls: Dictionary(uniqueKeysWithValues: VendorRound.Client.allCases.compactMap { client in
                across { $0.emulatorCPU[client] }.map { (client.rawValue, $0) }
            }),
            cores: ProcessInfo.processInfo.activeProcessorCount)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(figures), as: UTF8.self))
            return
        }
        print(String(format: "encore get_user against an emulator in its own process, %d in flight (medians of %d rounds):", Self.inFlight, figures.rounds))
        print(String(format: "  client alone:   %6.0f calls/s (%.0f one at a time), %.3f s of CPU per 1,000 calls (goal <= 0.10)",
                     figures.clientCallsPerSecond, figures.clientSequentialCallsPerSecond, figures.clientCPUSecondsPer1000Calls))
        print(String(format: "  from Lua:       %6.0f calls/s through parallel.map, %.3f s of CPU per 1,000 calls",
                     figures.luaCallsPerSecond, figures.luaCPUSecondsPer1000Calls))
        print(String(format: "  HTTP client, no Roster code: %6.0f calls/s, %.3f s of CPU per 1,000 calls; Lua runs at %.2f of it",
                     figures.floorCallsPerSecond, figures.floorCPUSecondsPer1000Calls, figures.luaVsFloorRatio))
        if let rate = figures.aiohttpCallsPerSecond, let cpu = figures.aiohttpCPUSecondsPer1000Calls, let ratio = figures.luaVsAiohttpRatio {
            print(String(format: "  Python aiohttp: %6.0f calls/s, %.3f s of CPU per 1,000 calls; Lua/aiohttp %.2fx (goal >= 2.5; middle half %.2f-%.2f)",
                         rate, cpu, ratio, figures.luaVsAiohttpLowerQuartile ?? 0, figures.luaVsAiohttpUpperQuartile ?? 0))
        } else {
            print("  Python aiohttp: not installed (make bench installs it: pip install aiohttp)")
        }
        if let wrk = figures.wrkCallsPerSecond, let ratio = figures.luaVsWrkRatio {
            print(String(format: "  wrk:            %6.0f calls/s; Lua/wrk %.2fx (goal >= 0.6; middle half %.2f-%.2f); HTTP client, no Roster code/wrk %.2fx",
                         wrk, ratio, figures.luaVsWrkLowerQuartile ?? 0, figures.luaVsWrkUpperQuartile ?? 0, figures.floorVsWrkRatio ?? 0))
        } else {
            print("  wrk:            not installed (apt-get install wrk)")
        }
        // The client and the emulator share the cores: calls/s cannot pass the cores over
        // their CPU per call together.
        let emulatorCPU = figures.emulatorCPUSecondsPer1000Calls
        if !emulatorCPU.isEmpty {
            let loads = VendorRound.Client.allCases.compactMap { client in
                emulatorCPU[client.rawValue].map { client.label + String(format: " %.3f s", $0) }
            }
            print("the emulator's CPU per 1,000 calls, by what loaded it: " + loads.joined(separator: "; "))
        }
        if let emulator = emulatorCPU[VendorRound.Client.lua.rawValue] {
            let bound = Double(figures.cores) * 1000 / (figures.luaCPUSecondsPer1000Calls + emulator)
            print(String(format: "  %d cores shared: the client's and the emulator's CPU allow Lua at most %.0f calls/s; it ran at %.2f of that",
                         figures.cores, bound, figures.luaCallsPerSecond / bound))
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
    let process: ChildProcess
    let origin: String

    static func start() throws -> EmulatorChild {
        let errors = try ChildProcess.pipe()
        let process: ChildProcess
        do {
            defer { close(errors.write) }
            process = try ChildProcess.start(Worker.executable.path, arguments: ["emulator", "--port", "0"], output: NullDevice.shared.descriptor,
                                             error: errors.write)
        } catch {
            close(errors.read)
            throw error
        }
        // "roster: emulator listening on http://127.0.0.1:PORT"
        var text = ""
        let handle = FileHandle(fileDescriptor: errors.read, closeOnDealloc: true)
        while !text.contains("\n") {
            let chunk = handle.availableData
            guard !chunk.isEmpty else { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let range = text.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) else {
            process.send(SIGTERM)
            throw ValidationError("the emulator did not start: \(text)")
        }
        // Whatever it says later is read and dropped: a full pipe would stall it.
        ChildProcess.onThread { while !handle.availableData.isEmpty {} }
        return EmulatorChild(process: process, origin: String(text[range]))
    }

    func stop() {
        process.send(SIGTERM)
        while process.isRunning { usleep(5_000) }
    }
}

/// Other clients loading the same emulator, when installed.
enum Peers {
    /// Requests per second of `wrk` with `connections` connections for 3 s, and the requests
    /// it made (nil without wrk).
    static func wrk(url: String, header: String, connections: Int) -> (callsPerSecond: Double, requests: Int)? {
        guard let output = run("wrk", ["-t2", "-c\(connections)", "-d3s", "-H", header, url]),
              !output.contains("Non-2xx") else { return nil }
        let lines = output.split(separator: "\n")
        // "Requests/sec:  34817.53" and "  174593 requests in 5.00s, ..."
        guard let rate = lines.first(where: { $0.hasPrefix("Requests/sec:") }).flatMap({ Double($0.split(separator: " ").last ?? "") }),
              let requests = lines.first(where: { $0.contains(" requests in ") }).flatMap({ Int($0.split(separator: " ").first ?? "") })
        else { return nil }
        return (rate, requests)
    }

    /// The calls `aiohttp` makes before it starts timing (one worker's ten).
    static let aiohttpWarmUpCalls = 10

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
                    await worker(\(aiohttpWarmUpCalls))
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
        guard let output = try? ChildProcess.pipe() else { return nil }
        let process = try? ChildProcess.start("/usr/bin/env", arguments: [command] + arguments, output: output.write,
                                              error: NullDevice.shared.descriptor)
        close(output.write)
        let data = FileHandle(fileDescriptor: output.read, closeOnDealloc: true).readDataToEndOfFile()
        guard let process else { return nil }
        while process.isRunning { usleep(5_000) }
        guard process.ending == .exited(0) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
