/// PluginCommandTests.swift: plugins as an admin uses them — list, info, run, test — and the
/// manifest's permissions enforced whatever path a call takes.
import Foundation
import Testing

@Suite struct PluginCommandTests {
    static let plugins = RosterProcess.root.appendingPathComponent("plugins").path

    @Test func bothExamplePluginsPassTheirTests() async throws {
        for name in ["acme-onboarding", "globex-offboarding"] {
            let result = try await RosterProcess.run(["plugin", "test", name, "--plugins", Self.plugins])
            #expect(result.status == 0, "\(name): \(result.stdout)\(result.stderr)")
            #expect(result.stdout.hasSuffix(" passed, 0 failed\n"), "\(result.stdout)")
            #expect(!result.stdout.contains("FAIL"))
        }
    }

    @Test func listAndInfo() async throws {
        var result = try await RosterProcess.run(["plugin", "list", "--plugins", Self.plugins])
        #expect(result.status == 0)
        #expect(result.stdout.contains("acme-onboarding 1.0.0  unsigned  ACME onboarding"), "a development folder: \(result.stdout)")
        #expect(result.stdout.contains("  workflows: onboard, accounts"), "as plugin.toml declares them: \(result.stdout)")
        #expect(result.stdout.contains("globex-offboarding 1.2.0"))
        result = try await RosterProcess.run(["plugin", "info", "acme-onboarding", "--plugins", Self.plugins])
        #expect(result.stdout.contains("    --arg email=STRING  (required)  the guest's email"))
        #expect(result.stdout.contains("    --arg guardant_role=INTEGER  (default 5)"))
        // Parameters as declared (the person's names, then the optional role), not alphabetically.
        let accounts = result.stdout.split(separator: "\n").filter { $0.hasPrefix("    --arg ") }.map { $0.dropFirst(10).prefix { $0 != "=" } }
        #expect(accounts == ["email", "card", "email", "first_name", "last_name", "username", "guardant_role"], "\(result.stdout)")
        #expect(result.stdout.contains("encore.get_user"), "encore:read expands to the reads")
        #expect(!result.stdout.contains("encore.deactivate_user"))
        result = try await RosterProcess.run(["plugin", "info", "nope", "--plugins", Self.plugins])
        #expect(result.status == 2)
        #expect(result.stderr.contains("no plugin named 'nope'"))
        // A --plugins that is not a folder says which way it is not.
        result = try await RosterProcess.run(["plugin", "list", "--plugins", Self.plugins + "/nowhere"])
        #expect(result.status == 2)
        #expect(result.stderr == "roster: --plugins \(Self.plugins)/nowhere: no such folder\n")
        result = try await RosterProcess.run(["plugin", "list", "--plugins", Self.plugins + "/acme-onboarding/plugin.toml"])
        #expect(result.status == 2)
        #expect(result.stderr == "roster: --plugins \(Self.plugins)/acme-onboarding/plugin.toml: it is a file, not a folder\n")
    }

