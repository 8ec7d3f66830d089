/// BindingTests.swift: every vendor operation from Lua — arguments, results, errors — against
/// the in-process emulator, with the emulator's state checked afterwards.
import Bindings
import Emulator
import Engine
import Foundation
import LuaHost
import Testing
import Vendors

@Suite struct BindingTests {
    @Test func activeconnect() async throws {
        try await EmulatedRun.with { run in
            await run.expectSuccess("""
                local added = activeconnect.add_users({"new@example.com", "ada@example.com"})
                assert(added.created[1] == "new@example.com" and added.existing[1] == "ada@example.com")
                assert(activeconnect.has_device("ada@example.com") == true)
                assert(activeconnect.has_device("new@example.com") == false)
                local link = activeconnect.registration_link("new@example.com", {display_name = "New Person"})
                assert(type(link) == "string" and link:find("^http"), link)
                local fresh = activeconnect.lost_device("ada@example.com")
                assert(type(fresh) == "string")
                assert(activeconnect.has_device("ada@example.com") == false)
                assert(activeconnect.send_registration_sms("new@example.com", "+15550100", {message = "hi"}).ok)
                assert(activeconnect.delete_users({"grace@example.com"}).ok)
                local ok, err = pcall(activeconnect.has_device, "nobody@example.com")
                assert(not ok and err.vendor == "activeconnect" and err.operation == "has_device" and err.status == 404, tostring(err))
                -- A refusal in a 200 reads as the vendor's, not as if HTTP had failed.
                ok, err = pcall(activeconnect.send_registration_sms, "new@example.com", "12")
                assert(not ok and err.status == 200 and tostring(err):find("^activeconnect.send_registration_sms: refused %(HTTP 200%): "), tostring(err))
                """)
            let state = run.state
            #expect(state.activeconnectUser("new@example.com")?["sms_sent"] as? [String] == ["+15550100"])
            #expect(state.activeconnectUser("ada@example.com")?["disabled_devices"] as? Int == 1)
            #expect(state.activeconnectUser("grace@example.com") == nil)
        }
    }

    @Test func encore() async throws {
        try await EmulatedRun.with { run in
            await run.expectSuccess("""
                local users = encore.list_users()
                assert(#users == 3 and users[1].user_name == "ada" and users[1].role_id == 1 and users[1].is_active == true)
                assert(users[1].password == nil, "passwords are never read back")
                local id = encore.create_user({user_name = "newbie", password = "Pw#12345", first_name = "New", last_name = "Bie",
                                               email = "newbie@example.com", role_id = 3, employee_number = "E9", license_type = 1})
                assert(math.type(id) == "integer")
                local user = encore.get_user(id)
                assert(user.user_id == id and user.first_name == "New" and user.employee_number == "E9")
                assert(encore.get_user("E9", {external = true}).user_id == id)
                assert(encore.update_user(id, {first_name = "Newer"}) == id)
                assert(encore.get_user(id).first_name == "Newer" and encore.get_user(id).last_name == "Bie", "PATCH keeps the rest")
                assert(encore.replace_user(id, {user_name = "newbie", first_name = "Only", last_name = "Name", email = "newbie@example.com", role_id = 3, license_type = 1}) == id)
                assert(encore.deactivate_user(id).ok)
                assert(encore.get_user(id).is_active == false)
                assert(encore.activate_user(id) == id)
                -- Failures: an error object with the vendor's code.
                local ok, err = pcall(encore.create_user, {user_name = "ada", password = "Pw#12345", first_name = "A", last_name = "B", role_id = 3, license_type = 1})
                assert(not ok and err.status == 400 and err.code == "115" and err.retryable == false, tostring(err))
                assert(tostring(err):find("^encore.create_user: HTTP 400 %(code 115%): "), tostring(err))
                ok, err = pcall(encore.get_user, 424242)
                assert(not ok and err.status == 404 and err.code == "128")
                -- Argument errors name the function, argument and field.
                ok, err = pcall(encore.get_user, nil)
                assert(err == "encore.get_user: argument #1 (id) expected integer or string, got nil", err)
                ok, err = pcall(encore.create_user, {user_nam = "x"})
                assert(err:find("argument #1 %(fields%) has unknown field 'user_nam'"), err)
                ok, err = pcall(encore.create_user, {user_name = 5})
                assert(err:find("field user_name expected string, got integer"), err)
                -- A field's number or boolean given as text (a CSV cell) says how to convert it.
                ok, err = pcall(encore.update_user, 1001, {role_id = " 3"})
                assert(err == 'encore.update_user: argument #2 (fields) field role_id expected integer, got string ("3" is text: '
                  .. 'tonumber(...) makes a number of it; a CSV cell and an --arg are always text)', err)
                ok, err = pcall(encore.get_user, 1001, {external = "false"})
                assert(err:find('field external expected boolean, got string ("false" is text: (... == "true") makes a boolean of it;', 1, true), err)
                ok, err = pcall(encore.update_user, 1001, {role_id = "admin", is_active = "yes"})
                assert(err:find("expected [a-z]+, got string$"), err)
                ok, err = pcall(encore.get_user, "x", {external = false})
                assert(err:find("expected an integer InternalId"), err)
                """)
            #expect(run.state.encoreUser("newbie")?["IsActive"] as? Bool == true)
        }
    }

