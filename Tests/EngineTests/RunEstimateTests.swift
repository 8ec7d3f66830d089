/// RunEstimateTests.swift: what a dry run says of the real run's length at the vendors'
/// limits, batched operations counted as the requests they become.
@testable import Bindings
import Engine
import Testing
import Vendors

@Suite struct RunEstimateTests {
    static func planned(_ vendor: Vendor, _ operation: String, _ count: Int) -> [VendorCallRecord] {
        (0..<count).map { _ in VendorCallRecord(vendor: vendor, operation: operation, effect: "write", arguments: [], outcome: .planned, duration: .zero) }
    }

    static let tenant = Tenant(name: "t", [Active911Configuration(refreshToken: Secret("x"))])

    @Test func activeLimitsTheRunAndBatchingShortensIt() {
        let plan = Self.planned(.active911, "create_member", 120) + Self.planned(.encore, "create_user", 120)
        // One by one: 120 requests, 95 past the first minute's 25: about 4 minutes.
        #expect(RunEstimate(plan: plan, tenant: Self.tenant).text == "about 240 changes; active911's 25 a minute makes this about 4 min")
        // Four rows at a time share requests: 30, 5 past the first 25.
        #expect(RunEstimate(plan: plan, tenant: Self.tenant, together: 4).text == "about 240 changes; active911's 25 a minute makes this about 12 s")
        // Within one window's budget, the limit costs nothing: no estimate to give.
        #expect(RunEstimate(plan: Self.planned(.active911, "create_member", 20), tenant: Self.tenant).text == nil)
    }
}
