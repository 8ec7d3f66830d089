-- onboard-guest.lua: turn an Allthenticate guest into a member with everything they need.
--   roster run scripts/onboard-guest.lua [--arg email=guest@example.com] [--arg card=555000111]
--                                        [--arg username=gus] [--dry-run]
-- Promotes the guest, gives them a smartcard and a computer username, adds them to
-- Activeconnect and issues a device registration link.
local email = args.email or "guest@example.com"
local card = args.card or "555000111"
local username = args.username or email:match("^([^@]+)")

-- Find the guest (list_users pages for us; email = true includes addresses).
local guest
for _, user in ipairs(allthenticate.list_users({email = true, guests = true})) do
  if user.email == email then guest = user end
end
if not guest then
  error(("%s is not a guest in Allthenticate (see scripts/access-review.lua for who is)"):format(email), 0)
end
local name = ((guest.first_name or "") .. " " .. (guest.last_name or "")):match("^%s*(.-)%s*$")
print(("Onboarding %s <%s> (email_id %d)%s"):format(name, email, guest.email_id,
  roster.dry_run and " (dry run: the changes below are planned, not sent)" or ""))

allthenticate.promote_guest(guest.email_id)
print("  allthenticate: promoted from guest to member")

allthenticate.set_smartcards(guest.email_id, {{number = card, label = name .. "'s badge"}})
print(("  allthenticate: smartcard %s assigned"):format(card))

allthenticate.set_computer_usernames(guest.email_id, {username})
print(("  allthenticate: computer username %s set"):format(username))

local added = activeconnect.add_users({email})
if added.dry_run then
  print("  activeconnect: user added (dry run)")
elseif #added.existing > 0 then
  print("  activeconnect: already a user")
else
  print("  activeconnect: user added")
end

local link = activeconnect.registration_link(email, {display_name = name})
print("  activeconnect: device registration link " .. link)
