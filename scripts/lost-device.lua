-- lost-device.lua: disable a lost phone and give the person a new registration link.
--   roster run scripts/lost-device.lua [--arg user=ada@example.com] [--arg phone=+15550101] [--dry-run]
-- With a phone number the new link is also sent by SMS.
local user = args.user or "ada@example.com"

if not activeconnect.has_device(user) then
  print(("%s has no registered device; issuing a registration link instead"):format(user))
  print("  new registration link: " .. activeconnect.registration_link(user))
  return
end

local link = activeconnect.lost_device(user)
print(("%s: the registered device is disabled"):format(user))
print("  new registration link: " .. link)

if args.phone then
  activeconnect.send_registration_sms(user, args.phone, {message = "Your device was reported lost. Register your new phone with this link."})
  print(("  link sent by SMS to %s"):format(args.phone))
end
