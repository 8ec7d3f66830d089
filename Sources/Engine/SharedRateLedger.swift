/// SharedRateLedger.swift: the rate budgets of vendor accounts, counted in the journal's
/// database so that every Roster process of the user shares them.
import Foundation
import Journal
import Vendors

/// A `RateLedger` over the journal's `rate_slots` table.
public struct SharedRateLedger: RateLedger {
    public let store: JournalStore

    public init(_ store: JournalStore) { self.store = store }

    public func take(account: String, limit: Int, window: Duration) throws -> RateLedgerGrant {
        let seconds = window.inSeconds
        switch try store.takeRateSlot(account: account, limit: limit, window: seconds) {
        case .slot(let id): return .slot(id)
        case .wait(let seconds): return .wait(.milliseconds(Int64((seconds * 1000).rounded(.up))))
        }
    }

    public func release(_ slot: Int64) {
        // A slot whose release is lost frees once its process is gone.
        try? store.releaseRateSlot(slot)
    }
}