    @Test func guardant() async throws {
        try await EmulatedRun.with { run in
            await run.expectSuccess("""
                local users = guardant.list_users()
                assert(#users == 3)
                local archived = guardant.list_users({archived = true})
                assert(#archived == 1 and archived[1].email == "alan@example.com" and archived[1].archived == true)
                local roles = guardant.list_roles()
                assert(#roles >= 4 and roles[1].id and roles[1].name)
                local user = guardant.create_user({username = "new@example.com", role_id = 5, password = "Passw0rd-long",
                                                   first_name = "New", last_name = "Person"})
                assert(user.id and user.email == "new@example.com" and user.role.id == 5, user.email)
                local changed = guardant.update_user(user.id, {archived = true, active = false, role_id = 2})
                assert(changed.archived == true and changed.active == false and changed.role.id == 2)
                local ok, err = pcall(guardant.update_user, 999999, {active = true})
                assert(not ok and err.vendor == "guardant" and err.status == 404, tostring(err))
                ok, err = pcall(guardant.create_user, {username = "x@example.com"})
                assert(err:find("field role_id is required"), err)
                ok, err = pcall(guardant.list_users, {direction = "up"})
                assert(err:find('direction must be "asc" or "desc"'), err)
                """)
            #expect(run.state.guardantUser("new@example.com")?["archived"] as? Bool == true)
        }
    }

    @Test func active911() async throws {
        try await EmulatedRun.with { run in
            await run.expectSuccess("""
                local agencies = active911.agencies()
                assert(#agencies == 2 and agencies[1].id and agencies[1].name)
                local member = active911.create_member(nil, {name = "New Member", email = "nm@example.com", permissions = {"view_agency"}})
                assert(member.id and member.email == "nm@example.com" and member.permissions[1] == "view_agency")
                local many = active911.create_members(agencies[2].id, {{name = "A", email = "a@example.com"}, {name = "B", email = "b@example.com"}})
                assert(#many == 2 and many[2].email == "b@example.com")
                local deleted = active911.delete_member(nil, 501)
                assert(deleted.ok and not deleted.already)
                -- Deleting a member who is not there converges: already so.
                local again = active911.delete_member(nil, 501)
                assert(again.ok and again.already == true)
                local ok, err = pcall(active911.delete_member, "no-such-agency", 501)
                assert(not ok and err.vendor == "active911" and err.status == 404, tostring(err))
                ok, err = pcall(active911.create_members, nil, {{name = "A"}})
                assert(err:find("item 1 field email is required"), err)
                """)
            let members = run.state.active911Members()
            #expect(members.contains { $0["email"] as? String == "nm@example.com" })
            #expect(!members.contains { $0["id"] as? Int == 501 })
            #expect(run.state.active911Members("9b1d7c2e-5a4f-4e0b-8c7d-2f3a1b6c9d0e").count == 2)
        }
    }

