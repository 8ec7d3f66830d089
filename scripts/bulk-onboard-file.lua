-- bulk-onboard-file.lua: create everyone listed in a CSV file in Encore, Active911,
-- Activeconnect and Allthenticate, the whole file in one run (bulk-onboard.lua does the
-- same row by row, with a line and a result per row).
--   roster run scripts/bulk-onboard-file.lua --input scripts/people.csv [--dry-run]
-- Columns: email, first_name, last_name, phone, username. Active911 gets one bulk call
-- (its rate limit is 25 a minute); Encore users are created side by side with parallel.map.
local text = inputs[1] or error("give the CSV file: --input people.csv", 0)
local people = csv.parse(text)
print(("Onboarding %d people"):format(#people))

for index, person in ipairs(people) do
  for _, column in ipairs({"email", "first_name", "last_name", "username"}) do
    if (person[column] or "") == "" then
      error(("row %d: the %s column is empty"):format(index + 1, column), 0)
    end
  end
end

-- Encore: one user each, four at a time, with a first password they change at first login.
local function temporary_password()
  return ("Welcome-%06d!"):format(math.random(0, 999999))
end
local ids = parallel.map(people, function(person)
  return encore.create_user({
    user_name = person.username, first_name = person.first_name, last_name = person.last_name,
    email = person.email, phone = person.phone, role_id = 3, is_active = true, license_type = 1,
    password = temporary_password(),
  })
end, {concurrency = 4})

-- Active911: everyone in one request.
local members = {}
for _, person in ipairs(people) do
  members[#members + 1] = {name = person.first_name .. " " .. person.last_name, email = person.email,
                           phone = person.phone, permissions = {"view_agency"}}
end
local created = active911.create_members(nil, members)

-- Activeconnect and Allthenticate take lists.
local emails = {}
for _, person in ipairs(people) do emails[#emails + 1] = person.email end
activeconnect.add_users(emails)
local invited = allthenticate.invite(emails, {no_email = false})

for index, person in ipairs(people) do
  local member = created.dry_run and created or created[index]
  print(("  %-18s encore id %s, active911 member %s"):format(person.email, tostring(ids[index]),
    member.dry_run and "(dry run)" or tostring(member.id)))
end
if not invited.dry_run then
  print(("  allthenticate: %d invited, %d already there, %d invalid"):format(#invited.added, #invited.exists, #invited.invalid))
end
