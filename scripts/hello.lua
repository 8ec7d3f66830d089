-- hello.lua: the first script `make run` runs. It shows what every Roster script has:
-- `args` from the command line (--arg name=...), `print` to Roster's output, and
-- `parallel.map` for running work side by side. The vendor modules are in the other scripts.
local name = args.name or "admin"
print(("Hello, %s! This is Roster running %s in its sandbox."):format(name, _VERSION))

local team = {"ada@example.com", "grace@example.com", "linus@example.com"}
local greetings = parallel.map(team, function(email, index)
  local user = email:match("^([^@]+)")
  return ("%d. %s <%s>"):format(index, user:sub(1, 1):upper() .. user:sub(2), email)
end, {concurrency = 2})
print(table.concat(greetings, "\n"))

-- Scripts cannot reach the machine: no io, no os.execute, no debug.
print(("io is %s, os.execute is %s"):format(tostring(io), tostring(os.execute)))
