/// VendorOptions.swift: `--emulator`, `--config`, `--tenant`: where a command's vendor calls go.
import ArgumentParser
import Engine
import Foundation
import Vendors

/// `--trace`, for every command whose runs send vendor requests (`run`, `repl`, `plugin run`
/// through `VendorOptions`; `resume`, `apply` and `undo`, which reach the vendors a run or a
/// plan used, on their own).
struct TraceOption: ParsableArguments {
    @Flag(help: "Print every vendor request on stderr: method, URL, status, size, duration, attempt, why retried (never headers or bodies, where credentials travel).")
    var trace = false

    /// How requests are sent: traced with `--trace`.
    var http: VendorHTTP {
        trace ? VendorHTTP.shared.tracing { Diagnostics.error("trace: " + $0) } : .shared
    }
}

/// The options every command that talks to vendors shares.
struct VendorOptions: ParsableArguments {
    @Flag(help: "Use the built-in emulator (started in this process) even when a roster.toml exists.")
    var emulator = false

    @Option(help: ArgumentHelp("The configuration file (default: ./roster.toml, then ~/.config/roster/roster.toml; none: the emulator).", valueName: "FILE"))
    var config: String?

    @Option(help: ArgumentHelp("The tenant in the configuration (default: its default_tenant).", valueName: "NAME"))
    var tenant: String?

    @OptionGroup var tracing: TraceOption

    func validate() throws {
        if emulator && (config != nil || tenant != nil) {
            throw ValidationError("--emulator cannot be combined with --config or --tenant")
        }
    }

    var http: VendorHTTP { tracing.http }

    /// Opens the connection; a configuration mistake is one line on stderr and exit 2.
    func open() async throws -> VendorConnection {
        do {
            return try await VendorConnection.open(configuration: config, tenant: tenant, useEmulator: emulator, http: http) { Diagnostics.error($0) }
        } catch let error as ConfigurationError {
            Diagnostics.error("roster: \(error)")
            throw ExitCode(ExitStatus.usage)
        } catch {
            Diagnostics.error("roster: could not start the built-in emulator: \(error)")
            throw ExitCode(ExitStatus.scriptError)
        }
    }
}
