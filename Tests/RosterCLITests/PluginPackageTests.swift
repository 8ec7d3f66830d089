/// PluginPackageTests.swift: plugins shipped signed — keygen, pack, install with consent,
/// verified at every load, scoped to their tenants — with the built binary, a real package
/// and an emulator in its own process.
import Engine
import Foundation
import Testing
import TestSupport
import ZIPFoundation

@Suite struct PluginPackageTests {
    /// A folder with a copy of the example plugins (as `dev/`), a publisher's key pair in
    /// `keys/`, an emulator and a roster.toml trusting the publisher.
    struct Workshop {
        let folder: URL
        let emulator: EmulatorProcess
        let publicKey: String
        let privateKey: String

        static func start() async throws -> Workshop {
            let folder = try RosterProcess.scriptFolder([:])
            try FileManager.default.copyItem(at: RosterProcess.root.appendingPathComponent("plugins"), to: folder.appendingPathComponent("dev"))
            let emulator = try await EmulatorProcess.start(in: folder, faults: "")
            let keygen = try await RosterProcess.run(["plugin", "keygen", "--name", "acme-it", "--out", "keys"], in: folder)
            #expect(keygen.status == 0, "\(keygen.stderr)")
            let publicKey = try String(contentsOf: folder.appendingPathComponent("keys/acme-it.pub"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let privateKey = try String(contentsOf: folder.appendingPathComponent("keys/acme-it.key"), encoding: .utf8)
            #expect(try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("keys/acme-it.key").path)[.posixPermissions] as? Int == 0o600)
            #expect(!keygen.stdout.contains(String(privateKey.split(separator: ":").last ?? "")), "the private key is never printed")
            let config = folder.appendingPathComponent("roster.toml")
            try (String(contentsOf: config, encoding: .utf8) + "\n[plugins]\ntrusted_publishers = [{ name = \"acme-it\", key = \"\(publicKey)\" }]\n")
                .write(to: config, atomically: true, encoding: .utf8)
            return Workshop(folder: folder, emulator: emulator, publicKey: publicKey, privateKey: privateKey)
        }

        func roster(_ arguments: [String]) async throws -> ProcessResult {
            let result = try await RosterProcess.run(arguments, in: folder, environment: JournalTests.journal(folder))
            #expect(!(result.stdout + result.stderr).contains(String(privateKey.split(separator: ":").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)))
            return result
        }

        /// Sets `key = value` in the dev copy's plugin.toml of `plugin` (a top-level line).
        func edit(_ plugin: String, _ replace: (String) -> String) throws {
            let file = folder.appendingPathComponent("dev/\(plugin)/plugin.toml")
            try replace(try String(contentsOf: file, encoding: .utf8)).write(to: file, atomically: true, encoding: .utf8)
        }

        /// Writes a plugin into `dev/NAME`: its manifest (`declarations` after the name,
        /// version, description and Roster range; a [workflows.W] section per workflow) and
        /// each workflow's script.
        func writePlugin(_ name: String, _ declarations: String, workflows: [String: String]) throws {
            let plugin = folder.appendingPathComponent("dev/\(name)")
            try FileManager.default.createDirectory(at: plugin.appendingPathComponent("workflows"), withIntermediateDirectories: true)
            var manifest = "name = \"\(name)\"\nversion = \"1.0.0\"\ndescription = \"a test plugin\"\nroster = \">=0.1.0\"\n" + declarations + "\n"
            for (workflow, script) in workflows.sorted(by: { $0.key < $1.key }) {
                manifest += "[workflows.\(workflow)]\nentry = \"workflows/\(workflow).lua\"\n"
                try script.write(to: plugin.appendingPathComponent("workflows/\(workflow).lua"), atomically: true, encoding: .utf8)
            }
            try manifest.write(to: plugin.appendingPathComponent("plugin.toml"), atomically: true, encoding: .utf8)
        }

        /// Applies `plan`, a plan of acme-onboarding's `onboard` for guest@example.com, and
        /// expects it applied: the guest promoted, no warning.
        func expectOnboardPlanApplied(_ plan: String) async throws {
            let applied = try await roster(["apply", plan, "--yes"])
            #expect(applied.status == 0, "\(applied.stderr)")
            #expect(applied.stdout.contains("Gus Guest <guest@example.com>: promoted to member"), "\(applied.stdout)")
            #expect(!applied.stderr.contains("warning"), "\(applied.stderr)")
        }

        func stop() {
            emulator.stop()
            try? FileManager.default.removeItem(at: folder)
        }
    }

    @Test func packInstallRunAndRefusals() async throws {
        let shop = try await Workshop.start()
        defer { shop.stop() }
        let packed = try await shop.roster(["plugin", "pack", "dev/acme-onboarding", "--key", "keys/acme-it.key", "-o", "acme-1.0.0.rosterplugin"])
        #expect(packed.status == 0, "\(packed.stderr)")

        // On a terminal, install asks; declined, nothing is installed (exit 1, as any declined confirmation).
        let asking = try TerminalSession(["plugin", "install", "acme-1.0.0.rosterplugin", "--plugins", "installed"], in: shop.folder,
                                         environment: JournalTests.journal(shop.folder))
        #expect(await asking.waitFor("Install it with these permissions? [y/N] "), "\(asking.screen)")
        asking.type("n\n")
        #expect(await asking.exitStatus() == 1)
        #expect(asking.screen.contains("roster: not installed (not agreed)"), "\(asking.screen)")
        #expect(!FileManager.default.fileExists(atPath: shop.folder.appendingPathComponent("installed/acme-onboarding").path))

        // Without a terminal, installing needs --yes (consent to the permissions shown).
        let unconsented = try await shop.roster(["plugin", "install", "acme-1.0.0.rosterplugin", "--plugins", "installed"])
        #expect(unconsented.status == 2)
        #expect(unconsented.stderr.contains("permissions: allthenticate.list_users, allthenticate.promote_guest"), "\(unconsented.stderr)")
        let installed = try await shop.roster(["plugin", "install", "acme-1.0.0.rosterplugin", "--plugins", "installed", "--yes"])
        #expect(installed.status == 0, "\(installed.stderr)")
        let listed = try await shop.roster(["plugin", "list", "--plugins", "installed"])
        #expect(listed.stdout.contains("acme-onboarding 1.0.0  signed by acme-it"), "\(listed.stdout)")
        let ran = try await shop.roster(["plugin", "run", "--plugins", "installed", "acme-onboarding", "onboard", "--config", "roster.toml",
                                         "--arg", "email=guest@example.com", "--yes"])
        #expect(ran.status == 0, "\(ran.stderr)")
        #expect(ran.stdout.contains("Gus Guest <guest@example.com>: promoted to member"), "\(ran.stdout)")
        #expect(!ran.stderr.contains("warning"), "a signed plugin runs without a warning: \(ran.stderr)")

        // One byte changed in the package.
        var bytes = try Data(contentsOf: shop.folder.appendingPathComponent("acme-1.0.0.rosterplugin"))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: shop.folder.appendingPathComponent("tampered.rosterplugin"))
        let tampered = try await shop.roster(["plugin", "install", "tampered.rosterplugin", "--plugins", "other", "--yes"])
        #expect(tampered.status == 4 && tampered.diagnostics.split(separator: "\n").count == 1, "\(tampered.stderr)")

        // Signed by a key nobody trusts.
        #expect(try await shop.roster(["plugin", "keygen", "--name", "mallory", "--out", "keys"]).status == 0)
        #expect(try await shop.roster(["plugin", "pack", "dev/acme-onboarding", "--key", "keys/mallory.key", "-o", "mallory.rosterplugin"]).status == 0)
        let untrusted = try await shop.roster(["plugin", "install", "mallory.rosterplugin", "--plugins", "other", "--yes"])
        #expect(untrusted.status == 4)
        #expect(untrusted.diagnostics == "roster: acme-onboarding 1.0.0 is signed by 'mallory', who is not a trusted publisher: add them to [plugins] trusted_publishers in roster.toml if you trust them\n", "\(untrusted.stderr)")

        // A key that claims a trusted name.
        #expect(try await shop.roster(["plugin", "keygen", "--name", "acme-it", "--out", "impostor"]).status == 0)
        #expect(try await shop.roster(["plugin", "pack", "dev/acme-onboarding", "--key", "impostor/acme-it.key", "-o", "impostor.rosterplugin"]).status == 0)
        let impostor = try await shop.roster(["plugin", "install", "impostor.rosterplugin", "--plugins", "other", "--yes"])
        #expect(impostor.status == 4 && impostor.diagnostics.contains("the signature is invalid"), "\(impostor.stderr)")

        // No signature at all.
        let unsigned = shop.folder.appendingPathComponent("unsigned.rosterplugin")
        try FileManager.default.copyItem(at: shop.folder.appendingPathComponent("acme-1.0.0.rosterplugin"), to: unsigned)
        let archive = try Archive(url: unsigned, accessMode: .update)
        if let signature = archive["roster-manifest.sig"] { try archive.remove(signature) }
        let refused = try await shop.roster(["plugin", "install", "unsigned.rosterplugin", "--plugins", "other", "--yes"])
        #expect(refused.status == 4 && refused.diagnostics.contains("is unsigned"), "\(refused.stderr)")

        // Made for another Roster.
        try shop.edit("acme-onboarding") { $0.replacingOccurrences(of: "roster = \">=0.1.0\"", with: "roster = \">=9.0.0\"") }
        #expect(try await shop.roster(["plugin", "pack", "dev/acme-onboarding", "--key", "keys/acme-it.key", "-o", "future.rosterplugin"]).status == 0)
        let future = try await shop.roster(["plugin", "install", "future.rosterplugin", "--plugins", "other", "--yes"])
        #expect(future.status == 2)
        #expect(future.diagnostics == "roster: acme-onboarding 1.0.0 needs Roster >=9.0.0; this is Roster 0.1.0\n", "\(future.stderr)")
        #expect(!FileManager.default.fileExists(atPath: shop.folder.appendingPathComponent("other").path), "nothing refused was installed")
    }