    @Test func allthenticate() async throws {
        try await EmulatedRun.with { run in
            await run.expectSuccess("""
                local users = allthenticate.list_users({email = true})
                assert(#users == 3 and users[1].email == "ada@example.com" and users[1].email_id == 101)
                local guests = allthenticate.list_users({guests = true})
                assert(#guests == 1 and guests[1].email_id == 103)
                local ada = allthenticate.get_user(101)
                assert(ada.computer_usernames[1] == "ada" and ada.smartcards[1].number == "100200300")
                assert(allthenticate.smartcards(101)[1].label == "Ada's badge")
                assert(allthenticate.set_smartcards(102, {{number = "42", label = "Door"}, {number = 43}}).ok)
                local cards = allthenticate.smartcards(102)
                assert(#cards == 2 and cards[2].number == "43")
                local ok, err = pcall(allthenticate.set_smartcards, 103, {{number = "42"}})
                assert(not ok and err.vendor == "allthenticate" and err.status == 400, tostring(err))
                assert(allthenticate.set_smartcards(103, {{number = "42"}}, {allow_duplicates = true}).ok)
                ok, err = pcall(allthenticate.set_smartcards, 103, {{number = "12a"}})
                assert(err:find("field number must be digits"), err)
                assert(allthenticate.set_computer_usernames(102, {"grace", "ghopper"}).ok)
                assert(allthenticate.get_user(102).computer_usernames[2] == "ghopper")
                assert(allthenticate.set_rank(2, "admin").ok)
                ok, err = pcall(allthenticate.set_rank, 2, "boss")
                assert(err:find('must be "REGULAR", "ADMIN" or "SUPER"'), err)
                assert(allthenticate.promote_guest(103).ok)
                local toggled = allthenticate.toggle_suspension(102)
                assert(type(toggled) == "table")
                local invited = allthenticate.invite({"new@example.com", "ada@example.com", "bad"}, {no_email = true})
                assert(invited.added[1] == "new@example.com" and invited.exists[1] == "ada@example.com" and invited.invalid[1] == "bad")
                assert(#invited.invited == 0)
                assert(allthenticate.resend_invite("pending@example.com").ok)
                local pending = allthenticate.invites()
                assert(#pending == 2 and pending[1].email == "pending@example.com")
                assert(allthenticate.delete_user({email = "ada@example.com"}).ok)
                ok, err = pcall(allthenticate.delete_user, {})
                assert(err:find("needs email_id or email"), err)
                ok, err = pcall(allthenticate.get_user, 999)
                assert(not ok and err.status == 400, tostring(err))
                """)
            let state = run.state
            #expect(state.allthenticateUser("ada@example.com") == nil)
            #expect(state.allthenticateUser("grace@example.com")?["user_tag"] as? String == "ADMIN")
            #expect(state.allthenticateUser("grace@example.com")?["ad_status"] as? String == "SUSPENDED")
            #expect(state.allthenticateUser("guest@example.com")?["user_tag"] as? String == "REGULAR")
        }
    }

