-- lunet.nn stands on its own (issue 15): its files, with lunet.keras (the
-- Keras file formats of its models, issue 21), require one another without a
-- cycle and nothing above them (only lunet.core, lunet.check and lunet.doc,
-- the option reference's data, which requires nothing);
-- loading it loads none of the runtime, trainers, predictors or data; and
-- model:evaluate reaches worker processes only through the hook that
-- lunet.predictors fills (lunet.nn.distributed), loaded on first use.
local h = require "spec.helpers"

local EXE = os.getenv("LUNET_EXECUTABLE") or "build/lunet"

local function sh_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- Runs Lua code in a fresh lunet process; returns what it wrote (stdout and stderr).
local function child(code)
  local p = assert(io.popen(("timeout 300 %s -e %s 2>&1"):format(sh_quote(EXE), sh_quote(code))))
  local out = p:read("a")
  p:close()
  return out
end

-- The module names that the files of lunet.nn require: {file = {module, ...}}.
local function nn_requires()
  local p = assert(io.popen("find lua/lunet/nn lua/lunet/nn.lua lua/lunet/keras -name '*.lua' | sort"))
  local files = {}
  for path in p:lines() do
    local name = path:gsub("^lua/", ""):gsub("/init%.lua$", ""):gsub("%.lua$", ""):gsub("/", ".")
    local text = assert(h.read_file(path))
    local list = {}
    for mod in text:gmatch("require%s*%(?%s*[\"']([%w_.]+)[\"']") do list[#list + 1] = mod end
    files[name] = list
  end
  p:close()
  return files
end

describe("lunet.nn's layering", function()
  it("requires nothing above it, and its requires form no cycle", function()
    local files = nn_requires()
    assert.truthy(files["lunet.nn"] and files["lunet.nn.sequential"] and files["lunet.nn.layers"], "files not found")
    for file, list in pairs(files) do
      for _, mod in ipairs(list) do
        local inside = mod == "lunet.nn" or mod:find("^lunet%.nn%.") or mod == "lunet.keras" or mod:find("^lunet%.keras%.")
        assert(inside or mod == "lunet.core" or mod == "lunet.check" or mod == "lunet.doc", file .. " requires " .. mod)
        if inside then assert(files[mod], file .. " requires " .. mod .. ", which is not a file of lunet.nn or lunet.keras") end
      end
    end
    local state = {} -- nil: not seen, 1: on the current path, 2: done
    local function visit(name, path)
      if state[name] == 1 then error("a require cycle: " .. table.concat(path, " -> ") .. " -> " .. name) end
      if state[name] == 2 then return end
      state[name] = 1
      path[#path + 1] = name
      for _, mod in ipairs(files[name] or {}) do visit(mod, path) end
      path[#path] = nil
      state[name] = 2
    end
    for name in pairs(files) do visit(name, {}) end
  end)

  it("loading lunet.nn loads no runtime, trainer, predictor or data module", function()
    local out = child([[
      require "lunet.nn"
      local loaded = {}
      for k in pairs(package.loaded) do
        if k:find("^lunet%.runtime") or k:find("^lunet%.trainers") or k:find("^lunet%.predictors")
          or k:find("^lunet%.data") or k:find("^lunet%.feature") then loaded[#loaded + 1] = k end
      end
      io.write("loaded: [", table.concat(loaded, " "), "]")
    ]])
    assert.are.equal("loaded: []", out)
  end)

  it("evaluate with num_workers > 1 loads lunet.predictors on first use and fills the hook", function()
    local out = child([[
      local nn = require "lunet.nn"
      local core = require "lunet.core"
      local before = nn.distributed.evaluate == nil and package.loaded["lunet.predictors"] == nil
      local m = nn.Sequential { nn.Dense(3, { input_shape = { 4 } }), nn.Activation "softmax", seed = 3 }
      m:compile { optimizer = "sgd", loss = "categorical_crossentropy", metrics = { "accuracy" } }
      local x, y = core.randn({ 40, 4 }, { seed = 1 }), core.zeros({ 40, 3 })
      for i = 1, 40 do y:set(i, i % 3 + 1, 1) end
      local loss, acc = m:evaluate(x, y)
      local dloss, dacc = m:evaluate(x, y, { num_workers = 2 })
      io.write(string.format("before=%s after=%s same=%s", tostring(before),
        tostring(package.loaded["lunet.predictors"] ~= nil and nn.distributed.evaluate ~= nil),
        tostring(math.abs(loss - dloss) < 1e-5 and acc == dacc)))
    ]])
    assert.truthy(out:find("before=true after=true same=true", 1, true), out)
  end)
end)
