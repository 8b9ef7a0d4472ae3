-- Helpers shared by the specs.
local luassert = require "luassert"
local helpers = {}

-- Asserts fn raises an error whose message contains every needle (plain text).
function helpers.assert_error(needles, fn)
  local ok, err = pcall(fn)
  luassert.is_false(ok, "expected an error, got success")
  err = tostring(err)
  if type(needles) == "string" then needles = { needles } end
  for _, n in ipairs(needles) do
    assert(err:find(n, 1, true), ("error message %q does not contain %q"):format(err, n))
  end
end

return helpers
