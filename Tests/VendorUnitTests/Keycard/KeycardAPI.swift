/// KeycardAPI.swift: the test vendor as the emulator serves it.
import Emulator
import Foundation
import Hummingbird

enum KeycardAPI: EmulatedAPI {
    static let name = "keycard"
    static let apiKey = "demo-keycard-key"

    struct Badge: Sendable {
        var holder: String
        var doors: [String]
    }

    struct State: Sendable {
        var badges: [Int: Badge]
        var nextID: Int
    }

    static func demo(seed: UInt64) -> State {
        State(badges: [7: Badge(holder: "ada", doors: ["lobby", "lab"])], nextID: 8)
    }

    static func json(_ id: Int, _ badge: Badge) -> [String: Any] {
        ["badgeId": id, "holder": badge.holder, "doors": badge.doors]
    }

    static func addRoutes(to group: RouterGroup<BasicRequestContext>, world: EmulatorWorld) {
        group.get("v1/badges/:id") { request, context in
            guard request.headers[.init("X-Keycard-Key")!] == apiKey else { return refusal(status: 401, reason: "bad key") }
            guard let id = context.parameters.get("id", as: Int.self),
                  let badge = world[KeycardAPI.self].withLock({ $0.badges[id] }) else {
                return refusal(status: 404, reason: "no such badge")
            }
            return Reply.object(json(id, badge))
        }
        group.post("v1/badges") { request, _ in
            guard request.headers[.init("X-Keycard-Key")!] == apiKey else { return refusal(status: 401, reason: "bad key") }
            var request = request
            guard let data = await request.bodyData(limit: 1 << 16),
                  let body = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let holder = body["holder"] as? String else {
                return refusal(status: 400, reason: "holder is required")
            }
            let badge = Badge(holder: holder, doors: body["doors"] as? [String] ?? [])
            let id = world[KeycardAPI.self].withLock { state in
                defer { state.nextID += 1 }
                state.badges[state.nextID] = badge
                return state.nextID
            }
            return Reply.object(json(id, badge), status: .created)
        }
    }

    static func refusal(status: Int, reason: String) -> Response {
        Reply.object(["problem": reason], status: HTTPResponse.Status(code: status))
    }

    static func dump(_ state: State) -> Any {
        state.badges.keys.sorted().map { json($0, state.badges[$0]!) }
    }
}
