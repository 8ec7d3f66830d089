-- Disable a lost phone and issue a new registration link.
if not activeconnect.has_device(params.user) then
  print(params.user .. " has no registered device; new link: " .. activeconnect.registration_link(params.user))
  return
end
local link = activeconnect.lost_device(params.user)
print(params.user .. ": device disabled; new link: " .. link)
if params.phone then
  activeconnect.send_registration_sms(params.user, params.phone, {message = "Register your new phone with this link."})
  print("texted to " .. params.phone)
end
