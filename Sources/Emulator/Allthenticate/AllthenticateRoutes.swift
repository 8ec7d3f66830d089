/// AllthenticateRoutes.swift: the Allthenticate Users API (VENDORS.md §5), under
/// `/allthenticate`. GET parameters are in the query; POST, PUT and DELETE parameters in a
/// form body, lists as JSON strings. Failures are 400 or 500 with `{"error"}`.
import Foundation
import Hummingbird

enum AllthenticateRoutes {
    static let ranks: Set<String> = ["REGULAR", "ADMIN", "SUPER"]

    static func add(to group: RouterGroup<BasicRequestContext>, world: EmulatorWorld) {
        group.get("multipleusers") { request, _ in
            authenticated(request) {
                let includeEmail = request.query("email") == "true"
                let tag = request.query("user_tag")
                let users = world[AllthenticateAPI.self].withLock { state in
                    state.users.filter { tag == nil || (tag == "GUEST" ? $0.guest : (!$0.guest && $0.rank == tag)) }
                        .map { $0.json(includeEmail: includeEmail) }
                }
                return Reply.object(users)
            }
        }
        group.get("user") { request, _ in
            authenticated(request) {
                withUser(world, emailID: request.query("email_id")) { user in
                    Reply.object(["policies": [String](), "computer_usernames": user.computerUsernames, // strings, as the page shows
                                  "smartcards": user.smartcards.map(\.json)])
                }
            }
        }
        group.delete("user") { request, _ in
            await withForm(request, world) { form in
                world[AllthenticateAPI.self].withLock { state in
                    let index = form["email_id"].flatMap(Int.init).flatMap { id in state.users.firstIndex { $0.emailID == id } }
                        ?? form["email"].flatMap { email in state.users.firstIndex { $0.email == email } }
                    guard form["email_id"] != nil || form["email"] != nil else { return error("email_id or email is required") }
                    guard let index else { return error("user not found") }
                    let removed = state.users.remove(at: index)
                    return success("\(removed.email) removed from the organization")
                }
            }
        }
        group.post("modifyallusernames") { request, _ in
            await withForm(request, world) { form in
                guard let names = jsonList(form["computer_usernames"]) else {
                    return error("computer_usernames must be a JSON list of {\"computer_username\": name}")
                }
                let usernames = names.compactMap { $0["computer_username"]?.string }
                guard usernames.count == names.count else { return error("each entry needs a computer_username string") }
                return modifyUser(world, form["email_id"]) { user in
                    user.computerUsernames = usernames
                    return success("computer usernames updated")
                }
            }
        }
        group.post("modifyrank") { request, _ in
            await withForm(request, world) { form in
                guard let rank = form["rank"], ranks.contains(rank) else { return error("rank must be REGULAR, ADMIN or SUPER") }
                guard let id = form["admin_user_id"].flatMap(Int.init) else { return error("admin_user_id is required") }
                return world[AllthenticateAPI.self].withLock { state in
                    guard let index = state.users.firstIndex(where: { $0.userID == id }) else { return error("user not found") }
                    state.users[index].rank = rank
                    return success("rank set to \(rank)")
                }
            }
        }
        group.get("modifysmartcard") { request, _ in
            authenticated(request) {
                withUser(world, emailID: request.query("email_id")) { user in
                    Reply.object(["email_id": user.emailID, "smartcards": user.smartcards.map(\.json)])
                }
            }
        }
        group.post("modifysmartcard") { request, _ in
            await withForm(request, world) { form in
                guard let entries = jsonList(form["smartcards"]) else { return error("smartcards must be a JSON list of {\"number\", \"label\"}") }
                var cards: [AllthenticateSmartcard] = []
                for entry in entries {
                    guard let number = entry["number"]?.string,
                          !number.isEmpty, number.allSatisfy(\.isASCII), number.allSatisfy(\.isNumber) else {
                        return error("smartcard numbers are strings of digits")
                    }
                    cards.append(AllthenticateSmartcard(number: number, label: entry["label"]?.string ?? ""))
                }
                let allowDuplicates = form["allow_duplicates"] == "true"
                return world[AllthenticateAPI.self].withLock { state in
                    guard let id = form["email_id"].flatMap(Int.init), let index = state.users.firstIndex(where: { $0.emailID == id }) else {
                        return error("user not found")
                    }
                    if !allowDuplicates {
                        let others = Set(state.users.enumerated().filter { $0.offset != index }.flatMap { $0.element.smartcards.map(\.number) })
                        if let taken = cards.first(where: { others.contains($0.number) }) {
                            return error("smartcard \(taken.number) is already assigned (allow_duplicates=true to allow)")
                        }
                    }
                    state.users[index].smartcards = cards
                    return success("smartcards updated")
                }
            }
        }
        group.post("promoteguest") { request, _ in
            await withForm(request, world) { form in
                modifyUser(world, form["email_id"]) { user in
                    guard user.guest else { return error("\(user.email) is not a guest") }
                    user.guest = false
                    return success("\(user.email) promoted")
                }
            }
        }
        group.post("togglesuspension") { request, _ in
            await withForm(request, world) { form in
                modifyUser(world, form["email_id"]) { user in
                    user.suspended.toggle()
                    return Reply.object(["success": user.suspended ? "user suspended" : "user reinstated", "suspended": user.suspended])
                }
            }
        }
        group.get("invites") { request, _ in
            authenticated(request) {
                Reply.object(world[AllthenticateAPI.self].withLock { $0.invites.map { ["email": $0.email, "added_date": $0.addedDate] } })
            }
        }
        group.put("invites") { request, _ in
            await withForm(request, world) { form in
                guard let list = jsonList(form["emails"]), !list.isEmpty, list.allSatisfy({ $0.string != nil }) else {
                    return error("emails must be a non-empty JSON list of strings")
                }
                let emails = list.compactMap(\.string)
                return world[AllthenticateAPI.self].withLock { state in
                    var invited: [String] = [], exists: [String] = [], invalid: [String] = []
                    for email in emails {
                        if !email.contains("@") || email.hasPrefix("@") || email.hasSuffix("@") {
                            invalid.append(email)
                        } else if state.users.contains(where: { $0.email == email }) || state.invites.contains(where: { $0.email == email }) {
                            exists.append(email)
                        } else {
                            state.invites.append(AllthenticateInvite(email: email, addedDate: "2026-01-01T00:00:00Z"))
                            invited.append(email)
                        }
                    }
                    let noEmail = form["no_email"] == "true"
                    return Reply.object(["success": "invitations processed", "added": invited, "invited": noEmail ? [] : invited,
                                         "exists": exists, "invalid": invalid])
                }
            }
        }
        group.post("invites") { request, _ in
            await withForm(request, world) { form in
                guard let email = form["email"] else { return error("email is required") }
                let pending = world[AllthenticateAPI.self].withLock { $0.invites.contains { $0.email == email } }
                return pending ? success("invitation resent to \(email)") : error("no pending invitation for \(email)")
            }
        }
    }

