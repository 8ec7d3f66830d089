test("accounts creates the Encore user and the Guardant account", function()
  local run = workflow("accounts", {email = "kim@example.com", first_name = "Kim", last_name = "Park", username = "kpark"})
  expect(run.error).to_be_nil()
  local found
  for _, user in ipairs(encore.list_users()) do
    if user.user_name == "kpark" then found = user end
  end
  expect(found and found.email).to_equal("kim@example.com")
  local account
  for _, user in ipairs(guardant.list_users()) do
    if user.email == "kim@example.com" then account = user end
  end
  expect(account.role.id).to_equal(5)
end)

test("accounts leaves existing accounts alone", function()
  local run = workflow("accounts", {email = "ada@example.com", first_name = "Ada", last_name = "Lovelace", username = "ada", guardant_role = 2})
  expect(run.ok).to_be(true)
  expect(run.output).to_contain("encore: ada already exists (1001)")
  expect(run.output).to_contain("guardant: ada@example.com already has an account")
end)

test("guardant_role must be an integer", function()
  local run = workflow("accounts", {email = "x@example.com", first_name = "X", last_name = "Y", username = "xy", guardant_role = "boss"})
  expect(run.exit_code).to_equal(2)
  expect(run.error).to_contain("guardant_role=boss is not an integer")
end)
