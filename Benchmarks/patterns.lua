-- patterns.lua: a workload of string.find, match, gmatch and gsub, for comparing Roster's own
-- pattern matcher (`roster run Benchmarks/patterns.lua`) with the stock one (`lua5.4 ...`).
local lines = {}
for i = 1, 2000 do
  lines[i] = string.format("%05d,user%d@example.com,Ada %s Lovelace,+1-555-%04d,2026-11-%02d T%02d:%02d  [ok]",
                           i, i, string.rep("x", i % 7), i % 10000, i % 28 + 1, i % 24, i % 60)
end
local total = 0
for round = 1, 60 do
  for _, line in ipairs(lines) do
    local id, email, name = line:match("^(%d+),([^,]+),([^,]+),")
    local user, domain = email:match("^([%w%.%-_]+)@([%w%.%-]+)$")
    local phone = line:find("+1-555-", 1, true)
    local year, month, day = line:match("(%d%d%d%d)%-(%d%d)%-(%d%d)")
    local words = 0
    for _ in name:gmatch("%a+") do words = words + 1 end
    local cleaned, count = line:gsub("%s+", " ")
    local balanced = line:match("%b[]")
    local frontier = select(2, line:gsub("%f[%w]%w+", ""))
    total = total + #id + #user + #domain + (phone or 0) + #year + words + count + #balanced + frontier + #cleaned
  end
end
print(total)
