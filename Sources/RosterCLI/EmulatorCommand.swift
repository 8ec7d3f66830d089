/// EmulatorCommand.swift: `roster emulator`, every vendor's API on a local port.
import ArgumentParser
import Emulator
import Engine
import Foundation

/// Serves the built-in emulator of every vendor API until interrupted.
struct EmulatorCommand: AsyncParsableCommand, LeafCommand {
    static let leafConfiguration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Serve the built-in emulator of every vendor API.",
        discussion: """
            Each vendor lives under its own prefix (\(prefixes)); the control API is under /_emulator/ (faults, state, reset, each vendor's hooks). Stop with Ctrl-C.
            """
    )

    /// `/activeconnect, /encore, …`. Built by hand: every start reads this configuration,
    /// and `joined(separator:)` on an array of strings would cost it two scans of the
    /// binary's conformance records.
    private static var prefixes: String {
        var text = ""
        for vendor in VendorRegistry.standard.vendors { text += (text.isEmpty ? "/" : ", /") + vendor.rawValue }
        return text
    }

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(parsing: .unconditional, help: "Port to listen on (0: any free port).")
    var port = 8089

    @Option(help: ArgumentHelp("Faults to inject, e.g. latency=50ms,error500=0.1,drop=0.02.", valueName: "SPEC"))
    var faults = ""

    @Option(parsing: .unconditional, help: "Seed for the demo data and the faults (the same seed gives the same faults).")
    var seed: UInt64 = 1

    @Option(name: .customLong("rate-limit"), help: ArgumentHelp("A vendor's rate limit per account, replacing its documented one (repeatable), e.g. active911=25/60s or active911=5/2s.", valueName: "VENDOR=N/WINDOW"))
    var rateLimitSpecs: [String] = []

    /// `--rate-limit` by vendor name.
    func rateLimits() throws -> [String: RateLimit] {
        var limits: [String: RateLimit] = [:]
        let names = VendorRegistry.standard.emulatedAPIs.map { $0.name }
        for spec in rateLimitSpecs {
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, names.contains(parts[0]) else {
                throw ValidationError("--rate-limit expects VENDOR=N/WINDOW with VENDOR one of \(names.joined(separator: ", ")), got '\(spec)'")
            }
            do throws(RateLimitError) {
                limits[parts[0]] = try RateLimit(parsing: parts[1])
            } catch {
                throw ValidationError("--rate-limit \(parts[0]): \(error.description)")
            }
        }
        return limits
    }

    @Option(name: .customLong("write-config"), help: ArgumentHelp("Also write a roster.toml pointing every vendor here (secrets beside it in secrets/, mode 0600); never over an existing file.", valueName: "FILE"))
    var writeConfig: String?

    @Flag(help: "With --write-config: replace the configuration and secret files if they exist.")
    var force = false

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, got \(port)") }
        if force && writeConfig == nil { throw ValidationError("--force only applies to --write-config FILE") }
        _ = try rateLimits()
        do {
            _ = try FaultSpec(parsing: faults)
        } catch {
            throw ValidationError("--faults: \(error.description)")
        }
    }

    func run() async throws {
        // Before listening: these are the names a real configuration uses.
        if let writeConfig, !force, let existing = DemoConfiguration().existingFile(for: writeConfig) {
            Diagnostics.error("roster: --write-config: \(existing) already exists; not replacing it (add --force to replace the configuration and its secrets/)")
            throw ExitCode(ExitStatus.usage)
        }
        let spec = try FaultSpec(parsing: faults)
        let configuration = VendorRegistry.standard.emulatorConfiguration(faults: spec, seed: seed, rateLimits: try rateLimits())
        let host = self.host, writeConfig = self.writeConfig, force = self.force
        do {
            try await Emulator.serve(configuration, host: host, port: port) { bound in
                let origin = RunningEmulator.origin(host: host, port: bound)
                if let writeConfig {
                    do {
                        try DemoConfiguration().write(to: writeConfig, origin: origin, replacing: force)
                        Diagnostics.error("roster: wrote \(writeConfig) (try: roster run SCRIPT --config \(Diagnostics.shellWord(writeConfig)))")
                    } catch {
                        Diagnostics.error("roster: cannot write \(writeConfig): \(UserFile.whyUnwritable(writeConfig, after: error))")
                    }
                }
                let limits = configuration.apis.compactMap { api in configuration.rateLimit(api).map { "\(api.name) \($0)" } }
                Diagnostics.error("roster: emulator listening on \(origin)" + (spec == FaultSpec() ? "" : " with faults \(spec)")
                    + (limits.isEmpty ? "" : " (rate limits: \(limits.joined(separator: ", ")))"))
            }
        } catch {
            Diagnostics.error("roster: the emulator could not listen on \(RunningEmulator.address(host: host, port: port)): \(ListenFailure.describe(error, port: port))")
            throw ExitCode(ExitStatus.usage)
        }
    }
}
