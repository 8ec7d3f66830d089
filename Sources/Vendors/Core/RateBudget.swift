/// RateBudget.swift: keeps a vendor account below its rate limit before any 429, with one
/// budget for all concurrent work on that account in this process and, through a shared
/// ledger (the journal's database), in every Roster process on the machine.
import Foundation
import Synchronization

/// A vendor configuration whose account has a rate limit the client keeps below.
public protocol RateLimitedConfiguration: VendorConfiguration {
    /// Requests allowed per `window` per account.
    var requestsPerWindow: Int { get }
    var window: Duration { get }
    /// The share of the limit left free for others using the account.
    var reserve: Double { get }
}

/// A count of one account's requests that every Roster process on the machine shares. A
/// slot is taken before a request is sent and released when its answer comes.
public protocol RateLedger: Sendable {
    /// A slot for `account` if fewer than `limit` of its requests are in flight or were
    /// answered within `window`; else how long until one frees.
    func take(account: String, limit: Int, window: Duration) throws -> RateLedgerGrant
    /// The request in `slot` has its answer: the window runs from now.
    func release(_ slot: Int64)
}

/// What a ledger answers.
public enum RateLedgerGrant: Sendable, Equatable {
    case slot(Int64)
    case wait(Duration)
}

/// A sliding window of requests per account. A request holds its slot from admission until
/// its answer arrives, and the window runs from the answer: the vendor counts a request
/// when it arrives, which is somewhere in between, so however slow the network the vendor
/// never sees more than `limit` in any window.
public actor RateBudget {
    /// A request's place in the budget, to `finish`.
    public struct Slot: Sendable {
        let local: Int
        let shared: Int64?
    }

    public let vendor: Vendor
    private let account: String
    private let limit: Int
    private let window: Duration
    private let ledger: (any RateLedger)?
    /// Slots in use: nil while the request is in flight, else when its answer came.
    private var slots: [Int: ContinuousClock.Instant?] = [:]
    private var nextSlot = 0
    private let clock = ContinuousClock()

    /// `limit` requests per `window`, less the share `reserve` kept free for others.
    public init(vendor: Vendor, account: String = "", limit: Int, window: Duration, reserve: Double = 0, ledger: (any RateLedger)? = nil) {
        self.vendor = vendor
        self.account = account
        self.limit = max(1, Int((Double(limit) * (1 - min(max(reserve, 0), 0.99))).rounded(.down)))
        self.window = window
        self.ledger = ledger
    }

    /// Waits until one more request fits in the window; a wait that would pass the run's
    /// deadline (`VendorDeadline`) fails at once, saying so.
    public func admit(operation: String) async throws(VendorError) -> Slot {
        let deadline = VendorDeadline.current
        let wait = RateWaits.shared.begin(vendor)
        defer { RateWaits.shared.end(wait) }
        while true {
            let now = clock.now
            slots = slots.filter { _, finished in finished.map { now - $0 < window } ?? true }
            var until: ContinuousClock.Instant
            if slots.count < limit {
                guard let ledger else { return take(shared: nil) }
                let grant: RateLedgerGrant
                do {
                    grant = try ledger.take(account: account, limit: limit, window: window)
                } catch {
                    throw VendorError(vendor: vendor, operation: operation, status: nil,
                                      message: "the shared rate budget could not be read: \(error)", retryable: false)
                }
                switch grant {
                case .slot(let id): return take(shared: id)
                case .wait(let wait): until = now + max(wait, .milliseconds(10))
                }
            } else {
                // The earliest answered slot frees first; if all are in flight, look again soon.
                until = slots.values.compactMap { $0 }.min().map { $0 + window } ?? now + .milliseconds(20)
            }
            if let deadline, until > deadline {
                let left = max(0, Int((deadline - now).components.seconds))
                throw VendorError(vendor: vendor, operation: operation, status: nil,
                                  message: "\(vendor.rawValue)'s rate budget is spent for \(Self.seconds(until - now)) more; \(left) s of --timeout are left",
                                  retryable: false)
            }
            RateWaits.shared.set(wait, until: until)
            do {
                try await Task.sleep(until: until, clock: clock)
            } catch {
                throw VendorError(vendor: vendor, operation: operation, status: nil, message: "cancelled", retryable: false)
            }
        }
    }

    private func take(shared: Int64?) -> Slot {
        nextSlot += 1
        slots[nextSlot] = .some(nil)
        return Slot(local: nextSlot, shared: shared)
    }

    /// The request in `slot` has its answer (or failed): its window starts now.
    public func finish(_ slot: Slot) {
        if slots[slot.local] != nil { slots[slot.local] = .some(clock.now) }
        if let shared = slot.shared { ledger?.release(shared) }
    }

    /// `38 s`, `0.4 s`.
    static func seconds(_ duration: Duration) -> String {
        let value = duration.inSeconds
        return value >= 10 ? "\(Int(value.rounded())) s" : String(format: "%.1f s", value)
    }

    private static let registry = Mutex<[String: RateBudget]>([:])

    /// The budget shared by every client of one account in this process (keyed by a name
    /// that identifies the account, never a credential).
    public static func shared(vendor: Vendor, account: String, limit: Int, window: Duration, reserve: Double,
                              ledger: (any RateLedger)?) -> RateBudget {
        registry.withLock { budgets in
            let key = "\(vendor.rawValue) \(account) \(limit)/\(window) \(reserve) \(ledger.map { "\(type(of: $0))" } ?? "-")"
            if let budget = budgets[key] { return budget }
            let budget = RateBudget(vendor: vendor, account: account, limit: limit, window: window, reserve: reserve, ledger: ledger)
            budgets[key] = budget
            return budget
        }
    }
}

/// Which vendors' calls wait for their rate budget, and until when (for progress lines:
/// `active911: waiting 38 s for its rate budget`).
public final class RateWaits: Sendable {
    public static let shared = RateWaits()

    /// One call's wait: its vendor, and until when it sleeps (nil while it is not asleep).
    struct Wait: Hashable, Sendable {
        let id: Int
        let vendor: String
    }

    private struct State {
        var next = 0
        var waits: [Wait: ContinuousClock.Instant] = [:]
    }

    private let state = Mutex(State())

    func begin(_ vendor: Vendor) -> Wait {
        state.withLock { state in
            state.next += 1
            return Wait(id: state.next, vendor: vendor.rawValue)
        }
    }

    func set(_ wait: Wait, until: ContinuousClock.Instant) {
        let first = state.withLock { state in
            defer { state.waits[wait] = until }
            return state.waits[wait] == nil
        }
        if first { VendorCallStats.shared.waitedForBudget(Vendor(rawValue: wait.vendor)) }
    }

    /// The call got its slot, failed or was cancelled: it waits no more.
    func end(_ wait: Wait) {
        _ = state.withLock { $0.waits.removeValue(forKey: wait) }
    }

    /// Vendors waiting now, each with the longest time left.
    public func current() -> [(vendor: String, left: Duration)] {
        let now = ContinuousClock.now
        let latest = state.withLock { state in
            state.waits.reduce(into: [String: ContinuousClock.Instant]()) { latest, entry in
                latest[entry.key.vendor] = max(latest[entry.key.vendor] ?? entry.value, entry.value)
            }
        }
        return latest.compactMap { vendor, until in until > now ? (vendor, until - now) : nil }.sorted { $0.vendor < $1.vendor }
    }
}
