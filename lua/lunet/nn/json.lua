-- A small JSON encoder/decoder for plain data (strings, numbers, booleans,
-- arrays and string-keyed tables): model configs and file headers travel as
-- data, never as code. Integers stay integers; floats keep 17 digits.
local json = {}

local escapes = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
                  ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }

local function is_array(t)
  local n = #t
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 or k > n then return false end
  end
  return true
end

local function encode(v, out, path)
  local tv = type(v)
  if tv == "string" then
    out[#out + 1] = '"' .. v:gsub('[%c"\\]', function(c)
      return escapes[c] or string.format("\\u%04x", c:byte())
    end) .. '"'
  elseif tv == "number" then
    if math.type(v) == "integer" then out[#out + 1] = string.format("%d", v)
    elseif v ~= v or v == math.huge or v == -math.huge then
      error("json.encode: " .. path .. " is " .. tostring(v) .. ", which JSON cannot hold", 0)
    else out[#out + 1] = string.format("%.17g", v) end
  elseif tv == "boolean" then
    out[#out + 1] = tostring(v)
  elseif tv == "table" then
    if next(v) == nil then out[#out + 1] = "[]"
    elseif is_array(v) then
      out[#out + 1] = "["
      for i = 1, #v do
        if i > 1 then out[#out + 1] = "," end
        encode(v[i], out, path .. "[" .. i .. "]")
      end
      out[#out + 1] = "]"
    else
      local keys = {}
      for k in pairs(v) do
        if type(k) ~= "string" then error("json.encode: " .. path .. " mixes array and string keys", 0) end
        keys[#keys + 1] = k
      end
      table.sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        if i > 1 then out[#out + 1] = "," end
        encode(k, out, path)
        out[#out + 1] = ":"
        encode(v[k], out, path .. "." .. k)
      end
      out[#out + 1] = "}"
    end
  else
    error("json.encode: " .. path .. " is a " .. tv .. "; only plain data can be encoded", 0)
  end
end

function json.encode(v)
  local out = {}
  encode(v, out, "value")
  return table.concat(out)
end

local function decode_error(s, pos, what)
  error(string.format("json.decode: %s at character %d", what, pos), 0)
end

local decode_value

local function skip(s, pos) return s:find("[^ \t\r\n]", pos) or #s + 1 end

local function decode_string(s, pos)
  local out, i = {}, pos + 1
  while true do
    local c = s:sub(i, i)
    if c == "" then decode_error(s, pos, "unterminated string") end
    if c == '"' then return table.concat(out), i + 1 end
    if c == "\\" then
      local e = s:sub(i + 1, i + 1)
      local map = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\", ["/"] = "/" }
      if map[e] then out[#out + 1] = map[e]; i = i + 2
      elseif e == "u" then
        local hex = s:sub(i + 2, i + 5)
        if not hex:match("^%x%x%x%x$") then decode_error(s, i, "bad \\u escape") end
        out[#out + 1] = utf8.char(tonumber(hex, 16)); i = i + 6
      else decode_error(s, i, "bad escape") end
    else
      out[#out + 1] = c; i = i + 1
    end
  end
end

function decode_value(s, pos)
  pos = skip(s, pos)
  local c = s:sub(pos, pos)
  if c == "{" then
    local t = {}
    pos = skip(s, pos + 1)
    if s:sub(pos, pos) == "}" then return t, pos + 1 end
    while true do
      pos = skip(s, pos)
      if s:sub(pos, pos) ~= '"' then decode_error(s, pos, "expected a string key") end
      local k
      k, pos = decode_string(s, pos)
      pos = skip(s, pos)
      if s:sub(pos, pos) ~= ":" then decode_error(s, pos, "expected ':'") end
      t[k], pos = decode_value(s, pos + 1)
      pos = skip(s, pos)
      local d = s:sub(pos, pos)
      if d == "}" then return t, pos + 1 end
      if d ~= "," then decode_error(s, pos, "expected ',' or '}'") end
      pos = pos + 1
    end
  elseif c == "[" then
    local t = {}
    pos = skip(s, pos + 1)
    if s:sub(pos, pos) == "]" then return t, pos + 1 end
    while true do
      t[#t + 1], pos = decode_value(s, pos)
      pos = skip(s, pos)
      local d = s:sub(pos, pos)
      if d == "]" then return t, pos + 1 end
      if d ~= "," then decode_error(s, pos, "expected ',' or ']'") end
      pos = pos + 1
    end
  elseif c == '"' then
    return decode_string(s, pos)
  elseif s:sub(pos, pos + 3) == "true" then return true, pos + 4
  elseif s:sub(pos, pos + 4) == "false" then return false, pos + 5
  elseif s:sub(pos, pos + 3) == "null" then return nil, pos + 4
  else
    local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
    if not num or num == "" then decode_error(s, pos, "unexpected character") end
    local v = math.tointeger(tonumber(num)) and not num:find("[.eE]") and math.tointeger(tonumber(num))
              or tonumber(num)
    if v == nil then decode_error(s, pos, "bad number") end
    return v, pos + #num
  end
end

function json.decode(s)
  if type(s) ~= "string" then error("json.decode: expected a string, got " .. type(s), 0) end
  local v, pos = decode_value(s, 1)
  pos = skip(s, pos)
  if pos <= #s then decode_error(s, pos, "trailing characters") end
  return v
end

return json
