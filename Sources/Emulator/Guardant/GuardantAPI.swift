/// GuardantAPI.swift: Guardant as the emulator serves it: its name, demo account and data, error
/// shape and state dump.
import Foundation
import Hummingbird

/// Guardant's emulated API.
public enum GuardantAPI: EmulatedAPI {
    public static let name = "guardant"

    /// The demo API token.
    public static let token = "demo-guardant-token"

    public static func demo(seed: UInt64) -> GuardantState {
        func guardantUser(_ id: Int, _ email: String, _ first: String, _ last: String, role: Int, archived: Bool = false) -> GuardantUser {
            GuardantUser(id: id, detailsID: id + 1, email: email, password: "Demo-Passw0rd", confirmed: true, active: !archived,
                         firstName: first, lastName: last, companyName: "Example Ltd", phone: "+4930000000",
                         archived: archived, archivedAt: archived ? 1_700_000_000 : 0, roleID: role)
        }
        return GuardantState(users: [
            guardantUser(10026, "ada@example.com", "Ada", "Lovelace", role: 5),
            guardantUser(10028, "grace@example.com", "Grace", "Hopper", role: 2),
            guardantUser(10030, "alan@example.com", "Alan", "Turing", role: 3, archived: true),
        ], nextID: 10032)
    }

    public static func refusal(status: Int, reason: String) -> Response {
        Reply.object(["code": status, "message": reason], status: HTTPResponse.Status(code: status))
    }

    public static func addRoutes(to group: RouterGroup<BasicRequestContext>, world: EmulatorWorld) {
        GuardantRoutes.add(to: group, world: world)
    }

    public static func dump(_ state: GuardantState) -> Any { state.dump() }
}
