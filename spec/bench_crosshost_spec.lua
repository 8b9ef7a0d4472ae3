-- scripts/bench_crosshost.sh / .lua without root: the command line, the
-- line format (--dry-run), the refusals, and the shell script's skip line
-- for a user who is not root. The runs themselves need root and network
-- namespaces (scripts/bench_crosshost.sh runs them; spec/runtime_netns_spec.lua
-- covers the namespace setup under ctest).
local core = require "lunet.core"
local h = dofile("spec/helpers.lua")
local has = h.assert_contains

local LUNET = os.getenv("LUNET_EXECUTABLE") or "build/lunet"

-- runs a shell command line; exit code, stdout, stderr
local function run(cmd)
  local out, err = os.tmpname(), os.tmpname()
  local ok, how, code = os.execute(("%s >%s 2>%s </dev/null"):format(cmd, out, err))
  local o, e = h.read_file(out), h.read_file(err)
  os.remove(out); os.remove(err)
  return ok and 0 or (how == "signal" and 128 + code or code), o, e
end

local function script(...)
  local parts = { "LUNET=" .. h.sh_quote(LUNET), "scripts/bench_crosshost.sh" }
  for _, a in ipairs { ... } do parts[#parts + 1] = h.sh_quote(a) end
  return run(table.concat(parts, " "))
end

describe("scripts/bench_crosshost", function()
  it("--dry-run prints one line per configuration, plain TCP before CURVE, in the benchmark's format", function()
    local code, out, err = script("--dry-run", "--epochs", "3", "--target-f1", "0.75", "--compression", "none,topk1_pull")
    assert.are.equal(0, code, err)
    local lines = h.lines(out)
    local function planned(curve, compression)
      return ("bench=crosshost trainer=DOWNPOUR workers=2 rate=1gbit delay_ms=0.5 curve=%s compression=%s "
        .. "target_f1=0.75 epochs=3 reps=3 dry_run=1"):format(curve, compression)
    end
    assert.are.same({ planned("no", "none"), planned("no", "topk1_pull"), planned("yes", "none"),
                      planned("yes", "topk1_pull") }, lines)
    for _, l in ipairs(lines) do
      for field in l:gmatch("%S+") do assert(field:match("^[%w_]+=[^=%s]+$"), "not key=value: " .. field) end
    end
  end)

  it("by default, every compression setting with and without CURVE; --curve and --reps choose", function()
    local code, out = script("--dry-run")
    assert.are.equal(0, code)
    local settings = {}
    for _, l in ipairs(h.lines(out)) do
      local curve, c = l:match(" curve=(%w+) compression=([%w_]+) ")
      settings[#settings + 1] = curve .. ":" .. c
    end
    local expected = {}
    for _, curve in ipairs { "no", "yes" } do
      for _, c in ipairs { "none", "fp16", "bf16", "topk1", "q8", "fp16_pull", "topk1_pull" } do
        expected[#expected + 1] = curve .. ":" .. c
      end
    end
    assert.are.same(expected, settings)
    code, out = script("--dry-run", "--curve", "yes", "--compression", "fp16", "--reps", "1")
    assert.are.equal(0, code)
    local lines = h.lines(out)
    assert.are.equal(1, #lines)
    has(lines[1], " curve=yes ", " compression=fp16 ", " reps=1 ")
  end)

  it("refuses a compression it does not know, a bad --curve and an unknown option, one line each, code 2", function()
    for _, case in ipairs {
      { { "--dry-run", "--compression", "zip" }, "--compression: unknown setting 'zip' (known: none, fp16, bf16, topk1, q8, fp16_pull, topk1_pull)" },
      { { "--dry-run", "--curve", "maybe" }, "--curve", "yes, no, both" },
      { { "--dry-run", "--target-f1", "2" }, "--target-f1", "from 0 to 1" },
      { { "--dry-run", "--epoch", "2" }, "unknown argument '--epoch'", "did you mean '--epochs'" },
    } do
      local code, out, err = script(table.unpack(case[1]))
      assert.are.equal(2, code, table.concat(case[1], " ") .. ": " .. err)
      assert.are.equal("", out)
      has(err, "bench_crosshost: ", table.unpack(case, 2))
      assert.are.equal(1, #h.lines(err), err)
    end
  end)

  it("the Lua part alone refuses to make namespaces (only the shell script removes them on every exit)", function()
    if core.getuid() ~= 0 then return pending("needs root: as another user the Lua part stops at its skip line") end
    local code, out, err = h.run_lunet { "scripts/bench_crosshost.lua", "--curve", "no" }
    assert.are.equal(2, code, err)
    assert.are.equal("", out)
    has(err, "run it through scripts/bench_crosshost.sh")
  end)

  it("as a user who is not root, the shell script prints its skip line and exits 0", function()
    local cmd = "LUNET=" .. h.sh_quote(LUNET) .. " scripts/bench_crosshost.sh --curve no"
    if core.getuid() == 0 then
      if run("command -v setpriv") ~= 0 then return pending("needs setpriv (util-linux) to run as nobody") end
      cmd = "setpriv --reuid=65534 --regid=65534 --clear-groups /bin/sh -c " .. h.sh_quote(cmd)
    end
    local code, out, err = run(cmd)
    assert.are.equal(0, code, err)
    assert.are.same({ "bench=crosshost skipped=needs_root (network namespaces need CAP_NET_ADMIN)" }, h.lines(out))
  end)
end)
