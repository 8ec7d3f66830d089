/// EmulatorWorld.swift: everything an emulator remembers: each vendor's accounts and the
/// fault injector, behind locks (handlers run concurrently on NIO's threads).
import Foundation
import Synchronization

/// The state of every emulated vendor.
public final class EmulatorWorld: Sendable {
    public let configuration: EmulatorConfiguration
    /// The vendors served, in the order given, each with its state.
    let served: [ServedAPI]
    private let stores: [String: ServedAPI]
    /// The fault injector (the control API changes it; so may tests).
    public let faults: FaultInjector
    private let originStorage = Mutex("http://127.0.0.1")
    /// Requests served per vendor and the 429s among them (`/_emulator/stats`).
    let requestCounts = RequestCounts()

    init(_ configuration: EmulatorConfiguration) {
        self.configuration = configuration
        served = configuration.apis.map { $0.served(seed: configuration.seed) }
        stores = Dictionary(served.map { ($0.api.name, $0) }) { first, _ in first }
        faults = FaultInjector(configuration.faults, seed: configuration.seed)
    }

    /// `http://host:port` the emulator answers on (links it issues point here).
    var origin: String {
        get { originStorage.withLock { $0 } }
        set { originStorage.withLock { $0 = newValue } }
    }

    /// The state of `api`, which this world serves.
    public subscript<API: EmulatedAPI>(_ api: API.Type) -> EmulatedStore<API.State> {
        guard let store = stores[API.name]?.store as? EmulatedStore<API.State> else {
            preconditionFailure("the emulator does not serve \(API.name)")
        }
        return store
    }

    /// The API served under `/<name>`, if any.
    func api(named name: String) -> (any EmulatedAPI.Type)? { stores[name]?.api }

    /// Puts every vendor back to the seeded demo data.
    public func reset() {
        for api in served { api.reset(configuration.seed) }
        requestCounts.reset()
    }

    /// `{"active911": {"requests": 31, "429": 0}, ...}`: every vendor's requests since the
    /// start or the last reset.
    public func stats() -> [String: Any] { requestCounts.dump(served.map { $0.api.name }) }

    /// Every vendor's state as JSON-ready values (the control API's dump).
    public func dump() -> [String: Any] {
        var dump: [String: Any] = ["faults": faults.spec.description]
        for api in served { dump[api.api.name] = api.dump() }
        return dump
    }
}

extension EmulatedAPI {
    static func served(seed: UInt64) -> ServedAPI { ServedAPI(self, seed: seed) }
}

