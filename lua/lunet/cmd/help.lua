-- `lunet help [NAME...]`: the options of a trainer, layer, model,
-- transformer, evaluator, predictor or data function, with their defaults
-- and meanings (lunet.help, the same text as help(x) in Lua). Without a name:
-- what there is. An unknown name is an error that suggests the nearest.
local M = {}

function M.main(args)
  local help = require "lunet.help"
  if #args == 0 or args[1] == "-h" or args[1] == "--help" then
    print(help.overview())
    return 0
  end
  for i, name in ipairs(args) do
    local ok, text = pcall(help.command_text, name)
    if not ok then
      io.stderr:write("lunet ", tostring(text), "\n")
      return 1
    end
    if i > 1 then print() end
    print(text)
  end
  return 0
end

return M
