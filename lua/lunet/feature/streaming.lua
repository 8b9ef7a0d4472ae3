-- lunet.feature.streaming: fitting lunet.feature's estimators on a LazyFrame
-- in one pass over its chunks, holding per-estimator statistics, never the
-- rows. Each estimator has an accumulator: add(chunk, offset) folds one
-- chunk in (offset = the rows before it, for messages), finish() makes the
-- fitted model, which equals the one fit(lf:collect()) gives: counts, minima
-- and maxima exactly, means and standard deviations to rounding (per-chunk
-- count, mean and M2 in float64, merged with Chan et al.'s formula). The
-- Imputer's median is approximate, as Spark's (approxQuantile with relative
-- error 0.001, a Greenwald-Khanna summary in C, core/data/quantile.c); its
-- mode keeps one count per distinct value, as Spark's groupBy does.
-- Pipeline:fit(lf) fits its estimators in order; consecutive estimators
-- none of which reads a column another writes share one pass.
local core = require "lunet.core"
local check = require "lunet.check"
local class = require "lunet.feature.class"
local missing = require "lunet.data.missing"
local lazy = require "lunet.data.lazy"
local c = require("lunet.data.frame").c

local streaming = {}
local fail = check.fail

-- The Imputer's median: Spark's Imputer calls approxQuantile with this.
streaming.MEDIAN_RELATIVE_ERROR = 0.001

-- A NaN in column name of chunk is an error naming its row in the data
-- after the stages (offset rows came before the chunk).
local function check_no_nan(chunk, name, where, offset)
  local row, elem = missing.first_nan(chunk, name, where)
  if not row then return end
  local at = chunk:_column(name, where):type() == "vector"
    and string.format("row %d, value %d of its vector", offset + row, elem) or string.format("row %d", offset + row)
  fail(where, "column '%s' holds NaN (a missing value) in %s: %s", name, at, missing.ADVICE)
end

-- Chunk moments merged (Chan, Golub and LeVeque, 1979): n, mean, m2 (the
-- sum of squared deviations), min, max per feature, in float64.
local function moments(est, where)
  local n, mean, m2, lo, hi = 0, nil, nil, nil, nil
  local acc = {}
  function acc.add(chunk, offset)
    local x = class.input_tensor(est, chunk, where)
    check_no_nan(chunk, est.input_col, where, offset)
    local nb = chunk:count()
    if nb == 0 then return end
    local mb, m2b, lob, hib = c(core.data_moments, x)
    if not mean then
      n, mean, m2, lo, hi = nb, mb, m2b, lob, hib
      return
    end
    if #mb ~= #mean then
      fail(where, "column '%s' has %d features in row %d, %d before", est.input_col, #mb, offset + 1, #mean)
    end
    local total = n + nb
    for j = 1, #mean do
      local delta = mb[j] - mean[j]
      mean[j] = mean[j] + delta * nb / total
      m2[j] = m2[j] + m2b[j] + delta * delta * n * nb / total
      if lob[j] < lo[j] then lo[j] = lob[j] end
      if hib[j] > hi[j] then hi[j] = hib[j] end
    end
    n = total
  end
  function acc.stats()
    local std = {}
    for j = 1, #mean do
      local var = n > 1 and m2[j] / (n - 1) or 0
      std[j] = var > 0 and math.sqrt(var) or 0
    end
    return mean, std, lo, hi
  end
  return acc
end

local ACCUMULATORS = {}

ACCUMULATORS.StandardScaler = function(est, where)
  local acc = moments(est, where)
  function acc.finish()
    local mean, std = acc.stats()
    return require("lunet.feature.scalers").StandardScalerModel { input_col = est.input_col,
      output_col = est.output_col, with_mean = est.with_mean, with_std = est.with_std, mean = mean, std = std }
  end
  return acc
end

ACCUMULATORS.MinMaxScaler = function(est, where)
  local acc = moments(est, where)
  function acc.finish()
    local _, _, lo, hi = acc.stats()
    return require("lunet.feature.scalers").MinMaxScalerModel { input_col = est.input_col,
      output_col = est.output_col, min = est.min, max = est.max, original_min = lo, original_max = hi }
  end
  return acc
end

-- Label counts added up chunk by chunk (a chunk's are counted in C).
ACCUMULATORS.StringIndexer = function(est, where)
  local count = {}
  local acc = {}
  function acc.add(chunk)
    local col = chunk:_column(est.input_col, where)
    if col:type() == "vector" then
      fail(where, "column '%s' is a vector column, expected strings or numbers", est.input_col)
    end
    local labels, counts = col:as_strings():string_counts()
    for i, l in ipairs(labels) do count[l] = (count[l] or 0) + counts[i] end
  end
  function acc.finish() return est:_model(count) end
  return acc
end

-- One surrogate per column: the mean from merged (count, mean) pairs, the
-- median from a quantile summary, the mode from merged value counts.
ACCUMULATORS.Imputer = function(est, where)
  local state = {}
  for i in ipairs(est.input_cols) do
    state[i] = { n = 0, mean = 0, counts = {}, summary = est.strategy == "median"
      and c(core.data_quantiles, streaming.MEDIAN_RELATIVE_ERROR) or nil }
  end
  local acc = {}
  function acc.add(chunk)
    for i, name in ipairs(est.input_cols) do
      missing.check_numeric(chunk, { name }, where)
      local col = chunk:_column(name, where)
      if col:type() == "vector" then
        fail(where, "column '%s' is a vector column; Imputer fills scalar numeric columns (impute before "
          .. "VectorAssembler)", name)
      end
      local s = state[i]
      if est.strategy == "mean" then
        local m, valid = c(core.data_impute_fit, col, est.missing_value, "mean", where)
        if valid > 0 then
          s.n = s.n + valid
          s.mean = s.mean + (m - s.mean) * valid / s.n
        end
      elseif est.strategy == "median" then
        s.n = s.n + c(s.summary.add, s.summary, col, est.missing_value, where)
      else
        local values, counts = c(core.data_value_counts, col, est.missing_value, where)
        for k, v in ipairs(values) do
          s.counts[v] = (s.counts[v] or 0) + counts[k]
          s.n = s.n + counts[k]
        end
      end
    end
  end
  function acc.finish(rows)
    local surrogates = {}
    for i, name in ipairs(est.input_cols) do
      local s = state[i]
      if s.n == 0 then
        fail(where, "column '%s' has no value to take the %s of: all %d rows are missing (NaN%s); drop the "
          .. "column or fill it another way", name, est.strategy, rows,
          est.missing_value == est.missing_value and " or " .. check.describe(est.missing_value) or "")
      end
      if est.strategy == "mean" then surrogates[i] = s.mean
      elseif est.strategy == "median" then surrogates[i] = s.summary:query(0.5)
      else -- the most frequent value, the smallest among ties
        local best, best_n
        for v, k in pairs(s.counts) do
          if not best or k > best_n or (k == best_n and v < best) then best, best_n = v, k end
        end
        surrogates[i] = best
      end
    end
    return require("lunet.feature.imputer").ImputerModel { input_cols = est.input_cols,
      output_cols = est.output_cols, strategy = est.strategy, missing_value = est.missing_value,
      surrogates = surrogates }
  end
  return acc
end

-- The columns an estimator reads and writes (for messages and for sharing a
-- pass).
local function reads(est) return est.input_cols or { est.input_col } end
local function writes(est) return est.output_cols or { est.output_col } end

local function class_name(est)
  local mt = getmetatable(est)
  return type(mt) == "table" and rawget(mt, "__name") or nil
end

function streaming.can_fit(est) return ACCUMULATORS[class_name(est) or ""] ~= nil end

-- Fits the estimators ests together in one pass over lf: their fitted models,
-- in order. where names each estimator (where(i) -> text).
function streaming.fit_many(ests, lf, where)
  local empty = lf:_empty()
  local accs = {}
  for i, est in ipairs(ests) do
    for _, name in ipairs(reads(est)) do
      if not empty._cols[name] then
        local last = lf.stages[#lf.stages]
        fail(where(i), "column '%s' is not in the lazy frame after its %d stage%s%s (available: %s)", name,
          #lf.stages, #lf.stages == 1 and "" or "s", last and ", the last " .. tostring(last) or "",
          table.concat(empty:columns(), ", "))
      end
    end
    accs[i] = ACCUMULATORS[class_name(est)](est, where(i))
  end
  local rows = 0
  for chunk in lf:_chunks(lazy.CHUNK_ROWS) do
    for _, acc in ipairs(accs) do acc.add(chunk, rows) end
    rows = rows + chunk:count()
  end
  if rows == 0 then
    fail(where(1), "cannot fit on an empty lazy frame (column '%s' has no rows after %d stage%s)", reads(ests[1])[1],
      #lf.stages, #lf.stages == 1 and "" or "s")
  end
  local models = {}
  for i, acc in ipairs(accs) do models[i] = acc.finish(rows) end
  return models
end

-- est:fit(lf) for an estimator of lunet.feature.
function streaming.fit(est, lf)
  local name = class_name(est)
  return streaming.fit_many({ est }, lf, function() return name end)[1]
end

-- Consecutive estimators ests[first..] that can share a pass: each has an
-- accumulator, and none reads a column another of them writes.
local function group(stages, first)
  local last, written, read = first - 1, {}, {}
  for i = first, #stages do
    local s = stages[i]
    if not streaming.can_fit(s) then break end
    local ok = true
    for _, n in ipairs(reads(s)) do ok = ok and not written[n] end
    for _, n in ipairs(writes(s)) do ok = ok and not read[n] and not written[n] end
    if not ok then break end
    for _, n in ipairs(reads(s)) do read[n] = true end
    for _, n in ipairs(writes(s)) do written[n] = true end
    last = i
  end
  return last
end

-- Pipeline:fit(lf): the fitted stages, each estimator fitted on lf through
-- the stages before it.
function streaming.fit_pipeline(stages, lf, run_stage)
  local fitted, i = {}, 1
  while i <= #stages do
    local last = group(stages, i)
    if last >= i then
      local ests = { table.unpack(stages, i, last) }
      local models = streaming.fit_many(ests, lf, function(k)
        return string.format("Pipeline:fit: stage %d (%s)", i + k - 1, class_name(ests[k]))
      end)
      for k, m in ipairs(models) do fitted[i + k - 1] = m end
      lf = lf:_with_stages(models)
      i = last + 1
    else
      local s = stages[i]
      local ok, f = pcall(function() return s.fit end)
      if ok and type(f) == "function" then s = run_stage("Pipeline:fit", i, s, "fit", lf) end
      fitted[i] = s
      lf = lf:_with_stages { s }
      i = i + 1
    end
  end
  return fitted
end

return streaming
