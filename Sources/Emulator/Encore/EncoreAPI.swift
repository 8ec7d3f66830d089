/// EncoreAPI.swift: Encore as the emulator serves it: its name, demo account and data, error
/// shape and state dump.
import Foundation
import Hummingbird

/// Encore's emulated API.
public enum EncoreAPI: EmulatedAPI {
    public static let name = "encore"

    /// The demo subscription key.
    public static let subscriptionKey = "demo-encore-subscription-key"

    public static func demo(seed: UInt64) -> EncoreState {
        return EncoreState(users: [
            EncoreUser(UserId: 1001, UserName: "ada", Password: "Secret#2024", GroupName: "Operations",
                       FirstName: "Ada", LastName: "Lovelace", EmployeeNumber: "E1001", Email: "ada@example.com",
                       Phone: "5550101", RoleId: 1, IsActive: true, LicenseType: 1),
            EncoreUser(UserId: 1002, UserName: "grace", Password: "Secret#2024", GroupName: "Operations",
                       FirstName: "Grace", LastName: "Hopper", EmployeeNumber: "E1002", Email: "grace@example.com",
                       Phone: "5550102", RoleId: 3, IsActive: true, LicenseType: 1),
            EncoreUser(UserId: 1003, UserName: "linus", Password: "Secret#2024", GroupName: "Field",
                       FirstName: "Linus", LastName: "Torvalds", EmployeeNumber: "E1003", Email: "linus@example.com",
                       Phone: "5550103", RoleId: 3, IsActive: false, LicenseType: 2),
        ], nextId: 1004 + Int(seed % 1000))
    }

    public static func refusal(status: Int, reason: String) -> Response {
        Reply.object([["Code": status, "Message": reason]], status: HTTPResponse.Status(code: status))
    }

    public static func addRoutes(to group: RouterGroup<BasicRequestContext>, world: EmulatorWorld) {
        EncoreRoutes.add(to: group, world: world)
    }

    public static func dump(_ state: EncoreState) -> Any { state.dump() }
}
