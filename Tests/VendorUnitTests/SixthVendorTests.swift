/// SixthVendorTests.swift: a vendor added from outside Roster's sources (Keycard, in this
/// test target) works end to end — configuration, a Lua call, dry-run plan, docs, stubs
/// and the emulator — with nothing but its own files and one registry line.
import Bindings
import Emulator
import Engine
import Foundation
import LuaHost
import Testing
import Vendors
import TestSupport

@Suite struct SixthVendorTests {
    /// The standard registry plus the test vendor: the "registry line".
    static let registry = VendorRegistry.standard.adding([.keycard])

    @Test func theEmulatorServesItBesideTheFive() async throws {
        let emulator = try await Emulator.start(Self.registry.emulatorConfiguration())
        defer { Task { await emulator.stop() } }
        let client = KeycardClient(KeycardConfiguration(baseURL: emulator.baseURL("keycard"), apiKey: Secret(KeycardAPI.apiKey)))
        #expect(try await client.badge(7)["holder"] == .string("ada"))
        // Its errors in its own shape, scrubbed and mapped by the shared skeleton.
        await #expect(throws: VendorError.self) { try await client.badge(99) }
        do {
            _ = try await client.badge(99)
        } catch {
            #expect(error.description == "keycard.get_badge: HTTP 404: no such badge")
        }
        // An unknown path under its prefix answers in its shape too.
        let unknown = try await TestHTTP.get(emulator.baseURL("keycard") + "/nope")
        #expect(unknown.status == 404)
        #expect(unknown.text.contains("\"problem\""))
        #expect(emulator.world.dump()["keycard"] != nil)
        await emulator.stop()
    }

    @Test func configurationReadsItsSectionAndRefusesMistakes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keycard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("roster.toml").path
        try DemoConfiguration(registry: Self.registry).write(to: path, origin: "http://127.0.0.1:9")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("[tenants.demo.keycard]\nbase_url = \"http://127.0.0.1:9/keycard\"\napi_key = { file = \"secrets/keycard.key\" }"))
        let tenant = try RosterConfiguration.load(path: path, registry: Self.registry).tenant(named: nil, environment: [:])
        #expect(tenant.vendors.last == .keycard)
        #expect(tenant[KeycardConfiguration.self]?.apiKey.reveal() == KeycardAPI.apiKey)
        #expect(tenant[KeycardConfiguration.self]?.baseURL == "http://127.0.0.1:9/keycard")

        let mistake = "[tenants.acme.keycard]\napi_key = { env = \"K\" }\ndoor = \"x\"\n"
        try Data(mistake.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ConfigurationError.self) { try RosterConfiguration.load(path: path, registry: Self.registry) }
        do {
            _ = try RosterConfiguration.load(path: path, registry: Self.registry)
        } catch {
            #expect(error.description.hasSuffix("tenants.acme.keycard.door: unknown key; remove it; [tenants.acme.keycard] takes base_url, api_key"))
        }
        // Without the registry line, the section is not a vendor.
        #expect(throws: ConfigurationError.self) { try RosterConfiguration.load(path: path) }
    }

    @Test func scriptsCallItAndDryRunsPlanIt() async throws {
        let emulator = try await Emulator.start(Self.registry.emulatorConfiguration())
        defer { Task { await emulator.stop() } }
        let registry = Self.registry
        let runner = VendorScriptRunner(tenant: try registry.emulatorTenant(emulator), limits: LuaLimits(timeout: .seconds(30)),
                                  vendorModules: { registry.luaModules(for: $0) })
        let output = CollectedOutput()
        let result = await runner.run(LuaScript(name: "badges.lua", source: """
            local issued = keycard.issue_badge({holder = "grace", doors = {"lobby"}})
            print(issued.id, issued.holder, #issued.doors)
            print(keycard.get_badge(issued.id).holder, keycard.get_badge(7).doors[2])
            print(pcall(keycard.issue_badge, {holder = "x", id = 3}))
            print(roster.vendors[#roster.vendors])
            local ok, err = pcall(keycard.get_badge, 99)
            print(err.vendor, err.status, tostring(err))
            """), dryRun: false, output: output)
        #expect(result.outcome == .success, "\(output.text)")
        #expect(output.text == """
            8\tgrace\t1
            grace\tlab
            false\tkeycard.issue_badge: argument #1 (badge) has unknown field 'id'; known fields: holder, doors
            keycard
            keycard\t404\tkeycard.get_badge: HTTP 404: no such badge

            """)
        #expect(result.calls.map { "\($0.summary)" }.first == "keycard.issue_badge badge={doors=[\"lobby\"],holder=\"grace\"}")
        #expect(emulator.world[KeycardAPI.self].withLock { $0.badges[8]?.holder } == "grace")

        let planned = await runner.run(LuaScript(name: "plan.lua", source: "print(keycard.issue_badge({holder = 'alan'}))"),
                                       dryRun: true, output: CollectedOutput())
        #expect(planned.plan.map(\.summary) == ["keycard.issue_badge badge={holder=\"alan\"}"])
        #expect(emulator.world[KeycardAPI.self].withLock { $0.badges.count } == 2)
        await emulator.stop()
    }

    @Test func docsAndStubsDescribeIt() throws {
        let modules = Self.registry.documentedModules
        #expect(modules.map(\.name).last == "keycard")
        let docs = try #require(Documentation.text(topic: "keycard.get_badge", in: modules))
        #expect(docs.hasPrefix("keycard.get_badge(id) -> KeycardBadge\n  One badge."))
        #expect(docs.contains("KeycardBadge = {id: integer, holder: string, doors: string[]?}"))
        let stub = try #require(Stubs.files(for: modules).first { $0.name == "keycard.lua" }?.text)
        #expect(stub.contains("---@class KeycardBadge\n---@field id integer the badge's number\n---@field holder string who carries it\n---@field doors? string[] the doors it opens"))
        #expect(stub.contains("---@param badge KeycardBadge the new badge\n---@return KeycardBadge # the badge issued\nfunction keycard.issue_badge(badge) end"))
    }
}
