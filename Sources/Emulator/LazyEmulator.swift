/// LazyEmulator.swift: the in-process emulator of a run without a roster.toml, started
/// when the run first calls a vendor. Its port is taken at once (bound, not listening), so
/// the tenant's base URLs are known before it starts; a script that calls no vendor never
/// pays for the server, its threads or its demo data.
import Foundation
import Synchronization

/// An emulator whose port is held now and which serves from the first `running()`.
public final class LazyEmulator: Sendable {
    public let host: String
    public let port: Int
    private let configuration: EmulatorConfiguration

    private enum State {
        /// The port is held by this socket until the server binds it.
        case reserved(descriptor: Int32)
        case starting(Task<RunningEmulator, any Error>)
        case stopped
    }

    private let state: Mutex<State>

    /// Holds a free port on `host` for an emulator of `configuration`.
    public init(_ configuration: EmulatorConfiguration, host: String = "127.0.0.1") throws {
        let (descriptor, port) = try Self.holdPort(on: host)
        self.host = host
        self.port = port
        self.configuration = configuration
        state = Mutex(.reserved(descriptor: descriptor))
    }

    deinit {
        state.withLock { state in
            if case .reserved(let descriptor) = state { close(descriptor) }
        }
    }

    /// `http://127.0.0.1:PORT`
    public var origin: String { RunningEmulator.origin(host: host, port: port) }

    /// The emulator, started on the first call (later calls wait for the same start).
    public func running() async throws -> RunningEmulator {
        let start = state.withLock { state -> Task<RunningEmulator, any Error>? in
            switch state {
            case .reserved(let descriptor):
                let (configuration, host, port) = (configuration, host, port)
                let task = Task {
                    // The server binds the port beside the held socket (both reuse the
                    // address, and the held one never listens), then the hold is let go.
                    defer { close(descriptor) }
                    return try await Emulator.start(configuration, host: host, port: port)
                }
                state = .starting(task)
                return task
            case .starting(let task): return task
            case .stopped: return nil
            }
        }
        guard let start else { throw EmulatorError.couldNotStart(host: host, port: port) }
        return try await start.value
    }

    /// Whether it was started (and so has state to stop).
    public var started: Bool {
        state.withLock { if case .starting = $0 { true } else { false } }
    }

    /// Stops it if it started; lets the port go either way.
    public func stop() async {
        let task = state.withLock { state -> Task<RunningEmulator, any Error>? in
            defer { state = .stopped }
            switch state {
            case .reserved(let descriptor):
                close(descriptor)
                return nil
            case .starting(let task): return task
            case .stopped: return nil
            }
        }
        await (try? task?.value)?.stop()
    }

    /// A TCP socket bound to a free port of `host` with SO_REUSEADDR, not listening: no
    /// other socket takes the port, and the server's own bind (SO_REUSEADDR too) succeeds.
    private static func holdPort(on host: String) throws -> (Int32, Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw EmulatorError.couldNotStart(host: host, port: 0) }
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(descriptor)
            throw EmulatorError.couldNotStart(host: host, port: 0)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(descriptor, generic, length) == 0 && getsockname(descriptor, generic, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw EmulatorError.couldNotStart(host: host, port: 0)
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }
}
