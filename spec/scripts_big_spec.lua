-- scripts/make_higgs_big.lua (issue 19, item 5): a Spark-style directory of
-- Higgs-layout parts made from a sample with seeded jitter. Run on a tiny
-- sample written here, so every row's expected value is computed from it in
-- plain Lua: EventIds unique, jet counts, weights and labels kept, the
-- DER_*/PRI_* doubles within 5 sigma of the 1% jitter and rounded to 3
-- decimals, -999.0 kept; the same seed gives the same bytes; bad arguments
-- exit 2 and create nothing.
local core = require "lunet.core"
local data = require("lunet").data
local h = dofile("spec/helpers.lua")

local SCRIPT = "scripts/make_higgs_big.lua"
local HEADER = "EventId,DER_mass_MMC,PRI_tau_eta,PRI_jet_num,Weight,Label"
-- (ids past 2^24, which float32 cannot hold: EventIds must stay exact)
local SAMPLE = { -- id, mass, eta, jets, weight, label
  { 16777217, 138.47, 1.017, 2, 0.00081448039868, "s" },
  { 16777218, 160.937, -2.039, 1, 0.681041906806, "b" },
  { 16777219, -999.0, 0.5, 0, 2.5, "b" },
  { 16777220, 143.905, -999.0, 3, 1.5, "s" },
}

local function sample_text()
  local lines = { HEADER }
  for _, r in ipairs(SAMPLE) do
    lines[#lines + 1] = ("%d,%s,%s,%d,%s,%s"):format(r[1], r[2] == -999 and "-999.0" or r[2],
      r[3] == -999 and "-999.0" or r[3], r[4], ("%.14g"):format(r[5]), r[6])
  end
  return table.concat(lines, "\n") .. "\n"
end

local function sorted_listing(dir)
  local names = core.listdir(dir)
  table.sort(names)
  return names
end