    /// A plan made with an installed plugin is applied, and a failed run of one resumed, only
    /// while the plugin there is still signed and unmodified, as a run of it would be: its
    /// manifest's permissions and settings are what the journaled workflow runs under.
    /// A package replaces only an older package: `-o` naming the publisher's key wrote the
    /// package over it (a private key nothing can make again); a file inside the plugin's
    /// folder, or one that is not a package, is refused too, with nothing written.
    @Test func aPackageIsNeverWrittenOverAKeyOrAPluginsFile() async throws {
        let shop = try await Workshop.start()
        defer { shop.stop() }
        let key = shop.folder.appendingPathComponent("keys/acme-it.key")
        let keyBytes = try Data(contentsOf: key)
        let manifest = shop.folder.appendingPathComponent("dev/acme-onboarding/plugin.toml")
        let manifestBytes = try Data(contentsOf: manifest)
        try "# notes\n".write(to: shop.folder.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let refusals = [
            ("keys/../keys/acme-it.key", "roster: --output 'keys/../keys/acme-it.key' is the publisher's key: writing there would replace it; name another file; nothing was packed\n"),
            ("dev/acme-onboarding/plugin.toml", "roster: --output 'dev/acme-onboarding/plugin.toml' is inside the plugin's folder, where the package would replace a file or be packed into the next one; write it beside the folder; nothing was packed\n"),
            ("dev/acme-onboarding/new.rosterplugin", "roster: --output 'dev/acme-onboarding/new.rosterplugin' is inside the plugin's folder, where the package would replace a file or be packed into the next one; write it beside the folder; nothing was packed\n"),
            ("notes.txt", "roster: --output 'notes.txt' exists and is not a plugin package; a package replaces only an older package (remove the file first, or name another); nothing was packed\n"),
        ]
        for (output, message) in refusals {
            let refused = try await shop.roster(["plugin", "pack", "dev/acme-onboarding", "--key", "keys/acme-it.key", "-o", output])
            #expect(refused.status == 2 && refused.diagnostics == message, "\(output): \(refused.stderr)")
        }
        #expect(try Data(contentsOf: key) == keyBytes && (try Data(contentsOf: manifest)) == manifestBytes)
        #expect(!FileManager.default.fileExists(atPath: shop.folder.appendingPathComponent("dev/acme-onboarding/new.rosterplugin").path))
        // An older package is replaced.
        for _ in 1...2 {
            let packed = try await shop.roster(["plugin", "pack", "dev/acme-onboarding", "--key", "keys/acme-it.key", "-o", "acme.rosterplugin"])
            #expect(packed.status == 0, "\(packed.stderr)")
        }
    }

    @Test func aPluginsPlanOrResumeNeedsItsPluginStillSigned() async throws {
        let shop = try await Workshop.start()
        defer { shop.stop() }
        #expect(try await shop.roster(["plugin", "pack", "dev/acme-onboarding", "--key", "keys/acme-it.key", "-o", "acme.rosterplugin"]).status == 0)
        #expect(try await shop.roster(["plugin", "install", "acme.rosterplugin", "--plugins", "installed", "--yes"]).status == 0)
        let planned = try await shop.roster(["plugin", "run", "--plugins", "installed", "acme-onboarding", "onboard", "--config", "roster.toml",
                                             "--arg", "email=guest@example.com", "--dry-run", "--plan-out", "onboard.json"])
        #expect(planned.status == 0, "\(planned.stderr)")

        let manifest = shop.folder.appendingPathComponent("installed/acme-onboarding/plugin.toml")
        let signed = try String(contentsOf: manifest, encoding: .utf8)
        try signed.replacingOccurrences(of: "\"encore.create_user\",", with: "\"encore.create_user\", \"encore.deactivate_user\",")
            .write(to: manifest, atomically: true, encoding: .utf8)
        let shown = try await shop.roster(["plan", "show", "onboard.json"])
        #expect(shown.status == 4, "\(shown.stderr)")
        let refused = try await shop.roster(["apply", "onboard.json", "--yes"])
        #expect(refused.status == 4, "\(refused.stderr)")
        for result in [shown, refused] {
            #expect(result.stderr.contains("roster: plugin acme-onboarding is modified (")
                    && result.stderr.contains("is an installed folder, where only signed, unmodified plugins run"), "\(result.stderr)")
        }
        #expect(!refused.stdout.contains("promoted"), "nothing ran: \(refused.stdout)")

        try signed.write(to: manifest, atomically: true, encoding: .utf8)
        try await shop.expectOnboardPlanApplied("onboard.json")

        // A run of it that failed on a vendor error, resumed after the plugin was modified.
        try await shop.emulator.setFaults("error500=1")
        let failed = try await shop.roster(["plugin", "run", "--plugins", "installed", "acme-onboarding", "accounts", "--config", "roster.toml",
                                            "--arg", "email=new@example.com", "--arg", "first_name=New", "--arg", "last_name=Person",
                                            "--arg", "username=newp"])
        #expect(failed.status == 1, "\(failed.stderr)")
        try await shop.emulator.setFaults("")
        let run = try #require(failed.stderr.firstMatch(of: /roster: run ([0-9]+)/).map { String($0.output.1) }, "\(failed.stderr)")
        try signed.replacingOccurrences(of: "\"encore.create_user\",", with: "\"encore.create_user\", \"encore.deactivate_user\",")
            .write(to: manifest, atomically: true, encoding: .utf8)
        let refusedResume = try await shop.roster(["resume", run])
        #expect(refusedResume.status == 4 && refusedResume.stderr.contains("roster: plugin acme-onboarding is modified ("), "\(refusedResume.stderr)")
        #expect(!refusedResume.stdout.contains("created"), "nothing ran: \(refusedResume.stdout)")
        try signed.write(to: manifest, atomically: true, encoding: .utf8)
        let resumed = try await shop.roster(["resume", run])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("encore: created newp"), "\(resumed.stdout)")
    }

