-- Streaming fit (lunet.feature on a LazyFrame): each estimator's model from
-- one pass over the chunks equals the in-memory fit on lf:collect() (and the
-- statistics computed here in plain Lua); Pipeline:fit(lf) and
-- PipelineModel:transform(lf); a whole PipelineModel saved to one file; the
-- Imputer's approximate median; the errors.
local lunet = require "lunet"
local helpers = require "spec.helpers"
local core = require "lunet.core"
local data, feature = lunet.data, lunet.feature

local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p " .. helpers.sh_quote(dir)))
local function path(name) return dir .. "/" .. name end

-- n rows: x (large offset: the variance must survive it), y (with missing
-- values every 7th row), c (a category), as text and as Lua columns.
local N = 1200
local X, Y, C = {}, {}, {}
local CATS = { "b", "a", "c", "a", "d", "b", "a" }
do
  local lines = { "x,y,c" }
  for i = 1, N do
    X[i] = 1e6 + ((i * 7919) % 1000) / 8 -- exact in float32 and in text
    Y[i] = i % 7 == 0 and 0 / 0 or ((i * 104729) % 2003) - 1000
    C[i] = CATS[i % #CATS + 1]
    lines[#lines + 1] = string.format("%.3f,%s,%s", X[i], Y[i] ~= Y[i] and "" or string.format("%d", Y[i]), C[i])
  end
  helpers.write_file(path("d.csv"), table.concat(lines, "\n") .. "\n")
end
-- small shards, so that every statistic is merged across many chunks
local function scan() return data.scan_csv(path("d.csv"), { header = true, infer_schema = true, shard_bytes = 2000 }) end

local function rel(a, b) return math.abs(a - b) / math.max(math.abs(b), 1e-300) end

describe("streaming fit", function()
  it("cuts the test file into many shards", function()
    assert.is_true(#scan():shards() > 5)
    assert.are.equal(N, scan():count())
  end)

  it("StandardScaler and MinMaxScaler: the model of fit(collect()), and the plain-Lua statistics", function()
    local lf = feature.VectorAssembler { input_cols = { "x" }, output_col = "v" }:transform(scan():select("x"))
    local s = feature.StandardScaler { input_col = "v", output_col = "s", with_mean = true }
    local a, b = s:fit(lf), s:fit(lf:collect())
    -- two-pass mean and unbiased std in float64, by hand
    local sum = 0
    for i = 1, N do sum = sum + X[i] end
    local mean, sq = sum / N, 0
    for i = 1, N do sq = sq + (X[i] - mean) ^ 2 end
    local std = math.sqrt(sq / (N - 1))
    assert.is_true(rel(a.mean[1], mean) < 1e-12, tostring(a.mean[1]))
    assert.is_true(rel(a.std[1], std) < 1e-12, tostring(a.std[1]))
    assert.is_true(rel(a.mean[1], b.mean[1]) < 1e-12 and rel(a.std[1], b.std[1]) < 1e-12)
    local m = feature.MinMaxScaler { input_col = "v", output_col = "m" }
    local ma, mb = m:fit(lf), m:fit(lf:collect())
    local lo, hi = math.huge, -math.huge
    for i = 1, N do lo, hi = math.min(lo, X[i]), math.max(hi, X[i]) end
    assert.are.same({ { lo }, { hi } }, { ma.original_min, ma.original_max })
    assert.are.same({ mb.original_min, mb.original_max }, { ma.original_min, ma.original_max })
  end)

  it("StringIndexer: counts over every chunk, in each of Spark's orders", function()
    local count = {}
    for i = 1, N do count[C[i]] = (count[C[i]] or 0) + 1 end
    -- a: 3 of every 7 rows, b: 2, c and d: 1 (the last rows give c one more)
    assert.is_true(count.a > count.b and count.b > count.c and count.c > count.d)
    for _, order in ipairs { "frequency_desc", "frequency_asc", "alphabet_asc", "alphabet_desc" } do
      local est = feature.StringIndexer { input_col = "c", output_col = "ci", order = order }
      local want = ({ frequency_desc = { "a", "b", "c", "d" }, frequency_asc = { "d", "c", "b", "a" },
        alphabet_asc = { "a", "b", "c", "d" }, alphabet_desc = { "d", "c", "b", "a" } })[order]
      assert.are.same(want, est:fit(scan()).labels)
      assert.are.same(want, est:fit(scan():collect()).labels)
    end
  end)

  it("Imputer: mean and mode as in memory; median exact on small data, within the relative error beyond", function()
    local present = {}
    for i = 1, N do if Y[i] == Y[i] then present[#present + 1] = Y[i] end end
    table.sort(present)
    local mean = 0
    for _, v in ipairs(present) do mean = mean + v end
    mean = mean / #present
    local function fit(strategy, lf)
      return feature.Imputer { input_cols = { "y" }, output_cols = { "y2" }, strategy = strategy }:fit(lf).surrogates[1]
    end
    assert.is_true(rel(fit("mean", scan()), mean) < 1e-12)
    assert.are.equal(fit("mode", scan():collect()), fit("mode", scan()))
    -- Spark's approxQuantile with relative error 0.001: the value's rank is
    -- within 0.001 * n of ceil(n / 2)
    local med = fit("median", scan())
    local rank_lo, rank_hi
    for r, v in ipairs(present) do
      if v == med then rank_lo, rank_hi = rank_lo or r, r end
    end
    local want = math.ceil(#present / 2)
    assert.is_truthy(rank_lo, "the median is a value of the column")
    assert.is_true(rank_lo - 0.001 * #present <= want + 1 and want - 1 <= rank_hi + 0.001 * #present)
    -- the rows of category b (those with y present: under 500): nothing
    -- merged, the exact lower median
    local sub = {}
    for i = 1, N do if C[i] == "b" and Y[i] == Y[i] then sub[#sub + 1] = Y[i] end end
    table.sort(sub)
    local only_b = feature.StringIndexerModel { input_col = "c", output_col = "ci", labels = { "b" },
      handle_invalid = "skip" }:transform(scan())
    assert.is_true(#sub < 500)
    assert.are.equal(sub[math.ceil(#sub / 2)], fit("median", only_b))
    assert.are.equal(fit("median", only_b:collect()), fit("median", only_b))
  end)

  it("the quantile summary stays small and close on 200,000 values", function()
    local q = core.data_quantiles(0.001)
    local n = 200000
    for k = 0, 19 do
      local chunk = {}
      for i = 1, n / 20 do chunk[i] = ((k * (n / 20) + i) * 48271) % n end -- a permutation of 0..n-1
      q:add(data.frame { v = chunk }:_column("v"), 0 / 0, "test")
    end
    local v, count, kept = q:query(0.5)
    assert.are.equal(n, count)
    assert.is_true(kept < n / 50, "entries kept: " .. kept)
    -- value v has rank v + 1; the lower median's rank is n / 2
    assert.is_true(math.abs((v + 1) - n / 2) <= 0.001 * n, tostring(v))
  end)

  it("Pipeline:fit(lf) gives fit(collect())'s stages; transform(lf) is lazy and carries them", function()
    local p = feature.Pipeline { stages = {
      feature.Imputer { input_cols = { "y" }, output_cols = { "y" } },
      feature.StringIndexer { input_col = "c", output_col = "ci" },
      feature.VectorAssembler { input_cols = { "x", "y", "ci" }, output_col = "v" },
      feature.StandardScaler { input_col = "v", output_col = "s", with_mean = true },
      feature.MinMaxScaler { input_col = "v", output_col = "m" },
    } }
    local lm, mm = p:fit(scan()), p:fit(scan():collect())
    assert.are.equal(5, #lm.stages)
    assert.are.same(mm.stages[2].labels, lm.stages[2].labels)
    assert.is_true(rel(lm.stages[1].surrogates[1], mm.stages[1].surrogates[1]) < 1e-12)
    for j = 1, 3 do
      assert.is_true(rel(lm.stages[4].mean[j], mm.stages[4].mean[j]) < 1e-12)
      assert.is_true(rel(lm.stages[4].std[j], mm.stages[4].std[j]) < 1e-12)
      assert.are.equal(mm.stages[5].original_max[j], lm.stages[5].original_max[j])
    end
    local out = lm:transform(scan())
    assert.is_true(data.is_lazy(out))
    assert.are.equal(5, #out.stages)
    assert.are.same({ "x", "y", "c", "ci", "v", "s", "m" }, out:columns())
    local got, want = out:collect(), mm:transform(scan():collect())
    assert.are.equal(N, got:count())
    assert.is_true(helpers.max_abs_diff(got:column("s"), want:column("s")) < 1e-5)
  end)

  it("a PipelineModel saves to one data file and loads back whole", function()
    local p = feature.Pipeline { stages = {
      feature.StringIndexer { input_col = "c", output_col = "ci" },
      feature.VectorAssembler { input_cols = { "x", "ci" }, output_col = "v", handle_invalid = "skip" },
      feature.StandardScaler { input_col = "v", output_col = "s" },
      feature.OneHotTransformer { input_col = "ci", output_col = "oh", output_dim = 4 },
      feature.SelectColumns { cols = { "s", "oh" } },
    } }
    local m = p:fit(scan())
    m:save(path("p.model"))
    local text = helpers.read_file(path("p.model"))
    assert.are.equal(text, feature.pipeline_text(m.stages))
    assert.is_truthy(text:find("stage StandardScalerModel\n", 1, true))
    local back = feature.load(path("p.model"))
    assert.are.equal("PipelineModel", getmetatable(back).__name)
    assert.are.equal(text, feature.pipeline_text(back.stages))
    local df = scan():collect()
    assert.are.equal(0, helpers.max_abs_diff(m:transform(df):column("s"), back:transform(df):column("s")))
    assert.are.same({ "s", "oh" }, back:transform(scan()):columns())
    -- a stage class it does not know, at its line
    helpers.write_file(path("bad.model"), "lunet-feature-model 1\nclass PipelineModel\nstage VectorAssembler\n"
      .. "input_cols S 1 x\noutput_col s v\nstage os.execute\n")
    helpers.assert_error({ "feature.load", "bad.model:6", "unknown stage class" },
      function() feature.load(path("bad.model")) end)
  end)

  it("errors: an empty lazy frame, a column the stages removed, a stage that is code", function()
    local none = feature.StringIndexerModel { input_col = "c", output_col = "ci", labels = { "zz" },
      handle_invalid = "skip" }:transform(scan())
    helpers.assert_error({ "StandardScaler", "cannot fit on an empty lazy frame" }, function()
      feature.StandardScaler { input_col = "x", output_col = "s" }:fit(none)
    end)
    helpers.assert_error({ "MinMaxScaler", "column 'y'", "SelectColumns(x)" }, function()
      feature.MinMaxScaler { input_col = "y", output_col = "m" }:fit(scan():select("x"))
    end)
    helpers.assert_error({ "Pipeline:fit: stage 2 (StandardScaler)", "column 'v'" }, function()
      feature.Pipeline { stages = { feature.SelectColumns { cols = { "x" } },
        feature.StandardScaler { input_col = "v", output_col = "s" } } }:fit(scan())
    end)
    helpers.assert_error({ "StandardScaler", "column 'y' holds NaN", "row 7" }, function()
      feature.StandardScaler { input_col = "y", output_col = "s" }:fit(scan())
    end)
    local mine = setmetatable({}, { __name = "MyScaler", __index = { transform = function(_, df) return df end } })
    local pm = feature.PipelineModel { stages = { mine } }
    helpers.assert_error({ "PipelineModel:save", "stage 1 (MyScaler) cannot be saved" },
      function() pm:save(path("mine.model")) end)
    assert.is_nil(helpers.read_file(path("mine.model")))
    helpers.assert_error({ "LazyFrame:to_data", "stage 1 (MyScaler) cannot be saved" },
      function() pm:transform(scan()):to_data() end)
  end)
end)