-- The data lines of every part in order (part names sort by number).
local function rows_of(dir)
  local rows, headers = {}, {}
  for _, name in ipairs(sorted_listing(dir)) do
    if name:match("^part%-") then
      local lines = h.lines(h.read_file(dir .. "/" .. name))
      headers[#headers + 1] = table.remove(lines, 1)
      rows[#rows + 1] = lines
    end
  end
  return rows, headers
end

describe("scripts/make_higgs_big.lua", function()
  local s, sample, base
  before_each(function()
    s = h.scratch()
    base = s.path()
    core.mkdirs(base)
    sample = base .. "/sample.csv"
    h.write_file(sample, sample_text())
  end)
  after_each(function() s.clean() end)

  local function make(out, ...)
    return h.run_lunet({ SCRIPT, "--out", out, "--sample", sample, ... })
  end

  it("writes the parts, their shared header and _SUCCESS, row g from sample row g mod 4", function()
    local out = base .. "/big"
    local code, stdout, stderr = make(out, "--rows", "10", "--parts", "3", "--seed", "7")
    assert.are.equal(0, code, stderr)
    h.assert_contains(stdout, "10 rows in 3 parts")
    local names = sorted_listing(out)
    assert.are.equal(4, #names)
    assert.are.equal("_SUCCESS", names[1])
    assert.are.equal("", h.read_file(out .. "/_SUCCESS"))
    local uuid = names[2]:match("^part%-00000%-(%x+%-%x+%-4%x+%-[89ab]%x+%-%x+)%-c000%.csv$")
    assert.is_truthy(uuid, names[2])
    assert.are.equal(36, #uuid)
    assert.are.equal("part-00001-" .. uuid .. "-c000.csv", names[3])
    assert.are.equal("part-00002-" .. uuid .. "-c000.csv", names[4])
    assert.are.same({ "big", "sample.csv" }, sorted_listing(base)) -- no temporary directory left
    local parts, headers = rows_of(out)
    assert.are.same({ HEADER, HEADER, HEADER }, headers)
    assert.are.same({ 3, 3, 4 }, { #parts[1], #parts[2], #parts[3] }) -- rows p*10//3 .. (p+1)*10//3 - 1
    local g, changed = 0, 0
    for _, lines in ipairs(parts) do
      for _, line in ipairs(lines) do
        local f = {}
        for field in (line .. ","):gmatch("([^,]*),") do f[#f + 1] = field end
        local want = SAMPLE[g % 4 + 1]
        assert.are.equal(tostring(16777217 + g), f[1])
        for _, col in ipairs { 2, 3 } do
          local v, w = tonumber(f[col]), want[col]
          if w == -999 then
            assert.are.equal(-999, v)
          else
            assert(math.abs(v - w) <= 0.05 * math.abs(w) + 0.001, ("row %d column %d: %s from %s"):format(g, col, v, w))
            assert.is_nil(f[col]:match("%.%d%d%d%d"), "more than 3 decimals: " .. f[col])
            if v ~= w then changed = changed + 1 end
          end
        end
        assert.are.equal(want[4], tonumber(f[4]))
        assert.are.equal(want[5], tonumber(f[5]))
        assert.are.equal(want[6], f[6])
        g = g + 1
      end
    end
    assert.are.equal(10, g)
    assert(changed >= 10, "only " .. changed .. " of 16 jittered values differ from the sample's")
    -- read back: the same schema as the sample's
    local df = data.read_csv(out .. "/" .. names[4], { header = true, infer_schema = true })
    assert.are.same({ "integer", "double", "double", "integer", "double", "string" },
      { df:dtype("EventId"), df:dtype("DER_mass_MMC"), df:dtype("PRI_tau_eta"), df:dtype("PRI_jet_num"),
        df:dtype("Weight"), df:dtype("Label") })
  end)

  it("gives the same bytes for the same seed, other values for another; --gzip the same rows compressed", function()
    local function contents(dir)
      local t = {}
      for _, name in ipairs(sorted_listing(dir)) do
        local path = dir .. "/" .. name
        if name:match("%.gz$") then
          local p = assert(io.popen("gzip -dc " .. h.sh_quote(path)))
          t[#t + 1] = name:gsub("%.gz$", "") .. "\n" .. p:read("a")
          p:close()
        else
          t[#t + 1] = name .. "\n" .. h.read_file(path)
        end
      end
      return table.concat(t, "\n")
    end
    assert.are.equal(0, (make(base .. "/a", "--rows", "9", "--parts", "2", "--seed", "3")))
    assert.are.equal(0, (make(base .. "/b", "--rows", "9", "--parts", "2", "--seed", "3")))
    assert.are.equal(0, (make(base .. "/c", "--rows", "9", "--parts", "2", "--seed", "4")))
    assert.are.equal(0, (make(base .. "/z", "--rows", "9", "--parts", "2", "--seed", "3", "--gzip")))
    assert.are.equal(contents(base .. "/a"), contents(base .. "/b"))
    assert.are_not.equal(select(1, rows_of(base .. "/a"))[1][1], select(1, rows_of(base .. "/c"))[1][1])
    local gz = sorted_listing(base .. "/z")
    assert.is_truthy(gz[2]:match("^part%-00000%-.*%-c000%.csv%.gz$"), gz[2])
    assert.are.equal(contents(base .. "/a"), contents(base .. "/z"))
  end)

  it("repeats the bundled sample by default, with its header", function()
    local out = base .. "/bundled"
    local code, _, stderr = h.run_lunet({ SCRIPT, "--rows", "5", "--out", out })
    assert.are.equal(0, code, stderr)
    local p = assert(io.popen("gzip -dc examples/data/atlas_higgs_v2_first22889.csv.gz | head -1"))
    local header = p:read("l")
    p:close()
    local parts, headers = rows_of(out)
    assert.are.same({ header }, headers)
    assert.are.equal(5, #parts[1])
    assert.are.equal("100004", parts[1][5]:match("^(%d+),"))
  end)

  it("gives README's Data larger than memory block a directory it trains on, every row once", function()
    local out = base .. "/h"
    assert.are.equal(0, (h.run_lunet({ SCRIPT, "--rows", "600", "--parts", "3", "--out", out })))
    local readme = h.read_file("README.md")
    local at = assert(readme:find("<!-- data larger than memory:", 1, true))
    local first = assert(readme:find("```lua\n", at, true))
    local last = assert(readme:find("\n```", first + 7, true))
    local code = readme:sub(first + 7, last):gsub("/tmp/higgs%-1M", out)
    local script = base .. "/readme_block.lua"
    h.write_file(script, code .. "\nprint('samples', trainer.stats.samples, #lf:shards())\n")
    local status, stdout, stderr = h.run_lunet({ script })
    assert.are.equal(0, status, stderr)
    assert.are.equal("600\t3", stdout:match("samples\t(%d+\t%d+)"), stdout)
    local first_batch, rss = stdout:match("\n?([%d.e-]+)\t(%d+)\n")
    assert(tonumber(first_batch) and tonumber(first_batch) >= 0, stdout)
    assert(tonumber(rss) > 0, stdout)
  end)

  it("refuses bad arguments with exit code 2 (1 for an existing DIR) and creates nothing", function()
    local out = base .. "/x"
    local cases = {
      { { "--rows", "5" }, 2, "option --out DIR is required" },
      { { "--rows", "0", "--out", out }, 2, "option --rows needs an integer >= 1, got '0'" },
      { { "--rows", "5", "--parts", "0", "--out", out }, 2, "option --parts needs an integer >= 1, got '0'" },
      { { "--rows", "2", "--parts", "3", "--out", out }, 2, "option --parts 3 is more than --rows 2" },
      { { "--out", out }, 2, "option --rows N is required" },
      { { "--rows", "2", "--out", base }, 1, base .. " exists already" },
      { { "--rows", "2", "--out", out, "--sample", base .. "/none.csv" }, 1, "--sample: no file at " .. base },
    }
    for _, c in ipairs(cases) do
      local code, _, stderr = h.run_lunet({ SCRIPT, table.unpack(c[1]) })
      assert.are.equal(c[2], code, stderr)
      h.assert_contains(stderr, "make_higgs_big: " .. c[3])
    end
    assert.are.same({ "sample.csv" }, sorted_listing(base))
  end)

  it("names a bad sample's file and line, and leaves nothing behind", function()
    h.write_file(sample, HEADER .. "\n500,1.5,2.5,1,0.5,s\n501,1.5\n")
    local code, _, stderr = make(base .. "/bad", "--rows", "3")
    assert.are.equal(1, code)
    h.assert_contains(stderr, "make_higgs_big: read_csv: " .. sample .. ":3: expected 6 fields, found 2")
    assert.are.same({ "sample.csv" }, sorted_listing(base))
  end)

  it("removes its temporary directory when a part cannot be written (a file size limit)", function()
    -- SIGXFSZ ignored: past the limit a write fails with EFBIG, as on a full disk
    local code, _, stderr = h.run_lunet({ SCRIPT, "--out", base .. "/g", "--sample", sample, "--rows", "2000",
                                          "--parts", "2" }, nil, "trap '' XFSZ; ulimit -f 16;")
    assert.are.equal(1, code, stderr)
    h.assert_contains(stderr, "make_higgs_big: write_csv: ")
    assert.are.same({ "sample.csv" }, sorted_listing(base))
  end)
end)
