/// VendorTextTests.swift: text bound for a vendor is valid UTF-8 without NUL bytes, or the
/// call is an argument error naming the function and argument; nothing is sent.
import Testing

@Suite struct VendorTextTests {
    @Test func badTextIsAnArgumentErrorAndNothingIsSent() async throws {
        try await EmulatedRun.with { run in
            await run.expectSuccess(#"""
                local function refused(fn, expected)
                  local ok, err = pcall(fn)
                  assert(not ok, "sent: " .. expected)
                  assert(tostring(err):find(expected, 1, true), tostring(err))
                end
                refused(function() activeconnect.add_users({"bad\xff@example.com"}) end,
                        "activeconnect.add_users: argument #1 (users) item 1 is not valid UTF-8")
                refused(function() activeconnect.registration_link("nul\0@example.com") end,
                        "activeconnect.registration_link: argument #1 (user) holds a NUL byte")
                refused(function() active911.create_member(nil, {name = "Ren\xe9e", email = "r@example.com"}) end,
                        "active911.create_member: argument #2 (member) field name is not valid UTF-8")
                refused(function() allthenticate.set_computer_usernames(102, {"ok", "b\0ad"}) end,
                        "allthenticate.set_computer_usernames: argument #2 (names) item 2 holds a NUL byte")
                refused(function() csv.parse("name\nRen\xe9e\n") end,
                        "csv.parse: argument #1 (text) is not valid UTF-8")
                -- Real UTF-8 goes through.
                assert(activeconnect.add_users({"zoë@example.com"}).created[1] == "zoë@example.com")
                """#)
            #expect(run.state.activeconnectUser("zoë@example.com") != nil)
            #expect(run.state.activeconnectUser("nul\u{0}@example.com") == nil)
        }
    }
}