    /// With no roster.toml (the built-in emulator) there is no list of trusted publishers, and
    /// an installed plugin signed and unmodified runs, as `plugin run` lets it: its plan is
    /// shown and applied the same way, and refused the same way once modified.
    @Test func aPluginsPlanOnTheBuiltInEmulatorIsHeldToWhatItsRunWas() async throws {
        let shop = try await Workshop.start()
        defer { shop.stop() }
        #expect(try await shop.roster(["plugin", "pack", "dev/acme-onboarding", "--key", "keys/acme-it.key", "-o", "acme.rosterplugin"]).status == 0)
        #expect(try await shop.roster(["plugin", "install", "acme.rosterplugin", "--plugins", "installed", "--yes"]).status == 0)
        try FileManager.default.removeItem(at: shop.folder.appendingPathComponent("roster.toml"))

        let planned = try await shop.roster(["plugin", "run", "--plugins", "installed", "acme-onboarding", "onboard",
                                             "--arg", "email=guest@example.com", "--dry-run", "--plan-out", "onboard.json"])
        #expect(planned.status == 0, "\(planned.stderr)")
        #expect(planned.stderr.contains("using the built-in emulator"), "\(planned.stderr)")
        let shown = try await shop.roster(["plan", "show", "onboard.json"])
        #expect(shown.status == 0 && !shown.stderr.contains("roster: plugin"), "\(shown.stderr)")

        let workflow = shop.folder.appendingPathComponent("installed/acme-onboarding/workflows/onboard.lua")
        let signed = try String(contentsOf: workflow, encoding: .utf8)
        try (signed + "\nprint('changed')\n").write(to: workflow, atomically: true, encoding: .utf8)
        let refused = try await shop.roster(["apply", "onboard.json", "--yes"])
        #expect(refused.status == 4 && refused.stderr.contains("roster: plugin acme-onboarding is modified ("), "\(refused.stderr)")
        #expect(!refused.stdout.contains("promoted"), "nothing ran: \(refused.stdout)")

        try signed.write(to: workflow, atomically: true, encoding: .utf8)
        try await shop.expectOnboardPlanApplied("onboard.json")
    }

