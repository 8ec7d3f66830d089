/// AllthenticateState.swift: Allthenticate users, guests, ranks, smartcards, computer
/// usernames, suspension and invites (VENDORS.md §5).

struct AllthenticateSmartcard {
    var number: String
    var label: String
    var json: [String: Any] { ["number": number, "label": label] }
}

struct AllthenticateUser {
    var userID: Int
    var emailID: Int
    var email: String
    var firstName: String
    var lastName: String
    var guest: Bool
    var rank: String
    var suspended: Bool
    var groups: [String]
    var created: String
    var smartcards: [AllthenticateSmartcard] = []
    var computerUsernames: [String] = []

    func json(includeEmail: Bool) -> [String: Any] {
        var fields: [String: Any] = [
            "user_id": userID, "email_id": emailID, "first_name": firstName, "last_name": lastName,
            "name": "\(firstName) \(lastName)", "username": email.split(separator: "@").first.map(String.init) ?? email,
            "ad_status": suspended ? "SUSPENDED" : "ACTIVE", "email_status": "VERIFIED", "groups": groups,
            "created": created, "confirmed": !guest, "active_date": created, "device_added": !guest,
            "unique_id": "u-\(userID)", "user_tag": guest ? "GUEST" : rank,
        ]
        if includeEmail { fields["email"] = email }
        return fields
    }
}

struct AllthenticateInvite {
    var email: String
    var addedDate: String
}

/// The emulated vendor's accounts (its `EmulatedAPI.State`).
public struct AllthenticateState: Sendable {
    var users: [AllthenticateUser]
    var invites: [AllthenticateInvite]
    var nextID: Int

    func dump() -> [[String: Any]] {
        users.map { $0.json(includeEmail: true).merging(["smartcards": $0.smartcards.map(\.json), "computer_usernames": $0.computerUsernames]) { $1 } }
    }
}
