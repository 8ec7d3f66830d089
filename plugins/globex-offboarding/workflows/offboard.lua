-- Remove a leaver everywhere Globex uses; a vendor that fails does not stop the others.
local email = params.email
local outcomes, failed = {}, 0

local function step(vendor, fn)
  local ok, result = pcall(fn)
  if not ok then failed = failed + 1 end
  outcomes[#outcomes + 1] = ("  %-13s %s"):format(vendor, ok and result or ("FAILED: " .. tostring(result)))
end

step("activeconnect", function()
  local result = activeconnect.delete_users({email})
  return result.already and "already gone" or "deleted"
end)
step("encore", function()
  for _, user in ipairs(encore.list_users()) do
    if user.email == email then
      encore.deactivate_user(user.user_id)
      return ("deactivated %s (%d)"):format(user.user_name, user.user_id)
    end
  end
  return "no user with this email"
end)
step("allthenticate", function()
  local result = allthenticate.delete_user({email = email})
  return result.already and "already gone" or "removed from the organization"
end)

print("Offboarding " .. email)
for _, line in ipairs(outcomes) do print(line) end
if failed > 0 then error(("%d vendor(s) failed"):format(failed), 0) end