    static func error(_ message: String, status: HTTPResponse.Status = .badRequest) -> Response {
        Reply.object(["error": message], status: status)
    }

    static func success(_ message: String) -> Response { Reply.object(["success": message]) }

    private static func authenticated(_ request: Request, _ body: () -> Response) -> Response {
        guard request.headers[.authorization] == "Bearer " + AllthenticateAPI.apiKey else {
            return error("invalid or missing API key", status: .unauthorized)
        }
        return body()
    }

    /// Checks the key, parses the form body, and runs `body`.
    private static func withForm(_ request: Request, _ world: EmulatorWorld, _ body: ([String: String]) -> Response) async -> Response {
        guard request.headers[.authorization] == "Bearer " + AllthenticateAPI.apiKey else {
            return error("invalid or missing API key", status: .unauthorized)
        }
        var request = request
        guard let data = await request.bodyData(limit: world.configuration.maximumBodySize) else {
            return error("request body too large")
        }
        return body(parseForm(String(decoding: data, as: UTF8.self)))
    }

    /// `application/x-www-form-urlencoded` pairs (`+` is a space).
    static func parseForm(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            if let key = parts.first { fields[key] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }

    private static func jsonList(_ text: String?) -> [JSONValue]? {
        guard let text else { return nil }
        return JSONValue.parse(Data(text.utf8))?.array
    }

    private static func withUser(_ world: EmulatorWorld, emailID: String?, _ body: (AllthenticateUser) -> Response) -> Response {
        guard let id = emailID.flatMap(Int.init) else { return error("email_id is required") }
        guard let user = world[AllthenticateAPI.self].withLock({ $0.users.first { $0.emailID == id } }) else { return error("user not found") }
        return body(user)
    }

    private static func modifyUser(_ world: EmulatorWorld, _ emailID: String?, _ change: (inout AllthenticateUser) -> Response) -> Response {
        guard let id = emailID.flatMap(Int.init) else { return error("email_id is required") }
        return world[AllthenticateAPI.self].withLock { state in
            guard let index = state.users.firstIndex(where: { $0.emailID == id }) else { return error("user not found") }
            return change(&state.users[index])
        }
    }
}
