-- offboard.lua: remove one person from every vendor, reporting each outcome.
--   roster run scripts/offboard.lua --arg email=grace@example.com [--dry-run]
-- Activeconnect: delete. Encore: deactivate (there is no hard delete). Guardant: archive.
-- Active911: delete the member from every agency that lists this email.
-- Allthenticate: remove from the organization. A vendor that fails does not stop the others.
local email = args.email or error("give the person's email: --arg email=someone@example.com", 0)

local function find(list, matches)
  for _, item in ipairs(list) do
    if matches(item) then return item end
  end
end

local steps = {
  {"activeconnect", function()
    local deleted = activeconnect.delete_users({email})
    return deleted.already and "already gone" or "user deleted"
  end},
  {"encore", function()
    local user = find(encore.list_users(), function(u) return u.email == email end)
    if not user then return nil, "no user with this email" end
    local done = encore.deactivate_user(user.user_id)
    return ("user %s (%d) %s"):format(user.user_name, user.user_id, done.already and "already deactivated" or "deactivated")
  end},
  {"guardant", function()
    local user = find(guardant.list_users(), function(u) return u.email == email end)
    if not user then return nil, "no user with this email" end
    if user.archived then return "already archived" end
    guardant.update_user(user.id, {archived = true, active = false})
    return ("user %d archived"):format(user.id)
  end},
  {"active911", function()
    local removed = {}
    for _, agency in ipairs(active911.agencies()) do
      local member = find(agency.members, function(m) return m.email == email end)
      if member then
        active911.delete_member(agency.id, member.id)
        removed[#removed + 1] = ("member %d from %s"):format(member.id, agency.name)
      end
    end
    if #removed == 0 then return nil, "no member with this email" end
    return "deleted " .. table.concat(removed, ", ")
  end},
  {"allthenticate", function()
    local removed = allthenticate.delete_user({email = email})
    return removed.already and "already gone" or "removed from the organization"
  end},
}

print(("Offboarding %s%s"):format(email, roster.dry_run and " (dry run: the changes below are planned, not sent)" or ""))
local failed, skipped = 0, 0
for _, step in ipairs(steps) do
  local vendor, run = step[1], step[2]
  local ok, result, note = pcall(run)
  if not ok then
    failed = failed + 1
    print(("  FAILED  %-13s %s"):format(vendor, tostring(result)))
  elseif result == nil then
    skipped = skipped + 1
    print(("  skipped %-13s %s"):format(vendor, note))
  else
    print(("  done    %-13s %s"):format(vendor, result))
  end
end
print(("%d done, %d skipped, %d failed"):format(#steps - failed - skipped, skipped, failed))
if failed > 0 then error(("offboarding of %s is incomplete: %d vendor(s) failed"):format(email, failed), 0) end
