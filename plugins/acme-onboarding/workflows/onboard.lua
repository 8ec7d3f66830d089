-- Promote an Allthenticate guest, give a smartcard, add to Activeconnect, issue a link.
local people = require("lib.people")

local guest = people.guest(params.email)
local name = people.name(guest)
allthenticate.promote_guest(guest.email_id)
print(("%s <%s>: promoted to member"):format(name, params.email))

if params.card then
  allthenticate.set_smartcards(guest.email_id, {{number = params.card, label = name .. "'s badge"}})
  print("smartcard " .. params.card .. " assigned")
end

activeconnect.add_users({params.email})
print("registration link: " .. activeconnect.registration_link(params.email, {display_name = name}))
