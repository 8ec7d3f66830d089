/// VendorModules.swift: what a vendor declares to be a Lua module, and the modules of a
/// run built from those declarations.
import LuaHost
import Vendors

/// A vendor's Lua module, declared once: its summary and operations. Each vendor's
/// `<Vendor>Module` conforms; the registry lists them.
public protocol VendorModule: Sendable {
    static var vendor: Vendor { get }
    static var summary: String { get }
    static var operations: [VendorOperation] { get }
}

/// The Lua modules of the vendors declared.
public enum VendorModules {
    /// The modules of `declarations`, whose calls go through `session`.
    public static func modules(_ declarations: [any VendorModule.Type], for session: VendorSession) -> [LuaModule] {
        declarations.map { declaration in
            LuaModule(declaration.vendor.rawValue, declaration.summary,
                      functions: declaration.operations.map { $0.function(in: session) },
                      metatables: [VendorErrorObject.metatable, DryRun.metatable])
        }
    }

    /// The modules as declared, for `help`, `roster docs` and `roster stubs`.
    public static func documented(_ declarations: [any VendorModule.Type]) -> [LuaModule] {
        modules(declarations, for: .documentation)
    }
}
