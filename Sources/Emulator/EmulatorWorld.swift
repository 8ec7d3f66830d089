/// EmulatorWorld.swift: everything an emulator remembers: each vendor's accounts and the
/// fault injector, behind locks (handlers run concurrently on NIO's threads).
import Foundation
import Synchronization

/// The state of all five emulated vendors.
public final class EmulatorWorld: Sendable {
    public let configuration: EmulatorConfiguration
    let activeconnect: Mutex<ActiveconnectState>
    let encore: Mutex<EncoreState>
    let faults: FaultInjector
    private let originStorage = Mutex("http://127.0.0.1")

    init(_ configuration: EmulatorConfiguration) {
        self.configuration = configuration
        let demo = DemoTenant(seed: configuration.seed)
        activeconnect = Mutex(demo.activeconnect)
        encore = Mutex(demo.encore)
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
    }

    /// Every vendor's state as JSON-ready values (the control API's dump).
    public func dump() -> [String: Any] {
        [
            "activeconnect": activeconnect.withLock { $0.dump() },
            "encore": encore.withLock { $0.dump() },
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
        public static let active911Agency = "3e597c4a-877f-4c62-9f62-21e8635907e2"
        public static let allthenticateAPIKey = "demo-allthenticate-api-key"
    }

    var activeconnect: ActiveconnectState
    var encore: EncoreState

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
    }
}
