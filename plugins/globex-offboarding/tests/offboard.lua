test("offboard removes the leaver from every vendor", function()
  local run = workflow("offboard", {email = "grace@example.com"})
  expect(run.error).to_be_nil()
  expect(run.output).to_contain("deactivated grace (1002)")
  expect(encore.get_user(1002).is_active).to_be(false)
  expect(function() return activeconnect.has_device("grace@example.com") end).to_fail("HTTP 404")
  local emails = {}
  for _, user in ipairs(allthenticate.list_users({email = true})) do emails[#emails + 1] = user.email end
  expect(emails).to_equal({"ada@example.com", "guest@example.com"})
end)

test("offboard reports a vendor that fails and goes on", function()
  local run = workflow("offboard", {email = "nobody@example.com"})
  expect(run.exit_code).to_equal(1)
  expect(run.output).to_contain("encore        no user with this email")
  expect(run.error).to_contain("vendor(s) failed")
end)
