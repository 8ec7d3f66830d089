/// AllthenticateAPI.swift: Allthenticate as the emulator serves it: its name, demo account and data, error
/// shape and state dump.
import Foundation
import Hummingbird

/// Allthenticate's emulated API.
public enum AllthenticateAPI: EmulatedAPI {
    public static let name = "allthenticate"

    /// The demo API key.
    public static let apiKey = "demo-allthenticate-api-key"

    public static func demo(seed: UInt64) -> AllthenticateState {
        return AllthenticateState(users: [
            AllthenticateUser(userID: 1, emailID: 101, email: "ada@example.com", firstName: "Ada", lastName: "Lovelace",
                              guest: false, rank: "ADMIN", suspended: false, groups: ["Engineering"], created: "2025-01-10T09:00:00Z",
                              smartcards: [AllthenticateSmartcard(number: "100200300", label: "Ada's badge")], computerUsernames: ["ada"]),
            AllthenticateUser(userID: 2, emailID: 102, email: "grace@example.com", firstName: "Grace", lastName: "Hopper",
                              guest: false, rank: "REGULAR", suspended: false, groups: ["Operations"], created: "2025-02-11T09:00:00Z"),
            AllthenticateUser(userID: 3, emailID: 103, email: "guest@example.com", firstName: "Gus", lastName: "Guest",
                              guest: true, rank: "REGULAR", suspended: false, groups: [], created: "2026-11-01T09:00:00Z"),
        ], invites: [AllthenticateInvite(email: "pending@example.com", addedDate: "2026-11-15T12:00:00Z")], nextID: 4)
    }

    public static func refusal(status: Int, reason: String) -> Response {
        Reply.object(["error": reason], status: HTTPResponse.Status(code: status))
    }

    public static func addRoutes(to group: RouterGroup<BasicRequestContext>, world: EmulatorWorld) {
        AllthenticateRoutes.add(to: group, world: world)
    }

    public static func dump(_ state: AllthenticateState) -> Any { state.dump() }
}
