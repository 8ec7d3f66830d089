-- PluginTestRunner.prelude.lua: `test` and `expect` for plugin test files, then the test
-- file itself (loaded with its own name, so failures point at its lines).
local report, begin, reset, source, chunkname = __roster_report, __roster_begin, __roster_reset, __roster_test_source, __roster_test_name
local skip, index = __roster_skip, 0
__roster_report, __roster_begin, __roster_reset, __roster_test_source, __roster_test_name, __roster_skip = nil, nil, nil, nil, nil, nil
local pcall, type, tostring, next, ipairs, error, load, rawequal, getmetatable = pcall, type, tostring, next, ipairs, error, load, rawequal, getmetatable
local format, concat, sort, mathtype = string.format, table.concat, table.sort, math.type

local function show(value, depth)
  depth = depth or 0
  if type(value) == "string" then return format("%q", value) end
  if type(value) ~= "table" or depth > 2 then return tostring(value) end
  local keys = {}
  for k in next, value do keys[#keys + 1] = k end
  sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local parts = {}
  for _, k in ipairs(keys) do
    local key = type(k) == "string" and k or "[" .. tostring(k) .. "]"
    parts[#parts + 1] = key .. " = " .. show(value[k], depth + 1)
  end
  return "{" .. concat(parts, ", ") .. "}"
end

-- A failure's text: a string as it is, a table by what it holds (or its __tostring), as
-- `roster run` shows them. Never an error of its own (a __tostring that raises), which would
-- end the file there and hide its other tests.
local function describe(err)
  if type(err) == "string" then return err end
  local ok, text = pcall(function()
    local meta = getmetatable(err)
    if type(err) == "table" and not (type(meta) == "table" and meta.__tostring) then
      return "(error object is a table: " .. show(err) .. ")"
    end
    return tostring(err)
  end)
  if ok and type(text) == "string" then return text end
  return "(error object is a " .. type(err) .. " value)"
end

local function equal(a, b)
  if rawequal(a, b) then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  for k, v in next, a do if not equal(v, b[k]) then return false end end
  for k in next, b do if a[k] == nil then return false end end
  return true
end

local function fail(message) error(message, 3) end

-- expect(x).to_equal(y): each matcher is a closure over x, called with a dot.
function expect(actual)
  local e = {}
  function e.to_equal(expected)
    if not equal(actual, expected) then fail("expected " .. show(expected) .. ", got " .. show(actual)) end
  end
  function e.to_be(expected)
    if not rawequal(actual, expected) then fail("expected exactly " .. show(expected) .. ", got " .. show(actual)) end
  end
  function e.to_be_truthy()
    if not actual then fail("expected a true value, got " .. show(actual)) end
  end
  function e.to_be_falsy()
    if actual then fail("expected false or nil, got " .. show(actual)) end
  end
  function e.to_be_nil()
    if actual ~= nil then fail("expected nil, got " .. show(actual)) end
  end
  function e.to_contain(part)
    if type(actual) == "string" then
      if not actual:find(tostring(part), 1, true) then fail("expected " .. show(actual) .. " to contain " .. show(part)) end
    elseif type(actual) == "table" then
      for _, v in ipairs(actual) do if equal(v, part) then return end end
      fail("expected " .. show(actual) .. " to contain " .. show(part))
    else
      fail("expected a string or a list to search, got " .. show(actual))
    end
  end
  function e.to_fail(pattern)
    local ok, err = pcall(actual)
    if ok then fail("expected the function to fail, it succeeded") end
    if pattern and not tostring(err):find(pattern) then
      fail("expected an error matching " .. show(pattern) .. ", got " .. show(tostring(err)))
    end
  end
  return e
end

-- Each test starts from the emulator's demo data.
function test(name, fn)
  index = index + 1
  if index <= skip then return end -- done in an earlier pass (see run(file:))
  begin(tostring(name))
  reset()
  local ok, err = pcall(fn)
  report(tostring(name), ok, ok and "" or describe(err))
end

local chunk, message = load(source, chunkname)
if not chunk then error(message, 0) end
chunk()
