/// RunEstimate.swift: what a dry run says of the real run's length: its changes, and the
/// time the vendors' rate limits will take to let them through.
import Bindings
import Foundation
import Vendors

/// The length of a planned run at the vendors' limits.
public struct RunEstimate: Sendable {
    public var changes: Int
    /// The slowest rate-limited vendor: its name, its limit in words, and the time it takes.
    public var bound: (vendor: String, limit: String, seconds: Double)?

    /// `together`: calls made at once (an `--each` run's `--parallel`), which a batched
    /// operation sends as one request.
    public init(plan: [VendorCallRecord], tenant: Tenant, together: Int = 1, registry: VendorRegistry = .standard) {
        changes = plan.count
        for configuration in tenant.configurations {
            guard let limited = configuration as? any RateLimitedConfiguration else { continue }
            let vendor = type(of: configuration).vendor
            let operations = registry.unit(named: vendor.rawValue)?.module.operations ?? []
            var byOperation: [String: Int] = [:]
            for call in plan where call.vendor == vendor { byOperation[call.operation, default: 0] += 1 }
            let calls = byOperation.reduce(0) { total, entry in
                let batched = operations.first { $0.name == entry.key }?.batched ?? false
                return total + (batched ? (entry.value + together - 1) / max(1, together) : entry.value)
            }
            guard calls > 0 else { continue }
            let perWindow = max(1, Int((Double(limited.requestsPerWindow) * (1 - limited.reserve)).rounded(.down)))
            let window = limited.window.inSeconds
            // The first window's worth goes at once; each further one waits a window.
            let seconds = Double(max(0, calls - perWindow)) / Double(perWindow) * window
            if seconds > (bound?.seconds ?? 0) {
                let unit = window == 60 ? "a minute" : "per \(Self.words(window))"
                bound = (vendor.rawValue, "\(perWindow) \(unit)", seconds)
            }
        }
    }

    /// `about 220 changes; active911's 25 a minute makes this about 9 min`; nil when no
    /// vendor's limit makes the run wait.
    public var text: String? {
        guard let bound, bound.seconds >= 1 else { return nil }
        return "about \(changes) change\(changes == 1 ? "" : "s"); \(bound.vendor)'s \(bound.limit) makes this about \(Self.words(bound.seconds))"
    }

    /// `9 min`, `40 s`, `2 h 5 min`.
    static func words(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole) s" }
        if whole < 3600 { return "\((whole + 30) / 60) min" }
        return "\(whole / 3600) h" + ((whole % 3600) / 60 == 0 ? "" : " \((whole % 3600) / 60) min")
    }
}
