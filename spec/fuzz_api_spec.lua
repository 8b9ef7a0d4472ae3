-- Specs of the API fuzzer (scripts/fuzz_api.lua): its machinery, not the
-- API's findings (those are the fuzzer's own report). The self-test feeds it
-- a call that crashes, one that hangs, one that writes a sanitizer report,
-- misnamed and table errors: each must be caught and attributed to its call.
-- A short real run must print a summary line whose counts add up, and the
-- same seed must make the same calls.
local EXE = os.getenv("LUNET_EXECUTABLE") or "build/lunet"

package.path = "scripts/lib/?.lua;" .. package.path

local function sh_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- Runs the fuzzer with args; returns its exit code and output.
local function fuzz(args)
  local out = os.tmpname()
  local ok, how, code = os.execute(string.format("%s scripts/fuzz_api.lua %s >%s 2>&1", sh_quote(EXE), args,
    sh_quote(out)))
  local f = assert(io.open(out))
  local text = f:read("a")
  f:close()
  os.remove(out)
  if how == "signal" then code = 128 + code end
  return ok and 0 or code, text
end

local function summary(text)
  local last = text:match("([^\n]*)\n?$")
  local s = {}
  s.seed, s.calls, s.errors, s.failures, s.seconds =
    last:match("^fuzz_api seed=(%-?%d+) calls=(%d+) errors=(%d+) failures=(%d+) seconds=([%d.]+)$")
  assert(s.seed, "no summary line at the end of:\n" .. text)
  for k, v in pairs(s) do s[k] = tonumber(v) end
  return s
end

describe("fuzz_api", function()
  it("catches and attributes a crash, a hang, a sanitizer report and badly named errors (--self-test)", function()
    local code, text = fuzz("--self-test --seed 9")
    assert.are.equal(0, code, text)
    assert.truthy(text:find("self-test passed", 1, true), text)
    local s = summary(text)
    assert.are.same({ seed = 9, calls = 14, errors = 2, failures = 10 },
      { seed = s.seed, calls = s.calls, errors = s.errors, failures = s.failures })
    -- each failure names its call and a line that replays it
    assert.truthy(text:find("FAILURE call 5 of seed 9: crash: ", 1, true), text)
    assert.truthy(text:find("FAILURE call 7 of seed 9: hang: hang: no progress", 1, true), text)
    assert.truthy(text:find("--replay 9:6", 1, true), text)
  end)

  it("runs a seeded batch of real calls and prints counts that add up", function()
    local code, text = fuzz("--seed 11 --calls 120 --batch 40")
    local s = summary(text)
    assert.are.equal(11, s.seed)
    assert.are.equal(120, s.calls)
    assert.is_true(s.errors + s.failures <= s.calls)
    -- (findings of the API are not this spec's business: the exit status only has to agree with the count)
    assert.are.equal(s.failures > 0 and 1 or 0, code, text)
  end)

  it("replays one call of a seed", function()
    local _, text = fuzz("--replay 11:7")
    local s = summary(text)
    assert.are.equal(1, s.calls)
    assert.truthy(text:find("fuzz_api: call 7: ", 1, true), text)
  end)

  it("makes the same call for the same seed and index, another for another index", function()
    local calls = require "fuzz_api_calls"
    local dir = os.tmpname()
    os.remove(dir)
    require("lunet.core").mkdirs(dir)
    local F = dofile("scripts/lib/fuzz_api_fixtures.lua")(dir)
    local list = require("fuzz_api_targets").discover(F)
    assert.is_true(#list > 200)
    local a, b, c = calls.make(list, 3, 42), calls.make(list, 3, 42), calls.make(list, 3, 43)
    assert.are.equal(a.line, b.line)
    assert.are_not.equal(a.line, c.line)
    os.execute("rm -rf " .. sh_quote(dir))
  end)
end)

describe("fuzz_api's error rule", function()
  local verdict = require "fuzz_api_verdict"
  local function judge(names, err) return (verdict.judge({ names = names }, false, err)) end

  it("accepts a message that begins with a name of the function called", function()
    assert.are.equal("error", judge({ "zeros" }, "zeros: size 1 must be non-negative, got -2"))
    assert.are.equal("error", judge({ "Tensor:matmul" }, "call:2: Tensor:matmul: shapes (2, 3) and (2, 3) do not match"))
    assert.are.equal("error", judge({ "Dense" }, "Dense(600): input has 31 features, layer expects 30"))
    assert.are.equal("error", judge({ "read_csv" }, "read_csv: a.csv:3: expected 3 fields, found 2"))
    assert.are.equal("error", judge({ "narrow" }, "bad argument #2 to 'narrow' (number expected, got string)"))
    assert.are.equal("error", judge({ "narrow" }, "calling 'narrow' on bad self (tensor was closed)"))
    assert.are.equal("error", judge({ "Ensemble:predict", "Ensemble" }, "Ensemble: member 2 is not a model"))
  end)

  it("refuses messages that name no function called, or another one", function()
    assert.are.equal("bad", judge({ "show" }, "/x/lua/lunet/data.lua:176: attempt to compare number with string"))
    assert.are.equal("bad", judge({ "random_split" }, "bad argument #3 to 'data_split' (number expected, got string)"))
    assert.are.equal("bad", judge({ "Ensemble:predict", "Ensemble" }, "Ensemble:evaluate: member 2 differs"))
    assert.are.equal("bad", judge({ "permutation" }, "not enough memory"))
    assert.are.equal("bad", judge({ "zeros" }, { message = "zeros: a table" }))
  end)

  it("tells a call that reached a process start from an error", function()
    assert.are.equal("blocked", judge({ "train" }, "DOWNPOUR: " .. verdict.BLOCKED))
    assert.are.equal("ok", (verdict.judge({ names = {} }, true)))
  end)
end)