    /// An upgrade shows the permissions it adds and needs consent; a file changed after
    /// install makes the plugin `modified`, which does not run; a plugin for `acme` does not
    /// run against another tenant.
    @Test func upgradesChangesAndTenants() async throws {
        let shop = try await Workshop.start()
        defer { shop.stop() }
        #expect(try await shop.roster(["plugin", "pack", "dev/acme-onboarding", "--key", "keys/acme-it.key", "-o", "v1.rosterplugin"]).status == 0)
        #expect(try await shop.roster(["plugin", "install", "v1.rosterplugin", "--plugins", "installed", "--yes"]).status == 0)

        try shop.edit("acme-onboarding") {
            $0.replacingOccurrences(of: "version = \"1.0.0\"", with: "version = \"1.1.0\"")
                .replacingOccurrences(of: "\"encore.create_user\",", with: "\"encore.create_user\", \"encore.deactivate_user\",")
        }
        #expect(try await shop.roster(["plugin", "pack", "dev/acme-onboarding", "--key", "keys/acme-it.key", "-o", "v2.rosterplugin"]).status == 0)
        let upgrade = try await shop.roster(["plugin", "install", "v2.rosterplugin", "--plugins", "installed"])
        #expect(upgrade.status == 2)
        #expect(upgrade.stderr.contains("Upgrade acme-onboarding 1.0.0 -> 1.1.0") && upgrade.stderr.contains("new permissions: encore.deactivate_user"),
                "\(upgrade.stderr)")
        #expect(try await shop.roster(["plugin", "list", "--plugins", "installed"]).stdout.contains("acme-onboarding 1.0.0  signed"))

