-- Create the person's Encore user and Guardant portal account (skipping what exists).
local people = require("lib.people")

local existing
for _, user in ipairs(encore.list_users()) do
  if user.user_name == params.username then existing = user end
end
if existing then
  print(("encore: %s already exists (%d)"):format(params.username, existing.user_id))
else
  local id = encore.create_user({
    user_name = params.username, first_name = params.first_name, last_name = params.last_name,
    email = params.email, role_id = 3, license_type = 1, is_active = true,
    password = people.temporary_password(),
  })
  print(("encore: created %s (%s)"):format(params.username, tostring(id)))
end

for _, user in ipairs(guardant.list_users()) do
  if user.email == params.email then
    print(("guardant: %s already has an account (%d)"):format(params.email, user.id))
    return
  end
end
local account = guardant.create_user({
  username = params.email, role_id = params.guardant_role, password = people.temporary_password(),
  first_name = params.first_name, last_name = params.last_name,
})
print(("guardant: created %s (%s)"):format(params.email, tostring(account.id)))
