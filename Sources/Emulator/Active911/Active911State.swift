/// Active911State.swift: Active911 agencies, members, access tokens and the per-account
/// request budget (VENDORS.md §4).
import Foundation

struct Active911Member {
    var id: Int
    var name: String
    var email: String
    var phone: String
    var permissions: [String]

    var json: [String: Any] { ["id": id, "name": name, "email": email, "phone": phone, "permissions": permissions] }
}

struct Active911Agency {
    var id: String
    var name: String
    var members: [Active911Member]
}

/// The emulated vendor's accounts (its `EmulatedAPI.State`).
public struct Active911State: Sendable {
    var agencies: [Active911Agency]
    var nextMemberID: Int
    /// Access tokens issued, with their expiry (Unix milliseconds).
    var accessTokens: [String: Int64] = [:]
    var tokensIssued = 0
    /// Recent request times per account (refresh token), for the rate limit.
    var recentRequests: [String: [Date]] = [:]

    static let knownPermissions: Set<String> = ["view_agency", "edit_agency", "edit_billing"]

    func dump() -> [[String: Any]] {
        agencies.map { ["id": $0.id, "name": $0.name, "members": $0.members.map(\.json)] }
    }
}