        // A file changed after install.
        let workflow = shop.folder.appendingPathComponent("installed/acme-onboarding/workflows/onboard.lua")
        try (String(contentsOf: workflow, encoding: .utf8) + "\nprint('changed')\n").write(to: workflow, atomically: true, encoding: .utf8)
        let listed = try await shop.roster(["plugin", "list", "--plugins", "installed"])
        #expect(listed.stdout.contains("acme-onboarding 1.0.0  modified by acme-it (workflows/onboard.lua changed since it was signed)"), "\(listed.stdout)")
        let modified = try await shop.roster(["plugin", "run", "--plugins", "installed", "acme-onboarding", "onboard", "--config", "roster.toml",
                                              "--arg", "email=guest@example.com", "--yes"])
        #expect(modified.status == 4)
        #expect(modified.diagnostics.contains("plugin acme-onboarding is modified (workflows/onboard.lua changed since it was signed)"), "\(modified.stderr)")

        // Scoped to acme; the emulator's tenant is `demo`.
        try shop.edit("globex-offboarding") { $0.replacingOccurrences(of: "permissions = [", with: "tenants = [\"acme\"]\npermissions = [") }
        #expect(try await shop.roster(["plugin", "pack", "dev/globex-offboarding", "--key", "keys/acme-it.key", "-o", "globex.rosterplugin"]).status == 0)
        #expect(try await shop.roster(["plugin", "install", "globex.rosterplugin", "--plugins", "installed", "--yes"]).status == 0)
        let elsewhere = try await shop.roster(["plugin", "run", "--plugins", "installed", "globex-offboarding", "offboard", "--config", "roster.toml",
                                               "--arg", "email=ada@example.com", "--yes"])
        #expect(elsewhere.status == 4)
        #expect(elsewhere.diagnostics == "roster: plugin globex-offboarding is for tenant acme, not 'demo'\n", "\(elsewhere.stderr)")

