/// Active911API.swift: Active911 as the emulator serves it: its name, demo account and data, error
/// shape and state dump.
import Foundation
import Hummingbird

/// Active911's emulated API.
public enum Active911API: EmulatedAPI {
    public static let name = "active911"
    /// 25 requests a minute per account (VENDORS.md §4).
    public static let rateLimit: RateLimit? = RateLimit(requests: 25, window: .seconds(60))

    /// The demo account: its refresh token, login and agency.
    public static let refreshToken = "demo-active911-refresh-token"
    public static let email = "admin@example.com"
    public static let password = "demo-active911-password"
    public static let agency = "3e597c4a-877f-4c62-9f62-21e8635907e2"

    public static func demo(seed: UInt64) -> Active911State {
        return Active911State(agencies: [
            Active911Agency(id: agency, name: "Example County Fire", members: [
                Active911Member(id: 501, name: "Ada Lovelace", email: "ada@example.com", phone: "+15550101", permissions: ["view_agency"]),
            ]),
            Active911Agency(id: "9b1d7c2e-5a4f-4e0b-8c7d-2f3a1b6c9d0e", name: "Example County EMS", members: []),
        ], nextMemberID: 502)
    }

    public static func refusal(status: Int, reason: String) -> Response {
        Reply.object(["success": false, "result": NSNull(), "message": reason, "code": status, "token": NSNull()],
                     status: HTTPResponse.Status(code: status))
    }

    public static func addRoutes(to group: RouterGroup<BasicRequestContext>, world: EmulatorWorld) {
        Active911Routes.add(to: group, world: world)
    }

    /// `POST /_emulator/active911/expire-tokens`: every access token issued so far expires.
    public static func addControlRoutes(to group: RouterGroup<BasicRequestContext>, world: EmulatorWorld) {
        group.post("expire-tokens") { _, _ in
            Active911Routes.expireAccessTokens(world: world)
            return Reply.object(["expired": true])
        }
    }

    public static func dump(_ state: Active911State) -> Any { state.dump() }
}