    @Test func runChecksAndConvertsArguments() async throws {
        var result = try await RosterProcess.run(["plugin", "run", "acme-onboarding", "onboard", "--plugins", Self.plugins,
                                                  "--arg", "email=guest@example.com", "--arg", "card=123"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Gus Guest <guest@example.com>: promoted to member"))
        result = try await RosterProcess.run(["plugin", "run", "acme-onboarding", "onboard", "--plugins", Self.plugins, "--arg", "emial=x"])
        #expect(result.status == 2)
        // A development folder: one warning line, then the refusal.
        #expect(result.stderr == "roster: warning: plugin acme-onboarding is unsigned (a development folder: no roster-plugins.lock); installed plugins must be signed\n"
            + "roster: acme-onboarding onboard: unknown parameter 'emial'; did you mean 'email'? it takes email, card\n", "\(result.stderr)")
        result = try await RosterProcess.run(["plugin", "run", "acme-onboarding", "accounts", "--plugins", Self.plugins,
                                              "--arg", "email=a@x.com", "--arg", "first_name=A", "--arg", "last_name=B",
                                              "--arg", "username=ab", "--arg", "guardant_role=two"])
        #expect(result.status == 2)
        #expect(result.stderr.hasSuffix("\nroster: acme-onboarding accounts: --arg guardant_role=two is not an integer\n"))
        result = try await RosterProcess.run(["plugin", "run", "acme-onboarding", "onboard", "--plugins", Self.plugins,
                                              "--arg", "email=guest@example.com", "--dry-run", "--json"])
        #expect(result.status == 0)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((document["plan"] as? [[String: Any]])?.map { $0["operation"] as? String } == ["promote_guest", "add_users", "registration_link"])
        // Held to --max-changes as a script's run is.
        result = try await RosterProcess.run(["plugin", "run", "acme-onboarding", "onboard", "--plugins", Self.plugins,
                                              "--arg", "email=guest@example.com", "--yes", "--max-changes", "2"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("roster: the run plans 3 changes, more than --max-changes 2; nothing was sent"), "\(result.stderr)")
    }

    /// A plugin that may only read Encore, and tries more by every path.
    static func sneakyPlugin() throws -> URL {
        let folder = try RosterProcess.scriptFolder([
            "sneaky/plugin.toml": """
                name = "sneaky"
                version = "0.0.1"
                description = "Tries to do more than it may"
                roster = ">=0.1.0"
                permissions = ["encore:read"]

                [workflows.read]
                entry = "read.lua"
                [workflows.direct]
                entry = "direct.lua"
                [workflows.pcall]
                entry = "pcall.lua"
                [workflows.module]
                entry = "module.lua"
                [workflows.parallel]
                entry = "parallel.lua"
                [workflows.handler]
                entry = "handler.lua"
                """,
            "sneaky/read.lua": "print(#encore.list_users())",
            "sneaky/direct.lua": "encore.deactivate_user(1001)\nprint('still here')",
            "sneaky/pcall.lua": "local ok, err = pcall(encore.deactivate_user, 1001)\nprint('swallowed', ok, err)",
            "sneaky/module.lua": "require('lib.helper').remove('ada@example.com')\nprint('still here')",
            "sneaky/lib/helper.lua": "return {remove = function(email) allthenticate.delete_user({email = email}) end}",
            "sneaky/parallel.lua": """
                local ok = pcall(parallel.map, {1, 2, 3}, function(i)
                  if i == 2 then allthenticate.promote_guest(103) end
                  return i
                end)
                print('still here', ok)
                """,
            "sneaky/handler.lua": """
                xpcall(function() activeconnect.lost_device("ada@example.com") end, function(e) print("handled", e) return e end)
                print('still here')
                """,
        ])
        return folder
    }

    @Test func everyCallOutsideThePermissionsIsExit4() async throws {
        let folder = try Self.sneakyPlugin()
        defer { try? FileManager.default.removeItem(at: folder) }
        let manifest = folder.appendingPathComponent("sneaky/plugin.toml").path
        var result = try await RosterProcess.run(["plugin", "run", "sneaky", "read", "--plugins", folder.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "3\n")
        let denied = [
            ("direct", "encore.deactivate_user"), ("pcall", "encore.deactivate_user"), ("module", "allthenticate.delete_user"),
            ("parallel", "allthenticate.promote_guest"), ("handler", "activeconnect.lost_device"),
        ]
        for (workflow, operation) in denied {
            result = try await RosterProcess.run(["plugin", "run", "sneaky", workflow, "--plugins", folder.path])
            #expect(result.status == 4, "\(workflow): \(result.stdout) \(result.stderr)")
            #expect(result.diagnostics.hasSuffix("\nroster: permission denied: plugin sneaky may not call \(operation) (not in the permissions of \(manifest))\n"),
                    "\(workflow): \(result.diagnostics)")
            #expect(!result.stdout.contains("still here") && !result.stdout.contains("swallowed"), "\(workflow): \(result.stdout)")
        }
    }

    static func created(_ folder: URL) throws -> URL {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func aFailingPluginTestIsReadableAndCounted() async throws {
        let folder = try Self.sneakyPlugin()
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
            test("reads work", function()
              expect(workflow("read").output).to_equal("3\\n")
            end)
            test("a denial is exit 4 inside tests too", function()
              local run = workflow("pcall")
              expect(run.exit_code).to_equal(4)
              expect(run.error).to_contain("may not call encore.deactivate_user")
            end)
            test("a wrong expectation", function()
              expect({a = 1, b = {2}}).to_equal({a = 1, b = {3}})
            end)
            """.write(to: try Self.created(folder.appendingPathComponent("sneaky/tests")).appendingPathComponent("checks.lua"), atomically: true, encoding: .utf8)
        let result = try await RosterProcess.run(["plugin", "test", "sneaky", "--plugins", folder.path])
        #expect(result.status == 1)
        #expect(result.stdout == """
            ok    tests/checks.lua: reads work
            ok    tests/checks.lua: a denial is exit 4 inside tests too
            FAIL  tests/checks.lua: a wrong expectation: sneaky/tests/checks.lua:10: expected {a = 1, b = {[1] = 3}}, got {a = 1, b = {[1] = 2}}
            2 passed, 1 failed

            """)
    }

    /// A test that fails with an error object says what it holds, as `roster run` does; one
    /// whose `__tostring` raises fails alone (it ended the file, and hid the tests after it).
    @Test func aTestFailingWithAnyErrorObjectFailsAlone() async throws {
        let folder = try Self.sneakyPlugin()
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
            test("a raising __tostring", function() error(setmetatable({}, {__tostring = function() error("boom") end})) end)
            test("a table", function() error({code = 7}) end)
            test("a number", function() error(42) end)
            test("nothing", function() error() end)
            test("after", function() expect(workflow("read").output).to_equal("3\\n") end)
            """.write(to: try Self.created(folder.appendingPathComponent("sneaky/tests")).appendingPathComponent("objects.lua"), atomically: true, encoding: .utf8)
        let result = try await RosterProcess.run(["plugin", "test", "sneaky", "--plugins", folder.path])
        #expect(result.status == 1)
        #expect(result.stdout == """
            FAIL  tests/objects.lua: a raising __tostring: (error object is a table value)
            FAIL  tests/objects.lua: a table: (error object is a table: {code = 7})
            FAIL  tests/objects.lua: a number: 42
            FAIL  tests/objects.lua: nothing: nil
            ok    tests/objects.lua: after
            1 passed, 4 failed

            """, "\(result.stderr)")
    }

    /// A test that hits a limit (even inside one C function) fails with the limit's message;
    /// the tests before and after it still count.
    @Test func aTestThatHitsALimitFailsAndTheRunnerGoesOn() async throws {
        let folder = try Self.sneakyPlugin()
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
            test("before", function() expect(workflow("read").output).to_equal("3\\n") end)
            test("a pattern bomb", function() string.find(string.rep("a", 1e5), ".-.-.-.-b") end)
            test("a loop", function() while true do end end)
            test("after", function() expect(workflow("read").output).to_equal("3\\n") end)
            """.write(to: try Self.created(folder.appendingPathComponent("sneaky/tests")).appendingPathComponent("limits.lua"), atomically: true, encoding: .utf8)
        // 2 s a test: on a loaded machine, a workflow's vendor calls once took over 0.5 s.
        let result = try await RosterProcess.run(["plugin", "test", "sneaky", "--plugins", folder.path, "--timeout", "2"], limit: 60)
        #expect(!result.signaled)
        #expect(result.status == 1)
        #expect(result.stdout == """
            ok    tests/limits.lua: before
            FAIL  tests/limits.lua: a pattern bomb: timeout: the script ran longer than its 2 s limit (--timeout); it stopped at sneaky/tests/limits.lua:2
            FAIL  tests/limits.lua: a loop: timeout: the script ran longer than its 2 s limit (--timeout); it stopped at sneaky/tests/limits.lua:3
            ok    tests/limits.lua: after
            2 passed, 2 failed

            """, "\(result.stderr)")
    }

    @Test(arguments: [
        ("version = \"1.0.0\"\ndescription = \"d\"\nroster = \">=0.1.0\"\npermissions = []\n[workflows.w]\nentry = \"w.lua\"\n",
         "plugin.toml: name: missing; add name = \"acme-onboarding\" to []"),
        ("name = \"broken\"\nversion = 1\ndescription = \"d\"\nroster = \">=0.1.0\"\npermissions = []\n[workflows.w]\nentry = \"w.lua\"\n",
         "plugin.toml:2: version: expected a string, got an integer; write version = \"1.0.0\""),
        ("name = \"broken\"\nversion = \"1.0.0\"\ndescription = \"d\"\nroster = \">=0.1.0\"\npermissions = [\"allthenticate.promote_gust\"]\n[workflows.w]\nentry = \"w.lua\"\n",
         "plugin.toml:5: permissions: unknown operation 'allthenticate.promote_gust'; did you mean \"allthenticate.promote_guest\"?"),
        ("name = \"broken\"\nversion = \"1.0.0\"\ndescription = \"d\"\nroster = \">=2.0.0\"\npermissions = []\n[workflows.w]\nentry = \"w.lua\"\n",
         "plugin.toml:4: roster: the plugin needs Roster >=2.0.0; this is Roster 0.1.0; use a Roster that satisfies it, or a version of the plugin made for 0.1.0"),
        ("name = \"broken\"\nversion = \"1.0.0\"\ndescription = \"d\"\nroster = \">=0.1.0\"\npermissions = []\n[workflows.w]\nentry = \"missing.lua\"\n",
         "plugin.toml:7: workflows.w.entry: missing.lua does not exist in the plugin; create it, or correct the path"),
        ("name = \"broken\"\nversion = \"1.0.0\"\ndescription = \"d\"\nroster = \">=0.1.0\"\npermissions = []\n[workflows.w]\nentry = \"w.lua\"\nparams.n = { type = \"int\" }\n",
         "plugin.toml:8: workflows.w.params.n.type: unknown type 'int'; use one of: string, integer, number, boolean"),
        // A name is ASCII: a Cyrillic а passes for a Latin a.
        ("name = \"\u{0430}cme\"\nversion = \"1.0.0\"\ndescription = \"d\"\nroster = \">=0.1.0\"\npermissions = []\n[workflows.w]\nentry = \"w.lua\"\n",
         "plugin.toml:1: name: '\u{0430}cme' is not a plugin name; use up to 64 lowercase ASCII letters, digits, dashes and underscores, starting with a letter, like \"acme-onboarding\""),
        ("name = \"bad\\nname\"\nversion = \"1.0.0\"\ndescription = \"d\"\nroster = \">=0.1.0\"\npermissions = []\n[workflows.w]\nentry = \"w.lua\"\n",
         "plugin.toml:1: name: 'bad\\nname' is not a plugin name; use up to 64 lowercase ASCII letters, digits, dashes and underscores, starting with a letter, like \"acme-onboarding\""),
    ])
    func aBrokenManifestIsOneLine(manifest: String, expected: String) async throws {
        let folder = try RosterProcess.scriptFolder(["broken/plugin.toml": manifest, "broken/w.lua": "print(1)"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await RosterProcess.run(["plugin", "info", "broken", "--plugins", folder.path])
        #expect(result.status == 2)
        let file = folder.appendingPathComponent("broken/plugin.toml").path
        #expect(result.stderr == "roster: " + expected.replacingOccurrences(of: "plugin.toml", with: file, options: [.anchored]) + "\n", "\(result.stderr)")
    }

    /// A workflow saved as Windows-1252 is refused before it runs, naming the manifest key
    /// and the line, as a script is.
    @Test func aWorkflowThatIsNotUTF8IsRefused() async throws {
        let manifest = "name = \"latin\"\nversion = \"1.0.0\"\ndescription = \"d\"\nroster = \">=0.1.0\"\npermissions = []\n[workflows.w]\nentry = \"w.lua\"\n"
        let folder = try RosterProcess.scriptFolder(["latin/plugin.toml": manifest])
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("print('Jos".utf8 + [0xE9] + "')\n".utf8).write(to: folder.appendingPathComponent("latin/w.lua"))
        let result = try await RosterProcess.run(["plugin", "run", "latin", "w", "--plugins", folder.path, "--emulator"])
        #expect(result.status == 2)
        #expect(result.stdout == "")
        #expect(result.stderr.contains("workflows.w.entry: w.lua: line 1: not UTF-8 text (byte 0xE9 at character 11)"), "\(result.stderr)")
    }
}
