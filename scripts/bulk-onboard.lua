-- bulk-onboard.lua: onboard one person, one CSV row, in Encore, Active911, Activeconnect
-- and Allthenticate.
--   roster run scripts/bulk-onboard.lua --each scripts/people.csv [--dry-run] [--failed-rows failed.csv]
-- Columns: email, first_name, last_name, phone, username. Each row prints its line; a row
-- that fails does not stop the others, and `roster resume RUN` runs again only the rows
-- that failed or never finished. (bulk-onboard-file.lua does the whole file in one run.)
--
-- Encore needs a first password: each row draws one and prints it once, here, for the
-- admin to hand over (the user changes it at first login). It is never journaled, and a
-- resumed row draws the same one. To set your own, add a `password` column.
if row == nil then
  error("this script runs once per row: roster run scripts/bulk-onboard.lua --each people.csv", 0)
end
for _, column in ipairs({"email", "first_name", "last_name", "username"}) do
  if (row[column] or "") == "" then
    error(("the %s column is empty"):format(column), 0)
  end
end

local password = row.password
if (password or "") == "" then
  password = ("Welcome-%06d!"):format(math.random(0, 999999))
end
local id = encore.create_user({
  user_name = row.username, first_name = row.first_name, last_name = row.last_name,
  email = row.email, phone = row.phone, role_id = 3, is_active = true, license_type = 1,
  password = password,
})
-- Rows that create members at the same moment share one bulk request (Active911 allows
-- 25 requests a minute).
local member = active911.create_member(nil, {
  name = row.first_name .. " " .. row.last_name, email = row.email, phone = row.phone,
  permissions = {"view_agency"},
})
activeconnect.add_users({row.email})
allthenticate.invite({row.email})

if roster.dry_run then
  print(("%s: planned"):format(row.email))
else
  print(("%s: encore user %s (first password %s), active911 member %s"):format(row.email, tostring(id), password, tostring(member.id)))
end
