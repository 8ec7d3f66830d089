-- PrettyPrinter.source.lua: how the REPL shows values (see PrettyPrinter.swift). Returns
-- the function that prints a statement's results; MAX_ITEMS list items are shown before
-- "... N more".
local next, ipairs, type, tostring, rawget, rawlen, getmetatable, print = next, ipairs, type, tostring, rawget, rawlen, getmetatable, print
local huge, floor = math.huge, math.floor
local pack, sort, concat, format, mathtype, min = table.pack, table.sort, table.concat, string.format, math.type, math.min
local MAX_ITEMS, MAX_DEPTH, MAX_LINE = 20, 8, 72

local escapes = {["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t", ['"'] = '\\"', ["\\"] = "\\\\"}
local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return escapes[c] or format("\\%03d", c:byte()) end) .. '"'
end

local function scalar(v)
  if type(v) == "string" then return quote(v) end
  if mathtype(v) == "float" and v == v and v ~= huge and v ~= -huge and v == floor(v) then
    return format("%.1f", v)
  end
  return tostring(v)
end

local function key_text(k)
  if type(k) == "string" and k:match("^[%a_][%w_]*$") then return k end
  return "[" .. scalar(k) .. "]"
end

local order = {boolean = 1, number = 2, string = 3}
local function before(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return (order[ta] or 4) < (order[tb] or 4) end
  if ta == "number" or ta == "string" then return a < b end
  if ta == "boolean" then return (not a) and b end
  return tostring(a) < tostring(b)
end

local render
function render(v, indent, ancestors, depth)
  if type(v) ~= "table" then return scalar(v) end
  local mt = getmetatable(v)
  -- Roster's own objects (vendor errors, dry-run results) read as their tostring.
  if mt ~= nil and (type(mt) ~= "table" or rawget(mt, "__tostring") ~= nil) then return tostring(v) end
  if ancestors[v] then return "<cycle>" end
  if depth >= MAX_DEPTH then return "{...}" end
  local n = rawlen(v)
  local keys = {}
  for k in next, v do
    if not (mathtype(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  if n == 0 and #keys == 0 then return "{}" end
  sort(keys, before)
  ancestors[v] = true
  local items, long = {}, false
  for i = 1, min(n, MAX_ITEMS) do items[#items + 1] = render(rawget(v, i), indent .. "  ", ancestors, depth + 1) end
  if n > MAX_ITEMS then items[#items + 1] = format("... %d more", n - MAX_ITEMS) end
  for _, k in ipairs(keys) do
    items[#items + 1] = key_text(k) .. " = " .. render(rawget(v, k), indent .. "  ", ancestors, depth + 1)
  end
  ancestors[v] = nil
  local width = #indent
  for _, item in ipairs(items) do
    width = width + #item + 2
    if item:find("\n", 1, true) then long = true end
  end
  if not long and width <= MAX_LINE then return "{" .. concat(items, ", ") .. "}" end
  if not long and #keys == 0 then
    -- A long list of short values: as many to a line as fit.
    local lines, line = {}, nil
    for _, item in ipairs(items) do
      if line and #indent + 2 + #line + 2 + #item > MAX_LINE then
        lines[#lines + 1] = line
        line = item
      else
        line = line and (line .. ", " .. item) or item
      end
    end
    lines[#lines + 1] = line
    return "{\n" .. indent .. "  " .. concat(lines, ",\n" .. indent .. "  ") .. "\n" .. indent .. "}"
  end
  return "{\n" .. indent .. "  " .. concat(items, ",\n" .. indent .. "  ") .. "\n" .. indent .. "}"
end

return function(f)
  local results = pack(f())
  if results.n == 0 then return end
  local shown = {}
  for i = 1, results.n do shown[i] = render(results[i], "", {}, 0) end
  print(concat(shown, "\t"))
end