        // The publisher no longer trusted: its plugins are invalid and do not run.
        let config = shop.folder.appendingPathComponent("roster.toml")
        let trusting = try String(contentsOf: config, encoding: .utf8)
        try trusting.replacingOccurrences(of: "name = \"acme-it\"", with: "name = \"someone-else\"").write(to: config, atomically: true, encoding: .utf8)
        let distrusted = try await shop.roster(["plugin", "list", "--plugins", "installed", "--config", "roster.toml"])
        #expect(distrusted.stdout.contains("globex-offboarding 1.2.0  invalid by acme-it ('acme-it' is not a trusted publisher)"), "\(distrusted.stdout)")
        let refused = try await shop.roster(["plugin", "run", "--plugins", "installed", "globex-offboarding", "offboard", "--config", "roster.toml",
                                             "--arg", "email=ada@example.com", "--yes"])
        #expect(refused.status == 4 && refused.diagnostics.contains("plugin globex-offboarding is invalid"), "\(refused.stderr)")

        // Removed: gone from the folder and from the lock.
        let removed = try await shop.roster(["plugin", "remove", "--plugins", "installed", "globex-offboarding"])
        #expect(removed.status == 0, "\(removed.stderr)")
        let lock = try String(contentsOf: shop.folder.appendingPathComponent("installed/roster-plugins.lock"), encoding: .utf8)
        #expect(!lock.contains("globex-offboarding") && lock.contains("acme-onboarding"), "\(lock)")
        #expect(!FileManager.default.fileExists(atPath: shop.folder.appendingPathComponent("installed/globex-offboarding").path))

