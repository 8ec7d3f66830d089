/// ActiveconnectAPI.swift: Activeconnect as the emulator serves it: its name, demo account and data, error
/// shape and state dump.
import Foundation
import Hummingbird

/// Activeconnect's emulated API.
public enum ActiveconnectAPI: EmulatedAPI {
    public static let name = "activeconnect"

    /// The demo application and its secret.
    public static let applicationID = "DEMOAPP"
    public static let applicationSecret = "demo-activeconnect-secret-0123456789"

    public static func demo(seed: UInt64) -> ActiveconnectState {
        return ActiveconnectState(applications: [
            applicationID: ActiveconnectApplication(
                secret: applicationSecret,
                users: [
                    "ada@example.com": ActiveconnectUser(registeredDevice: true),
                    "grace@example.com": ActiveconnectUser(),
                    "linus@example.com": ActiveconnectUser(),
                ]),
        ])
    }

    public static func refusal(status: Int, reason: String) -> Response {
        Reply.text(reason, status: HTTPResponse.Status(code: status))
    }

    public static func addRoutes(to group: RouterGroup<BasicRequestContext>, world: EmulatorWorld) {
        ActiveconnectRoutes.add(to: group, world: world)
    }

    /// `POST /_emulator/activeconnect/APP/USER/register-device`: the user opened the link.
    public static func addControlRoutes(to group: RouterGroup<BasicRequestContext>, world: EmulatorWorld) {
        group.post(":app/:user/register-device") { _, context in
            let app = context.parameters.get("app") ?? ""
            let user = ActiveconnectRoutes.decodeUser(context.parameters.get("user") ?? "")
            guard ActiveconnectRoutes.registerDevice(world: world, app: app, user: user) else {
                return Reply.object(["error": "no pending registration link for \(user) in \(app)"], status: .notFound)
            }
            return Reply.object(["device_registered": true])
        }
    }

    public static func dump(_ state: ActiveconnectState) -> Any { state.dump() }
}
