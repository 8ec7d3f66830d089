/// FaultInjector.swift: decides, request by request, which fault (if any) to inject. The
/// decisions come from a seeded generator, so the same seed and the same sequence of
/// requests give the same faults.
import Hummingbird
import Synchronization

/// One request's fate.
enum FaultDecision: Equatable {
    case pass
    case status(Int)
    case drop
    case lost
    case slow

    /// The fate `FaultSpec.shares` names.
    init(fault: String) {
        switch fault {
        case "error500": self = .status(500)
        case "error503": self = .status(503)
        case "error429": self = .status(429)
        case "drop": self = .drop
        case "lost": self = .lost
        default: self = .slow
        }
    }
}

/// The fault spec in force and the seeded generator that applies it.
public final class FaultInjector: Sendable {
    private struct Generator {
        var spec: FaultSpec
        var state: UInt64

        /// SplitMix64: small, fast, and the same everywhere.
        mutating func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Double(z >> 11) / Double(1 << 53)
        }
    }

    private let generator: Mutex<Generator>

    init(_ spec: FaultSpec, seed: UInt64) {
        generator = Mutex(Generator(spec: spec, state: seed))
    }

    /// The spec in force.
    public var spec: FaultSpec { generator.withLock { $0.spec } }

    /// Replaces the spec and restarts the generator from `seed`.
    public func update(_ spec: FaultSpec, seed: UInt64) {
        generator.withLock { $0 = Generator(spec: spec, state: seed) }
    }

    /// The next request's fate, and the latency to add.
    func decide(write: Bool) -> (FaultDecision, Duration) {
        generator.withLock { generator in
            let spec = generator.spec
            let shares = spec.shares
            guard shares.contains(where: { $0.share > 0 }), write || !spec.onlyWrites else { return (.pass, spec.latency) }
            var draw = generator.next()
            for (fault, share) in shares {
                if draw < share { return (FaultDecision(fault: fault), spec.latency) }
                draw -= share
            }
            return (.pass, spec.latency)
        }
    }
}

/// Applies the injector to every vendor request (never to the control API).
struct FaultMiddleware<Context: RequestContext>: RouterMiddleware {
    let world: EmulatorWorld
    let api: any EmulatedAPI.Type

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await faulted(request, context: context, next: next)
        world.requestCounts.count(api.name, status: Int(response.status.code))
        return response
    }

    private func faulted(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let (decision, latency) = world.faults.decide(write: request.method != .get)
        if latency > .zero { try await Task.sleep(for: latency) }
        switch decision {
        case .pass:
            return try await next(request, context)
        case .status(let status):
            var response = api.refusal(status: status, reason: status == 429 ? "Too many requests" : "Injected fault: HTTP \(status)")
            if status == 429 { response.headers[.retryAfter] = "1" }
            return response
        case .drop:
            return Response(status: .ok, body: ResponseBody { _ in throw DroppedConnection() })
        case .lost:
            _ = try await next(request, context)
            return Response(status: .ok, body: ResponseBody { _ in throw DroppedConnection() })
        case .slow:
            var response = try await next(request, context)
            let delay = world.faults.spec.slowBody
            response.body = response.body.map { buffer in
                try await Task.sleep(for: delay)
                return buffer
            }
            return response
        }
    }
}

/// Thrown from a response body to close the connection mid-response.
struct DroppedConnection: Error {}
