/// EmulatorWorld.swift: everything an emulator remembers: each vendor's accounts and the
/// fault injector, behind locks (handlers run concurrently on NIO's threads).
import Foundation
import Synchronization

/// The state of all five emulated vendors.
public final class EmulatorWorld: Sendable {
    public let configuration: EmulatorConfiguration
    let activeconnect: Mutex<ActiveconnectState>
    let encore: Mutex<EncoreState>
    let guardant: Mutex<GuardantState>
    let active911: Mutex<Active911State>
    let allthenticate: Mutex<AllthenticateState>
    /// The fault injector (the control API changes it; so may tests).
    public let faults: FaultInjector
    private let originStorage = Mutex("http://127.0.0.1")

    init(_ configuration: EmulatorConfiguration) {
        self.configuration = configuration
        let demo = DemoTenant(seed: configuration.seed)
        activeconnect = Mutex(demo.activeconnect)
        encore = Mutex(demo.encore)
        guardant = Mutex(demo.guardant)
        active911 = Mutex(demo.active911)
        allthenticate = Mutex(demo.allthenticate)
        faults = FaultInjector(configuration.faults, seed: configuration.seed)
    }

    /// `http://host:port` the emulator answers on (links it issues point here).
    var origin: String {
        get { originStorage.withLock { $0 } }
        set { originStorage.withLock { $0 = newValue } }
    }

    /// Puts every vendor back to the seeded demo data.
    public func reset() {
        let demo = DemoTenant(seed: configuration.seed)
        activeconnect.withLock { $0 = demo.activeconnect }
        encore.withLock { $0 = demo.encore }
        guardant.withLock { $0 = demo.guardant }
        active911.withLock { $0 = demo.active911 }
        allthenticate.withLock { $0 = demo.allthenticate }
    }

    /// Every vendor's state as JSON-ready values (the control API's dump).
    public func dump() -> [String: Any] {
        [
            "activeconnect": activeconnect.withLock { $0.dump() },
            "encore": encore.withLock { $0.dump() },
            "guardant": guardant.withLock { $0.dump() },
            "active911": active911.withLock { $0.dump() },
            "allthenticate": allthenticate.withLock { $0.dump() },
            "faults": faults.spec.description,
        ]
    }
}

/// The documented demo tenant: the same data for the same seed.
public struct DemoTenant {
    /// Demo credentials, printed by `roster emulator` and written by `--write-config`.
    public enum Credentials {
        public static let activeconnectApplicationID = "DEMOAPP"
        public static let activeconnectSecret = "demo-activeconnect-secret-0123456789"
        public static let encoreSubscriptionKey = "demo-encore-subscription-key"
        public static let guardantToken = "demo-guardant-token"
        public static let active911RefreshToken = "demo-active911-refresh-token"
        public static let active911Email = "admin@example.com"
        public static let active911Password = "demo-active911-password"
        public static let active911Agency = "3e597c4a-877f-4c62-9f62-21e8635907e2"
        public static let allthenticateAPIKey = "demo-allthenticate-api-key"
    }

    var activeconnect: ActiveconnectState
    var encore: EncoreState
    var guardant: GuardantState
    var active911: Active911State
    var allthenticate: AllthenticateState

    init(seed: UInt64) {
        activeconnect = ActiveconnectState(applications: [
            Credentials.activeconnectApplicationID: ActiveconnectApplication(
                secret: Credentials.activeconnectSecret,
                users: [
                    "ada@example.com": ActiveconnectUser(registeredDevice: true),
                    "grace@example.com": ActiveconnectUser(),
                    "linus@example.com": ActiveconnectUser(),
                ]),
        ])
        encore = EncoreState(users: [
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
        func guardantUser(_ id: Int, _ email: String, _ first: String, _ last: String, role: Int, archived: Bool = false) -> GuardantUser {
            GuardantUser(id: id, detailsID: id + 1, email: email, password: "Demo-Passw0rd", confirmed: true, active: !archived,
                         firstName: first, lastName: last, companyName: "Example Ltd", phone: "+4930000000",
                         archived: archived, archivedAt: archived ? 1_700_000_000 : 0, roleID: role)
        }
        guardant = GuardantState(users: [
            guardantUser(10026, "ada@example.com", "Ada", "Lovelace", role: 5),
            guardantUser(10028, "grace@example.com", "Grace", "Hopper", role: 2),
            guardantUser(10030, "alan@example.com", "Alan", "Turing", role: 3, archived: true),
        ], nextID: 10032)
        active911 = Active911State(agencies: [
            Active911Agency(id: Credentials.active911Agency, name: "Example County Fire", members: [
                Active911Member(id: 501, name: "Ada Lovelace", email: "ada@example.com", phone: "+15550101", permissions: ["view_agency"]),
            ]),
            Active911Agency(id: "9b1d7c2e-5a4f-4e0b-8c7d-2f3a1b6c9d0e", name: "Example County EMS", members: []),
        ], nextMemberID: 502)
        allthenticate = AllthenticateState(users: [
            AllthenticateUser(userID: 1, emailID: 101, email: "ada@example.com", firstName: "Ada", lastName: "Lovelace",
                              guest: false, rank: "ADMIN", suspended: false, groups: ["Engineering"], created: "2025-01-10T09:00:00Z",
                              smartcards: [AllthenticateSmartcard(number: "100200300", label: "Ada's badge")], computerUsernames: ["ada"]),
            AllthenticateUser(userID: 2, emailID: 102, email: "grace@example.com", firstName: "Grace", lastName: "Hopper",
                              guest: false, rank: "REGULAR", suspended: false, groups: ["Operations"], created: "2025-02-11T09:00:00Z"),
            AllthenticateUser(userID: 3, emailID: 103, email: "guest@example.com", firstName: "Gus", lastName: "Guest",
                              guest: true, rank: "REGULAR", suspended: false, groups: [], created: "2026-11-01T09:00:00Z"),
        ], invites: [AllthenticateInvite(email: "pending@example.com", addedDate: "2026-11-15T12:00:00Z")], nextID: 4)
    }
}
