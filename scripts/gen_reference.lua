-- Writes README.md's reference section (between its reference markers) from
-- the option docs in the code (lunet.reference): every trainer, layer, model,
-- transformer, evaluator, predictor and data function with its options'
-- defaults and meanings. spec/help_spec.lua fails while README.md differs.
-- usage: build/lunet scripts/gen_reference.lua [README.md]   (--check: only say whether it is up to date)
local reference = require "lunet.reference"

local path, only_check = "README.md", false
for _, a in ipairs(arg) do
  if a == "--check" then only_check = true else path = a end
end
-- (the default README.md is the repository's, wherever this runs from)
if path == "README.md" then path = (arg[0]:match("^(.*)/scripts/[^/]*$") or ".") .. "/README.md" end

local f = assert(io.open(path, "rb"))
local text = f:read("a")
f:close()
local new, why = reference.splice(text, reference.markdown())
if not new then
  io.stderr:write(path, ": ", why, "\n")
  os.exit(1)
end
if new == text then
  print(path .. ": the reference is up to date")
  return
end
if only_check then
  io.stderr:write(path, ": the reference is out of date (run build/lunet scripts/gen_reference.lua)\n")
  os.exit(1)
end
require("lunet.core").file_write(path, new) -- (atomic: an interrupted run leaves README.md whole)
print(path .. ": the reference section is rewritten")
