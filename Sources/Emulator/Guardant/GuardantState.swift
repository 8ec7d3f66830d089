/// GuardantState.swift: Guardant vendor-portal users and roles, in the portal's
/// lowercase response shapes (VENDORS.md §3).

/// A role; Administrator (1) exists but is not in the roles list (assumed).
struct GuardantRole {
    var id: Int
    var name: String
    var createOrders, createProducts, createUsers, manageProtect, readVendorBalance: Bool

    static let all: [GuardantRole] = [
        GuardantRole(id: 1, name: "Administrator", createOrders: true, createProducts: true, createUsers: true, manageProtect: true, readVendorBalance: true),
        GuardantRole(id: 2, name: "Supervisor", createOrders: true, createProducts: true, createUsers: false, manageProtect: true, readVendorBalance: true),
        GuardantRole(id: 3, name: "Product manager", createOrders: false, createProducts: true, createUsers: false, manageProtect: false, readVendorBalance: false),
        GuardantRole(id: 4, name: "Sales manager", createOrders: true, createProducts: false, createUsers: false, manageProtect: false, readVendorBalance: false),
        GuardantRole(id: 5, name: "Developer", createOrders: false, createProducts: false, createUsers: false, manageProtect: true, readVendorBalance: false),
    ]

    /// The listed roles (all but Administrator).
    static var listed: [GuardantRole] { all.filter { $0.id != 1 } }

    var json: [String: Any] {
        ["_id": id, "nameeng": name, "createorders": createOrders, "createproducts": createProducts,
         "createusers": createUsers, "manageprotect": manageProtect, "readvendorbalance": readVendorBalance]
    }
}

struct GuardantUser {
    var id: Int
    var detailsID: Int
    var email: String
    var password: String
    var confirmed: Bool
    var active: Bool
    var firstName: String
    var lastName: String
    var companyName: String
    var phone: String
    var archived: Bool
    var archivedAt: Int
    var roleID: Int

    var json: [String: Any] {
        let role = GuardantRole.all.first { $0.id == roleID } ?? GuardantRole.all[0]
        var roleJSON = role.json
        roleJSON["readvendorbalance"] = nil // the user's role carries fewer fields than the list
        return [
            "_id": id, "confirmed": confirmed, "email": email, "status": active,
            "userdetails": [
                "_id": detailsID, "firstname": firstName, "lastname": lastName, "lastvisitdate": 0,
                "archived": archived, "archivationdate": archivedAt, "role": roleJSON, "settings": ["language": 0],
            ] as [String: Any],
        ]
    }
}

/// The emulated vendor's accounts (its `EmulatedAPI.State`).
public struct GuardantState: Sendable {
    var users: [GuardantUser]
    var nextID: Int

    func dump() -> [[String: Any]] {
        users.map { ["_id": $0.id, "email": $0.email, "status": $0.active, "archived": $0.archived, "role": $0.roleID] }
    }
}