        // Only a plugin is removed: `..` removed the folder above entry by entry (here the
        // workshop's) until it came to the plugins folder itself, `.` every plugin, the lock's
        // name the pins that keep unsigned plugins out.
        for name in ["..", ".", "", "roster-plugins.lock", "../installed", "keys", "globex-offboarding"] {
            let refused = try await shop.roster(["plugin", "remove", "--plugins", "installed", name])
            #expect(refused.status == 2, "\(name): \(refused.stderr)")
            #expect(refused.diagnostics.split(separator: "\n").count == 1, "\(name): \(refused.stderr)")
        }
        for kept in ["roster.toml", "installed/roster-plugins.lock", "installed/acme-onboarding/plugin.toml"] {
            #expect(FileManager.default.fileExists(atPath: shop.folder.appendingPathComponent(kept).path), "\(kept) is kept")
        }
        let notAName = try await shop.roster(["plugin", "remove", "--plugins", "installed", ".."])
        #expect(notAName.diagnostics == "roster: '..' is not a plugin name; plugins here: acme-onboarding\n", "\(notAName.stderr)")
    }

    /// Per-tenant settings: declared by the plugin, set in roster.toml under
    /// [tenants.T.plugins.NAME], checked against the declaration, read as `settings`.
    @Test func perTenantSettings() async throws {
        let shop = try await Workshop.start()
        defer { shop.stop() }
        try shop.writePlugin("greeter", """
            permissions = ["encore:read"]
            [settings.greeting]
            type = "string"
            doc = "what to say"
            [settings.times]
            type = "integer"
            default = 1
            doc = "how often"
            """, workflows: ["hello": "for i = 1, settings.times do print(settings.greeting) end"])
        let run = ["plugin", "run", "--plugins", "dev", "greeter", "hello", "--config", "roster.toml"]

        let missing = try await shop.roster(run)
        #expect(missing.status == 2)
        #expect(missing.diagnostics.contains("plugin greeter needs the setting 'greeting' for tenant 'demo'") && missing.diagnostics.contains("[tenants.demo.plugins.greeter]"),
                "\(missing.stderr)")
        let config = shop.folder.appendingPathComponent("roster.toml")
        let base = try String(contentsOf: config, encoding: .utf8)
        try (base + "\n[tenants.demo.plugins.greeter]\ngreeting = \"hello\"\ntimes = \"two\"\n").write(to: config, atomically: true, encoding: .utf8)
        let wrong = try await shop.roster(run)
        #expect(wrong.status == 2 && wrong.diagnostics.contains("tenants.demo.plugins.greeter.times") && wrong.diagnostics.contains("expected integer, got a string"),
                "\(wrong.stderr)")
        try (base + "\n[tenants.demo.plugins.greeter]\ngreeting = \"hello\"\ncolour = \"red\"\n").write(to: config, atomically: true, encoding: .utf8)
        let unknown = try await shop.roster(run)
        #expect(unknown.status == 2 && unknown.diagnostics.contains("plugin greeter has no setting 'colour'"), "\(unknown.stderr)")
        try (base + "\n[tenants.demo.plugins.greeter]\ngreeting = \"hello\"\ntimes = 2\n").write(to: config, atomically: true, encoding: .utf8)
        let ran = try await shop.roster(run)
        #expect(ran.status == 0, "\(ran.stderr)")
        #expect(ran.stdout == "hello\nhello\n", "\(ran.stdout)")
    }

    /// A secret setting: given as { env } in roster.toml, held by the workflow as a handle
    /// it cannot read, passed where a secret goes (a password), never printed or journaled.
    @Test func secretSettingsAreSealed() async throws {
        let shop = try await Workshop.start()
        defer { shop.stop() }
        try shop.writePlugin("starter", """
            permissions = ["encore.create_user"]
            [settings.first_password]
            type = "secret"
            doc = "every new user's first password"
            """, workflows: [
                "create": """
                    print(encore.create_user({user_name = "sealed1", first_name = "S", last_name = "S", role_id = 3, license_type = 1,
                                              password = settings.first_password}))
                    """,
                "peek": """
                    local handle = settings.first_password
                    for k, v in pairs(handle) do print(k, v) end
                    print(tostring(handle), pcall(function() return handle .. "" end))
                    """,
                "misuse": "encore.create_user({user_name = settings.first_password, password = \"x\"})",
            ])
        let config = shop.folder.appendingPathComponent("roster.toml")
        try (String(contentsOf: config, encoding: .utf8) + "\n[tenants.demo.plugins.starter]\nfirst_password = { env = \"STARTER_PASSWORD\" }\n")
            .write(to: config, atomically: true, encoding: .utf8)
        let secret = "Sealed-Secret-4711!"
        func run(_ workflow: String, _ extra: [String] = []) async throws -> ProcessResult {
            try await RosterProcess.run(["plugin", "run", "--plugins", "dev", "starter", workflow, "--config", "roster.toml", "--yes"] + extra,
                                        in: shop.folder, environment: JournalTests.journal(shop.folder).merging(["STARTER_PASSWORD": secret]) { $1 })
        }
        let created = try await run("create", ["--json"])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("password=\\\"<redacted>\\\"") || created.stdout.contains("<redacted>"), "\(created.stdout)")
        let peeked = try await run("peek")
        #expect(peeked.status == 0, "\(peeked.stderr)")
        #expect(peeked.stdout.contains("secret\tfirst_password"), "\(peeked.stdout)")
        let misused = try await run("misuse")
        #expect(misused.status == 1)
        #expect(misused.diagnostics.contains("settings.first_password is a secret; it can be passed only where a secret goes (a password)"), "\(misused.stderr)")
        let missing = try await RosterProcess.run(["plugin", "run", "--plugins", "dev", "starter", "create", "--config", "roster.toml", "--yes"],
                                                  in: shop.folder, environment: JournalTests.journal(shop.folder))
        #expect(missing.status == 2 && missing.diagnostics.contains("STARTER_PASSWORD"), "\(missing.stderr)")
        for result in [created, peeked, misused, missing] {
            #expect(!(result.stdout + result.stderr).contains(secret), "the secret is never printed")
        }
        // Nor journaled.
        var journal = Data()
        let state = shop.folder.appendingPathComponent("state/roster")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: state.path)) ?? [] {
            journal += FileManager.default.contents(atPath: state.appendingPathComponent(name).path) ?? Data()
        }
        #expect(journal.count > 1000 && journal.range(of: Data(secret.utf8)) == nil)
        // The emulator took the user, with the secret as its password (a wrong type would have been refused).
        let users = try await shop.emulator.state()["encore"] as? [[String: Any]] ?? []
        #expect(users.contains { $0["UserName"] as? String == "sealed1" })
    }
}

