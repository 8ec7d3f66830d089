/// VendorCallStats.swift: what this process asked of each vendor — requests sent, 429s
/// received, waits for the rate budget — for a worker's metrics.
import Synchronization

/// Counts per vendor, for the whole process.
public final class VendorCallStats: Sendable {
    public static let shared = VendorCallStats()

    /// One vendor's counts.
    public struct Counts: Codable, Sendable, Equatable {
        public var requests = 0
        public var rateLimited = 0
        public var budgetWaits = 0

        public init(requests: Int = 0, rateLimited: Int = 0, budgetWaits: Int = 0) {
            self.requests = requests
            self.rateLimited = rateLimited
            self.budgetWaits = budgetWaits
        }
    }

    private let counts = Mutex<[String: Counts]>([:])

    func requested(_ vendor: Vendor, status: Int?) {
        counts.withLock { counts in
            counts[vendor.rawValue, default: Counts()].requests += 1
            if status == 429 { counts[vendor.rawValue, default: Counts()].rateLimited += 1 }
        }
    }

    func waitedForBudget(_ vendor: Vendor) {
        counts.withLock { $0[vendor.rawValue, default: Counts()].budgetWaits += 1 }
    }

    /// The counts so far, by vendor name.
    public func snapshot() -> [String: Counts] { counts.withLock { $0 } }
}
