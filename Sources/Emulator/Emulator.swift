/// Emulator.swift: the vendor APIs served over Hummingbird, started in-process on an
/// ephemeral port (tests, `roster run --emulator`) or standalone (`roster emulator`).
///
/// Each vendor lives under its own path prefix (`/encore`, ...), so one port serves them
/// all and every base URL carries a path prefix, as a proxy's would. The
/// control API is under `/_emulator/`, never on a vendor path.
import Foundation
import Hummingbird
import Logging
import NIOCore

/// How an emulator starts.
public struct EmulatorConfiguration: Sendable {
    /// The vendor APIs served (the registry's, for Roster).
    public var apis: [any EmulatedAPI.Type]
    /// Faults injected into vendor responses.
    public var faults: FaultSpec
    /// Seeds the demo data's generated values and the fault injector.
    public var seed: UInt64
    /// Rate limits that replace the ones the vendors declare (`--rate-limit active911=25/60s`),
    /// by vendor name.
    public var rateLimits: [String: RateLimit]
    /// Largest request body accepted (larger: the vendor's error shape, 413).
    public var maximumBodySize: Int

    public init(
        apis: [any EmulatedAPI.Type], faults: FaultSpec = FaultSpec(), seed: UInt64 = 1, rateLimits: [String: RateLimit] = [:],
        maximumBodySize: Int = 1 << 20
    ) {
        self.apis = apis
        self.faults = faults
        self.seed = seed
        self.rateLimits = rateLimits
        self.maximumBodySize = maximumBodySize
    }

    /// The limit `api` enforces: the one set for it, else the one it declares.
    public func rateLimit(_ api: any EmulatedAPI.Type) -> RateLimit? { rateLimits[api.name] ?? api.rateLimit }
}

/// A running emulator.
public final class RunningEmulator: Sendable {
    /// The port it listens on.
    public let port: Int
    public let host: String
    /// State and faults, for tests and the control API.
    public let world: EmulatorWorld
    private let task: Task<Void, any Error>

    init(port: Int, host: String, world: EmulatorWorld, task: Task<Void, any Error>) {
        self.port = port
        self.host = host
        self.world = world
        self.task = task
    }

    /// `http://127.0.0.1:PORT`
    public var origin: String { Self.origin(host: host, port: port) }

    /// `http://HOST:PORT`, an IPv6 address in brackets (`http://[::1]:8089`), as a URL (and
    /// a base_url written from it) must have it.
    public static func origin(host: String, port: Int) -> String { "http://" + address(host: host, port: port) }

    /// `HOST:PORT`, an IPv6 address in brackets (`[::1]:8089`; `::1:8089` reads as another).
    public static func address(host: String, port: Int) -> String {
        "\(host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host):\(port)"
    }

    /// The base URL of the vendor served as `name`.
    public func baseURL(_ name: String) -> String { origin + "/" + name }

    /// Stops serving and waits until the port is closed.
    public func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}

/// Starts emulators.
public enum Emulator {
    /// Starts serving on `host:port` (port 0: an ephemeral one) in this process; returns
    /// once it accepts connections.
    public static func start(
        _ configuration: EmulatorConfiguration, host: String = "127.0.0.1", port: Int = 0
    ) async throws -> RunningEmulator {
        let world = EmulatorWorld(configuration)
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let application = makeApplication(world: world, host: host, port: port, logLevel: .critical) { channel in
            portSink.yield(channel.localAddress?.port ?? port)
            portSink.finish()
        }
        let task = Task { try await application.run() }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next() else {
            task.cancel()
            throw EmulatorError.couldNotStart(host: host, port: port)
        }
        world.origin = RunningEmulator.origin(host: host, port: bound)
        return RunningEmulator(port: bound, host: host, world: world, task: task)
    }

    /// Serves until the process is interrupted (SIGINT/SIGTERM).
    public static func serve(
        _ configuration: EmulatorConfiguration, host: String, port: Int,
        onRunning: @escaping @Sendable (Int) -> Void
    ) async throws {
        let world = EmulatorWorld(configuration)
        let application = makeApplication(world: world, host: host, port: port) { channel in
            let bound = channel.localAddress?.port ?? port
            world.origin = RunningEmulator.origin(host: host, port: bound)
            onRunning(bound)
        }
        try await application.runService()
    }

    static func makeApplication(
        world: EmulatorWorld, host: String, port: Int, logLevel: Logger.Level = .warning,
        onRunning: @escaping @Sendable (any Channel) async -> Void
    ) -> some ApplicationProtocol {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: UnknownPathMiddleware<BasicRequestContext>(world: world))
        ControlRoutes.add(to: router, world: world)
        for served in world.served {
            let group = router.group(RouterPath(served.api.name))
                .add(middleware: FaultMiddleware<BasicRequestContext>(world: world, api: served.api))
            served.api.addRoutes(to: group, world: world)
        }
        var logger = Logger(label: "roster.emulator")
        logger.logLevel = logLevel // in-process (tests, benchmarks): shutdown chatter stays quiet
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "roster-emulator"),
            onServerRunning: onRunning,
            logger: logger)
    }
}

/// Why the emulator could not run.
public enum EmulatorError: Error, CustomStringConvertible {
    case couldNotStart(host: String, port: Int)

    public var description: String {
        switch self {
        case .couldNotStart(let host, let port): "the emulator could not listen on \(RunningEmulator.address(host: host, port: port))"
        }
    }
}
