/// SecretsInLuaTests.swift: nothing a script can reach holds a credential.
import Emulator
import Engine
import Testing

@Suite struct SecretsInLuaTests {
    static let secrets = [
        DemoTenant.Credentials.activeconnectSecret, DemoTenant.Credentials.encoreSubscriptionKey, DemoTenant.Credentials.guardantToken,
        DemoTenant.Credentials.active911RefreshToken, DemoTenant.Credentials.allthenticateAPIKey,
    ]

    @Test func noReachableStringHoldsASecret() async throws {
        try await EmulatedRun.with { run in
            // Walk everything reachable from _G (and metatables), print every string and
            // every value's tostring, and make every vendor fail once.
            let (result, output) = await run.lua("""
                local seen = {}
                local function walk(value, depth)
                  if depth > 8 or seen[value] then return end
                  if type(value) == "table" then
                    seen[value] = true
                    for k, v in pairs(value) do
                      print(tostring(k)); print(tostring(v))
                      walk(k, depth + 1); walk(v, depth + 1)
                    end
                    walk(getmetatable(value), depth + 1)
                  else
                    print(tostring(value))
                  end
                end
                walk(_G, 0)
                walk(getmetatable(""), 0)
                for _, call in ipairs({
                  function() return activeconnect.has_device("nobody") end,
                  function() return encore.get_user(1) end,
                  function() return guardant.update_user(1, {active = true}) end,
                  function() return active911.delete_member(nil, 1) end,
                  function() return allthenticate.get_user(1) end,
                }) do
                  local ok, err = pcall(call)
                  print(tostring(err))
                  if type(err) == "table" then for k, v in pairs(err) do print(k, tostring(v)) end end
                end
                help()
                for _, m in ipairs({activeconnect, encore, guardant, active911, allthenticate}) do help(m) end
                """)
            #expect(result.outcome == .success, "\(result.outcome.summaryForTests)")
            #expect(output.count > 1000)
            for secret in Self.secrets {
                #expect(!output.contains(secret), "a secret reached Lua")
            }
            for call in result.calls {
                for secret in Self.secrets { #expect(!call.summary.contains(secret)) }
            }
        }
    }
}
