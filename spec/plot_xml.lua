-- For the plot specs (not a spec itself): a small XML checker (balanced
-- tags, quoted unique attributes, no raw '<' or stray '&' in text or
-- attribute values) and a substring counter.
local function check_entities(s, where)
  for amp in s:gmatch("&[^;%s]*;?") do
    assert(amp:match("^&[%a#][%w]*;$"), ("unescaped '&' in %s: %q"):format(where, amp))
  end
  assert(not s:find("<", 1, true), ("raw '<' in %s: %q"):format(where, s))
end

-- Returns the list of {name=, attrs=} of every start tag; raises on any error.
local function parse_xml(text)
  text = text:gsub("^%s*<%?xml.-%?>", ""):gsub("^%s*<!DOCTYPE[^>]*>", "")
  local stack, tags, pos = {}, {}, 1
  while true do
    local s, e, body = text:find("<([^>]*)>", pos)
    check_entities(text:sub(pos, (s or #text + 1) - 1), "text")
    if not s then break end
    pos = e + 1
    local close = body:match("^/([%w:-]+)%s*$")
    if close then
      assert(#stack > 0, "closing </" .. close .. "> with nothing open")
      local open = table.remove(stack)
      assert(open == close, ("<%s> closed by </%s>"):format(open, close))
    else
      local name, rest = body:match("^([%w:-]+)(.-)$")
      assert(name, "bad tag <" .. body .. ">")
      local selfclose = rest:sub(-1) == "/"
      if selfclose then rest = rest:sub(1, -2) end
      local attrs = {}
      local leftover = rest:gsub('%s+([%w:-]+)="([^"]*)"', function(k, v)
        assert(attrs[k] == nil, ("attribute %s twice in <%s>"):format(k, name))
        check_entities(v, "attribute " .. k)
        attrs[k] = v
        return ""
      end)
      assert(not leftover:find("%S"), ("unquoted or malformed attributes in <%s>: %q"):format(name, leftover))
      tags[#tags + 1] = { name = name, attrs = attrs }
      if not selfclose then stack[#stack + 1] = name end
    end
  end
  assert(#stack == 0, "unclosed <" .. (stack[#stack] or "") .. ">")
  return tags
end

local function count(text, needle)
  local n, pos = 0, 1
  while true do
    local s, e = text:find(needle, pos, true)
    if not s then return n end
    n, pos = n + 1, e + 1
  end
end

return { parse = parse_xml, count = count }
