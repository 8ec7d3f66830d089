/// EmulatedAPI.swift: what a vendor's emulated API declares of itself — its name (the
/// path prefix), its seeded demo data, its routes, its error shape and its state dump —
/// so that the emulator serves whichever vendors it is given.
import Hummingbird
import Synchronization

/// One vendor's API as the emulator serves it, under `/<name>`.
public protocol EmulatedAPI: Sendable {
    associatedtype State: Sendable
    /// The vendor's name, and the path prefix it is served under.
    static var name: String { get }
    /// The seeded demo data (the same for the same seed).
    static func demo(seed: UInt64) -> State
    /// Adds the vendor's routes to `group` (already under its prefix, faults applied).
    static func addRoutes(to group: RouterGroup<BasicRequestContext>, world: EmulatorWorld)
    /// Adds the vendor's hooks to the control API (`/_emulator/<name>/...`); none by default.
    static func addControlRoutes(to group: RouterGroup<BasicRequestContext>, world: EmulatorWorld)
    /// An error response in the vendor's own shape.
    static func refusal(status: Int, reason: String) -> Response
    /// The state as JSON-ready values, for the control API's dump.
    static func dump(_ state: State) -> Any
    /// The vendor's documented rate limit per account, if it has one.
    static var rateLimit: RateLimit? { get }
}

extension EmulatedAPI {
    public static func addControlRoutes(to group: RouterGroup<BasicRequestContext>, world: EmulatorWorld) {}
    public static var rateLimit: RateLimit? { nil }

    /// `/<name>`
    public static var pathPrefix: String { "/\(name)" }
}

/// One vendor's state behind a lock (handlers run concurrently on NIO's threads).
public final class EmulatedStore<State: Sendable>: Sendable {
    private let state: Mutex<State>

    init(_ state: State) { self.state = Mutex(state) }

    public func withLock<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        try state.withLock { try body(&$0) }
    }
}

/// A vendor's API with its store, its type erased, as the world keeps them.
struct ServedAPI: Sendable {
    let api: any EmulatedAPI.Type
    let store: any Sendable
    let reset: @Sendable (UInt64) -> Void
    let dump: @Sendable () -> Any

    init<API: EmulatedAPI>(_ api: API.Type, seed: UInt64) {
        let store = EmulatedStore(API.demo(seed: seed))
        self.api = api
        self.store = store
        reset = { seed in store.withLock { $0 = API.demo(seed: seed) } }
        dump = { store.withLock { API.dump($0) } }
    }
}
