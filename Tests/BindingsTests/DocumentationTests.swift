/// DocumentationTests.swift: help, docs and stubs come from the declarations, and cover
/// every operation.
import Bindings
import Engine
import Foundation
import LuaHost
import Testing
import Vendors

@Suite struct DocumentationTests {
    /// Every operation VENDORS.md lists, by module, as Lua names.
    static let expected: [String: [String]] = [
        "activeconnect": ["add_users", "delete_users", "registration_link", "has_device", "lost_device", "send_registration_sms"],
        "encore": ["list_users", "get_user", "create_user", "update_user", "replace_user", "activate_user", "deactivate_user"],
        "guardant": ["list_users", "list_roles", "create_user", "update_user"],
        "active911": ["agencies", "create_member", "create_members", "delete_member"],
        "allthenticate": ["list_users", "get_user", "delete_user", "set_computer_usernames", "set_rank", "smartcards", "set_smartcards",
                          "promote_guest", "toggle_suspension", "invite", "resend_invite", "invites"],
    ]

    @Test func everyOperationIsDeclaredOnceWithDocs() {
        let modules = VendorRegistry.standard.documentedModules
        #expect(modules.map(\.name) == VendorRegistry.standard.vendors.map(\.rawValue))
        for module in modules {
            #expect(module.functions.map(\.name) == Self.expected[module.name], "\(module.name)")
            for function in module.functions {
                #expect(!function.summary.isEmpty && function.result != nil, "\(module.name).\(function.name)")
                #expect(function.parameters.allSatisfy { !$0.doc.isEmpty }, "\(module.name).\(function.name)")
                #expect(function.isAsync, "\(module.name).\(function.name) does I/O, so it yields")
            }
        }
        // Effects: reads are never planned; removals are destructive.
        let effect = { (module: String, name: String) in modules.first { $0.name == module }?.function(named: name)?.effect }
        #expect(effect("encore", "list_users") == .read)
        #expect(effect("encore", "deactivate_user") == .destructive)
        #expect(effect("activeconnect", "delete_users") == .destructive)
        #expect(effect("active911", "delete_member") == .destructive)
        #expect(effect("allthenticate", "delete_user") == .destructive)
        #expect(effect("allthenticate", "promote_guest") == .write)
    }

    /// The change semantics name what the operation declares: a change is identified by
    /// its own parameters (or their shapes' fields), an inverse is an operation of the same
    /// module, and reads identify no change.
    @Test func changeSemanticsNameDeclaredArguments() {
        for module in VendorRegistry.standard.modules {
            for operation in module.operations {
                let label = "\(module.vendor).\(operation.name)"
                let semantics = operation.semantics
                #expect(semantics.identity.isEmpty == (operation.effect == .read), "\(label): only changes have an identity")
                for entry in semantics.identity {
                    let parts = entry.split(separator: ".").map(String.init)
                    let parameter = operation.parameters.first { $0.name == parts[0] }
                    #expect(parameter != nil, "\(label): identity \(entry) names no parameter")
                    if parts.count == 2 {
                        guard case .shape(let shape)? = parameter?.form else {
                            Issue.record("\(label): identity \(entry) names a field of a parameter with no shape")
                            continue
                        }
                        #expect(shape.field(parts[1]) != nil, "\(label): identity \(entry) names no field")
                    }
                }
                // Every change says how it is undone, or why it cannot be; a read has nothing to undo.
                #expect((operation.undo == nil) == (operation.effect == .read), "\(label): a change declares its undo")
                if let why = operation.undo?.impossible { #expect(!why.isEmpty && operation.undo?.check == nil, "\(label)") }
            }
        }
    }

    /// Redaction comes from the declaration: a field declared redacted never reaches a
    /// record, whatever the operation.
    @Test func declaredRedactionsHoldInRecords() async throws {
        try await EmulatedRun.with { run in
            let (result, _) = await run.lua("""
                encore.create_user({user_name = "r1", password = "hunter2-pw"})
                guardant.create_user({username = "r@example.com", role_id = 3, password = "hunter2-pw"})
                """, dryRun: true)
            #expect(result.plan.count == 2)
            for record in result.plan {
                #expect(!record.summary.contains("hunter2"), "\(record.summary)")
                #expect(record.summary.contains("password=\"<redacted>\""), "\(record.summary)")
            }
        }
    }

    @Test func everyFunctionAppearsInDocsAndStubs() throws {
        let modules = VendorRegistry.standard.documentedModules
        let stubs = Dictionary(uniqueKeysWithValues: Stubs.files(for: modules).map { ($0.name, $0.text) })
        for module in modules {
            let docs = try #require(Documentation.text(topic: module.name, in: modules))
            let stub = try #require(stubs["\(module.name).lua"])
            #expect(stub.hasPrefix("---@meta\n"))
            for function in module.functions {
                #expect(docs.contains("\(module.name).\(function.name)("), "\(module.name).\(function.name) in docs")
                #expect(Documentation.text(topic: "\(module.name).\(function.name)", in: modules)?.contains(function.summary) == true)
                #expect(stub.contains("function \(module.name).\(function.name)("), "\(module.name).\(function.name) in stubs")
                for parameter in function.parameters {
                    #expect(stub.contains("---@param \(parameter.name)\(parameter.optional ? "?" : "") "), "\(module.name).\(function.name) \(parameter.name)")
                }
            }
        }
        #expect(stubs["roster.lua"]?.contains("function parallel.map(") == true)
    }

    @Test func theStubsAreValidLua() async {
        for file in Stubs.files(for: VendorRegistry.standard.documentedModules + [CSV.module]) {
            let outcome = await LuaRunner().run(LuaScript(name: file.name, source: file.text), output: CollectedOutput())
            #expect(outcome == .success, "\(file.name): \(outcome.summaryForTests)")
        }
    }

    @Test func helpInAScript() async throws {
        try await EmulatedRun.with { run in
            let output = await run.expectSuccess("""
                help(allthenticate.promote_guest)
                help(encore)
                help("active911.delete_member")
                help()
                local ok, err = pcall(help, "encore.get_usr")
                print(err)
                print(select(2, pcall(help, "encore.nosuch")))
                print(select(2, pcall(help, "os.getenv")))
                help("parallel.all")
                help(print)
                """)
            #expect(output.contains("""
                allthenticate.promote_guest(email_id) -> {ok: true}
                  Makes a guest a regular member of the organization.
                  effect: write (planned, not sent, under --dry-run)
                  undo: not undoable: a member cannot be made a guest again
                  email_id: integer - the user's email_id (from list_users)
                """))
            #expect(output.contains("encore.deactivate_user(id, options?) -> {ok: true}"))
            #expect(output.contains("[destructive] Deactivates a user"))
            #expect(output.contains("active911.delete_member(agency?, member_id) -> {ok: true}"))
            #expect(output.contains("Modules (help(module) or help(module.function) for more):"))
            #expect(output.contains("help: no documentation for 'encore.get_usr'; did you mean encore.get_user?"))
            // A module's name with an unknown function lists the module's functions.
            #expect(output.contains("help: no documentation for 'encore.nosuch'; encore has: list_users, get_user, create_user, update_user, replace_user, activate_user, deactivate_user"))
            #expect(output.contains("help: 'os.getenv' is not in Roster scripts: a script's values come from --arg NAME=VALUE (as args.NAME), and its secrets stay with Roster, which a script never sees; try help()"))
            #expect(output.contains("parallel.all(fns, options?) -> table\n  Calls each function of fns"))
            #expect(output.contains("print(...)\n  Writes its arguments"))
        }
    }
}
