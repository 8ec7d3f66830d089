/// VendorRegistry.swift: the vendors Roster knows — the one list that names them. Tenants,
/// configuration, sessions, the emulator, docs, stubs and the command line iterate it.
import Bindings
import Emulator
import LuaHost
import Vendors

/// The vendors a build of Roster knows, in the order docs and configurations list them.
public struct VendorRegistry: Sendable {
    public let units: [VendorUnit]

    public init(_ units: [VendorUnit]) {
        self.units = units
    }

    /// The five vendors Roster ships with.
    public static let standard = VendorRegistry([.activeconnect, .encore, .guardant, .active911, .allthenticate])

    /// This registry and `units` after it.
    public func adding(_ more: [VendorUnit]) -> VendorRegistry { VendorRegistry(units + more) }

    public var vendors: [Vendor] { units.map { $0.vendor } }

    public func unit(named name: String) -> VendorUnit? { units.first { $0.vendor.rawValue == name } }

    /// The vendors' Lua module declarations.
    public var modules: [any VendorModule.Type] { units.map { $0.module } }

    /// The vendor modules, whose calls go through `session`.
    public func luaModules(for session: VendorSession) -> [LuaModule] { VendorModules.modules(modules, for: session) }

    /// The vendor modules as declared, for `help`, `roster docs`, `roster stubs`.
    public var documentedModules: [LuaModule] { VendorModules.documented(modules) }

    /// The vendors' emulated APIs.
    public var emulatedAPIs: [any EmulatedAPI.Type] { units.map { $0.emulatedAPI } }

    /// An emulator of every vendor here.
    public func emulatorConfiguration(faults: FaultSpec = FaultSpec(), seed: UInt64 = 1, rateLimits: [String: RateLimit] = [:]) -> EmulatorConfiguration {
        EmulatorConfiguration(apis: emulatedAPIs, faults: faults, seed: seed, rateLimits: rateLimits)
    }

    /// The name of the tenant the built-in emulator serves when no configuration is found.
    public static let emulatorTenantName = "emulator"

    /// Every vendor pointed at `emulator`, with its demo account: the demo configuration,
    /// read as any `roster.toml` is.
    public func emulatorTenant(_ emulator: RunningEmulator, name: String = emulatorTenantName) throws(ConfigurationError) -> Tenant {
        try emulatorTenant(origin: emulator.origin, name: name)
    }

    /// Every vendor pointed at the emulator at `origin` (`http://127.0.0.1:PORT`).
    public func emulatorTenant(origin: String, name: String = emulatorTenantName) throws(ConfigurationError) -> Tenant {
        try DemoConfiguration(registry: self).tenant(origin: origin, name: name)
    }
}