/// A package is a file from elsewhere, read before its signature can be checked: a damaged
/// one is refused in one line, never a crash.
@Suite struct PluginPackageDamageTests {
    /// A temporary folder for one test (removed by the caller).
    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roster-package-damage-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// A ZIP archive at `url` holding `entries`, deflated.
    static func zip(_ entries: [(String, Data)], to url: URL) throws {
        let archive = try Archive(url: url, accessMode: .create)
        for (path, data) in entries {
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
    }

    @Test func aDamagedPackageIsRefusedInOneLine() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let original = folder.appendingPathComponent("original.rosterplugin")
        try Self.zip([
            (PluginPackage.manifestEntry, Data(#"{"name":"p","version":"1.0.0","publisher":"acme","roster":">=0.1.0","permissions":[],"tenants":[],"files":{"w.lua":"00"}}"#.utf8)),
            (PluginPackage.signatureEntry, Data("c2lnbmF0dXJl".utf8)),
            ("plugin/w.lua", Data(String(repeating: "print('hello')\n", count: 40).utf8)),
        ], to: original)
        let bytes = try [UInt8](Data(contentsOf: original))
        var generator = SplitMix64(seed: 0x21_9)
        let damaged = folder.appendingPathComponent("damaged.rosterplugin")
        for round in 0..<3_000 {
            var copy = bytes
            // A few fields overwritten (sizes, offsets, counts, names, data: all ones is how
            // a size past Int64 came in), or the file cut short.
            if round % 10 == 9 {
                copy.removeLast(Int.random(in: 1..<copy.count, using: &generator))
            } else {
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    let at = Int.random(in: 0..<copy.count, using: &generator)
                    let width = [1, 2, 4, 8].randomElement(using: &generator)!
                    let fill: UInt8 = [0xFF, 0x00, 0x7F, 0x80, UInt8.random(in: 0...255, using: &generator)].randomElement(using: &generator)!
                    for k in at..<min(copy.count, at + width) { copy[k] = fill }
                }
            }
            try Data(copy).write(to: damaged)
            do {
                _ = try PluginPackage(path: damaged.path)
            } catch {
                #expect(!error.description.contains("\n"), "round \(round): \(error.description)")
            }
        }
    }
}

extension PluginPackageDamageTests {
    /// A package's plugin name and file paths become folders and files under the plugins
    /// folder: one that would land outside it (or on the signed manifest install writes) is
    /// refused when the package is read, before its signature and before anything is written.
    @Test(arguments: [
        ("..", "plugin/w.lua", "names its plugin '..', which is not a plugin name"),
        ("", "plugin/w.lua", "names its plugin '', which is not a plugin name"),
        ("roster-plugins.lock", "plugin/w.lua", "names its plugin 'roster-plugins.lock', which is not a plugin name"),
        ("p", "plugin/../w.lua", "holds ../w.lua, which would land outside the plugin's folder"),
        ("p", "plugin//etc/cron.d/w", "holds /etc/cron.d/w, which would land outside the plugin's folder"),
        ("p", "plugin/a/./w.lua", "holds a/./w.lua, which would land outside the plugin's folder"),
        ("p", "plugin/.roster-manifest.json", "holds .roster-manifest.json, which would land outside the plugin's folder"),
    ])
    func aPathLeavingThePluginsFolderIsRefused(_ name: String, _ entry: String, _ problem: String) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let package = folder.appendingPathComponent("outside.rosterplugin")
        let path = String(entry.dropFirst("plugin/".count))
        try Self.zip([
            (PluginPackage.manifestEntry, Data(#"{"format":1,"name":"\#(name)","version":"1.0.0","publisher":"acme","roster":">=0.1.0","permissions":[],"files":{"\#(path)":"00"}}"#.utf8)),
            (PluginPackage.signatureEntry, Data("c2lnbmF0dXJl".utf8)),
            (entry, Data("print('hello')\n".utf8)),
        ], to: package)
        do {
            _ = try PluginPackage(path: package.path)
            Issue.record("\(name) \(entry) was read")
        } catch {
            #expect(error.description == "the package '\(package.path)' \(problem)")
        }
    }

    /// An entry that unpacks to more than its declared size (a deflate bomb: 48 MB of zeros
    /// declared as 1 KB) is refused as damaged once it passes its size, not unpacked whole.
    @Test func anEntryUnpackingPastItsDeclaredSizeIsRefused() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let package = folder.appendingPathComponent("bomb.rosterplugin")
        try Self.zip([("plugin/big.lua", Data(count: 48 << 20))], to: package)
        // Declare 1 KB in the local header (offset 22) and the central directory (offset 24).
        var bytes = try [UInt8](Data(contentsOf: package))
        func declare(at offset: Int) { bytes.replaceSubrange(offset..<offset + 4, with: [0x00, 0x04, 0x00, 0x00]) }
        for index in 0..<(bytes.count - 4) {
            if bytes[index..<index + 4].elementsEqual([0x50, 0x4B, 0x03, 0x04]) { declare(at: index + 22) }
            if bytes[index..<index + 4].elementsEqual([0x50, 0x4B, 0x01, 0x02]) { declare(at: index + 24) }
        }
        try Data(bytes).write(to: package)
        #expect(bytes.count < 1 << 20)
        do {
            _ = try PluginPackage(path: package.path)
            Issue.record("a package unpacking past its declared size was read")
        } catch {
            #expect(error.description == "the package '\(package.path)' is damaged: plugin/big.lua cannot be read")
        }
    }
}
