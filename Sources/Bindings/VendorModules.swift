/// VendorModules.swift: the five vendor modules, declared once, for a run or for docs.
import LuaHost
import Vendors

/// The Lua modules `activeconnect`, `encore`, `guardant`, `active911` and `allthenticate`.
public enum VendorModules {
    /// Each vendor's summary and operations, in Vendor order.
    static let declarations: [(vendor: Vendor, summary: String, operations: [VendorOperation])] = [
        (.activeconnect, ActiveconnectModule.summary, ActiveconnectModule.operations),
        (.encore, EncoreModule.summary, EncoreModule.operations),
        (.guardant, GuardantModule.summary, GuardantModule.operations),
        (.active911, Active911Module.summary, Active911Module.operations),
        (.allthenticate, AllthenticateModule.summary, AllthenticateModule.operations),
    ]

    /// The modules whose calls go through `session`.
    public static func modules(for session: VendorSession) -> [LuaModule] {
        declarations.map { declaration in
            LuaModule(declaration.vendor.rawValue, declaration.summary,
                      functions: declaration.operations.map { $0.function(in: session) },
                      metatables: [VendorErrorObject.metatable, DryRun.metatable])
        }
    }

    /// The modules as declared, for `help`, `roster docs` and `roster stubs`.
    public static let documented: [LuaModule] = modules(for: .documentation)
}