    @Test func anInternalIdGivenAsTextSaysHowItWasLookedUp() async throws {
        try await EmulatedRun.with { run in
            // A CSV cell or an --arg is a string: "1001" names the ExternalId 1001, and the
            // refusal says so, with how to ask for the InternalId.
            let (result, _) = await run.lua("local id = \"1001\"\nencore.get_user(id)\n", name: "row.lua")
            #expect(result.outcome.summaryForTests == "row.lua:2: encore.get_user: HTTP 404 (code 128): User not found or deleted. "
                + "(\"1001\" was looked up as an ExternalId, as a string id is; tonumber(id), or {external = false}, "
                + "looks up the user whose InternalId is 1001)")
            await run.expectSuccess("""
                assert(encore.get_user(tonumber("1001")).user_name == "ada")
                assert(encore.get_user("1001", {external = false}).user_name == "ada")
                for _, call in ipairs({"activate_user", "deactivate_user"}) do
                  local ok, err = pcall(encore[call], "1001")
                  assert(not ok and err.status == 404 and err.message:find("looked up as an ExternalId", 1, true), tostring(err))
                end
                local ok, err = pcall(encore.update_user, "1001", {first_name = "A"})
                assert(not ok and err.message:find("tonumber(id)", 1, true), tostring(err))
                -- Marked as an ExternalId, or not made of digits: the vendor's words alone.
                ok, err = pcall(encore.get_user, "1001", {external = true})
                assert(not ok and err.message == "User not found or deleted.", tostring(err))
                ok, err = pcall(encore.get_user, "ada-1")
                assert(not ok and err.message == "User not found or deleted.", tostring(err))
                """)
        }
    }

    /// A name sent in a URL's path is refused before anything is sent when it is empty, "."
    /// or "..": `encore.get_user("")` reached `users/`, the list of every user, and a server
    /// resolves `users/..` or `agency/../member/5` to another resource than the one named.
    @Test func aNameSentInAURLIsOne() async throws {
        try await EmulatedRun.with { run in
            let refusals = [
                (#"encore.get_user("")"#, #"encore.get_user: argument #1 (id) is empty: a name sent in a URL cannot be (a blank CSV cell is "")"#),
                (#"encore.deactivate_user(".", {external = true})"#, #"encore.deactivate_user: argument #1 (id) is ".": a URL reads it as a step along its path, not as a name"#),
                (#"encore.update_user("..", {first_name = "A"})"#, #"encore.update_user: argument #1 (id) is "..": a URL reads it as a step along its path, not as a name"#),
                (#"activeconnect.lost_device("")"#, #"activeconnect.lost_device: argument #1 (user) is empty: a name sent in a URL cannot be (a blank CSV cell is "")"#),
                (#"activeconnect.registration_link("..")"#, #"activeconnect.registration_link: argument #1 (user) is "..": a URL reads it as a step along its path, not as a name"#),
                (#"active911.delete_member("..", 5)"#, #"active911.delete_member: argument #1 (agency) is "..": a URL reads it as a step along its path, not as a name"#),
                (#"active911.create_member("", {name = "A", email = "a@example.com"})"#, #"active911.create_member: argument #1 (agency) is empty: a name sent in a URL cannot be (a blank CSV cell is "")"#),
            ]
            for (call, message) in refusals {
                let (result, _) = await run.lua("local row = {}\n\(call)\n", name: "row.lua")
                #expect(result.outcome.summaryForTests == "row.lua:2: " + message, "\(call)")
                #expect(result.calls.isEmpty, "\(call) sent \(result.calls)")
            }
            // Names holding dots, or made of more than two, are names: sent, and answered.
            let (sent, _) = await run.lua(#"for _, id in ipairs({"...", "a.b", "../x"}) do pcall(encore.get_user, id); pcall(activeconnect.has_device, id) end"#)
            #expect(sent.calls.count == 6, "\(sent.calls)")
        }
    }

    @Test func aVendorErrorIsOneReadableLineAtTheTopLevel() async throws {
        try await EmulatedRun.with { run in
            let (result, _) = await run.lua("local x = 1\nencore.get_user(424242)\n", name: "lookup.lua")
            #expect(result.outcome == .scriptError(message: "lookup.lua:2: encore.get_user: HTTP 404 (code 128): User not found or deleted.",
                                                   traceback: "") || result.outcome.summaryForTests == "lookup.lua:2: encore.get_user: HTTP 404 (code 128): User not found or deleted.")
            #expect(result.calls.map(\.outcome) == [.failed("encore.get_user: HTTP 404 (code 128): User not found or deleted.")])
            // The error object cannot be given another metatable, and its own is hidden.
            await run.expectSuccess("""
                local ok, err = pcall(encore.get_user, 424242)
                assert(getmetatable(err) == "roster.vendor_error")
                assert(not pcall(setmetatable, err, {}))
                """)
        }
    }

    @Test func aFlakyVendorIsRetriedForReadsOnly() async throws {
        try await EmulatedRun.with { run in
            run.emulator.world.faults.update(try FaultSpec(parsing: "error503=1"), seed: 1)
            let (result, _) = await run.lua("""
                local ok, err = pcall(encore.get_user, 1001)
                assert(not ok and err.status == 503 and err.retryable == true, tostring(err))
                """)
            #expect(result.outcome == .success, "\(result.outcome.summaryForTests)")
        }
    }

    @Test func anUnconfiguredVendorSaysWhatToAdd() async {
        let runner = VendorScriptRunner(tenant: Tenant(name: "acme"))
        let output = CollectedOutput()
        let result = await runner.run(LuaScript(name: "t.lua", source: "encore.list_users()"), dryRun: false, output: output)
        #expect(result.outcome.summaryForTests == "t.lua:1: encore.list_users: encore is not configured for tenant 'acme'; add a [tenants.acme.encore] section to roster.toml")
    }
}
