-- compute.lua: a pure-Lua workload of a second or more, for comparing
-- `roster run Benchmarks/compute.lua` with `lua5.4 Benchmarks/compute.lua`.
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end

local function sieve(limit)
  local composite, count = {}, 0
  for i = 2, limit do
    if not composite[i] then
      count = count + 1
      for j = i * i, limit, i do composite[j] = true end
    end
  end
  return count
end

local function words(n)
  local list = {}
  for i = 1, n do list[i] = string.format("user%06d@example.com", (i * 7919) % n) end
  table.sort(list)
  local domains = {}
  for _, email in ipairs(list) do
    local user, domain = email:match("^([^@]+)@(.+)$")
    domains[domain] = (domains[domain] or 0) + #user
  end
  return domains["example.com"]
end

local start = os.clock()
local checksum = fib(34) + sieve(1500000) + words(200000)
print(("checksum %d in %.2f s of CPU"):format(checksum, os.clock() - start))
