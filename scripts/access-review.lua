-- access-review.lua: who has access, and what needs a look.
--   roster run scripts/access-review.lua
-- Reports suspended users, guests, admins (Allthenticate ADMIN/SUPER, Encore Admin, Guardant
-- Administrator), inactive or archived accounts, and people without a registered device in
-- Activeconnect. Reads only.
local findings = {}
local function note(section, line)
  findings[section] = findings[section] or {}
  table.insert(findings[section], line)
end

local people = {}
local function person(email)
  if email and email ~= "" then people[email] = true end
end

for _, user in ipairs(allthenticate.list_users({email = true})) do
  person(user.email)
  if user.ad_status == "SUSPENDED" then note("Suspended", "allthenticate " .. user.email) end
  if user.user_tag == "GUEST" then note("Guests", "allthenticate " .. user.email) end
  if user.user_tag == "ADMIN" or user.user_tag == "SUPER" then
    note("Admins", ("allthenticate %s (%s)"):format(user.email, user.user_tag))
  end
end

for _, user in ipairs(encore.list_users()) do
  person(user.email)
  if user.role_id == 1 then note("Admins", ("encore %s (Admin)"):format(user.user_name)) end
  if user.is_active == false then note("Inactive", ("encore %s"):format(user.user_name)) end
end

for _, user in ipairs(guardant.list_users()) do
  person(user.email)
  if user.archived then note("Inactive", ("guardant %s (archived)"):format(user.email)) end
  if user.role and user.role.id == 1 then note("Admins", ("guardant %s (Administrator)"):format(user.email)) end
end

-- Activeconnect has no user list: ask about everyone found above, eight at a time.
local emails = {}
for email in pairs(people) do emails[#emails + 1] = email end
table.sort(emails)
local registered = parallel.map(emails, function(email)
  local ok, result = pcall(activeconnect.has_device, email)
  if ok then return result end
  return tostring(result)
end, {concurrency = 8})
for index, email in ipairs(emails) do
  local state = registered[index]
  if state == false then
    note("No registered device", "activeconnect " .. email)
  elseif type(state) == "string" and not state:find("HTTP 404", 1, true) then
    note("Could not check", ("activeconnect %s: %s"):format(email, state))
  end
end

print(("Access review of %d people"):format(#emails))
for _, section in ipairs({"Suspended", "Guests", "Admins", "Inactive", "No registered device", "Could not check"}) do
  local lines = findings[section]
  if lines then
    table.sort(lines)
    print(("%s (%d):"):format(section, #lines))
    for _, line in ipairs(lines) do print("  " .. line) end
  end
end
