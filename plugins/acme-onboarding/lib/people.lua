-- lib/people.lua: helpers the workflows share (loaded with require, from this plugin only).
local people = {}

-- The Allthenticate guest with this email, or an error naming it.
function people.guest(email)
  for _, user in ipairs(allthenticate.list_users({email = true, guests = true})) do
    if user.email == email then return user end
  end
  error(("%s is not a guest in Allthenticate"):format(email), 2)
end

-- "First Last" from a user record.
function people.name(user)
  return ((user.first_name or "") .. " " .. (user.last_name or "")):match("^%s*(.-)%s*$")
end

-- A first password, changed at first login.
function people.temporary_password()
  return ("Welcome-%06d!"):format(math.random(0, 999999))
end

return people
