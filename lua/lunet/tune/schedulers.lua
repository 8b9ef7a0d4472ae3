-- Trial schedulers, as Ray Tune defines them, over the steps trials report
-- (a trial's n-th report is step n): each decides at every report whether
-- the trial goes on. "median" is Ray's MedianStoppingRule (Google Vizier):
-- stop a trial at step t when its best result so far is worse than the
-- median of the other trials' running means up to t. "asha" is Ray's
-- AsyncHyperBandScheduler with one bracket (ASHA, Li et al., "A System for
-- Massively Parallel Hyperparameter Tuning", MLSys 2020): rungs at
-- grace_period * reduction_factor^k below max_t; a trial reaching a rung
-- goes on only if it is in the top 1 / reduction_factor of the results
-- recorded there so far; it stops at max_t.
-- new(spec, mode, where) -> a scheduler: :report(id, step, value) -> stop?
-- (and a reason: "max_t" when it stops a trial that reached the end),
-- :complete(id). spec: nil, a name, or {name =, options...}.
local doc = require "lunet.doc"
local check = require "lunet.check"

local schedulers = {}

schedulers.docs = {
  median = doc.options {
    { "grace_period", 1, "the first step at which a trial may be stopped" },
    { "min_samples_required", 3, "how many other trials must have reported before a trial is judged" },
  },
  asha = doc.options {
    { "max_t", 100, "the last step a trial runs (it is stopped there)" },
    { "grace_period", 1, "the first rung: a trial runs at least this many steps" },
    { "reduction_factor", 4, "rungs at grace_period * reduction_factor^k; the top 1/reduction_factor go on" },
  },
}

-- a better than b in mode
local function better(mode, a, b) if mode == "max" then return a > b end return a < b end

-- ---------------------------------------------------------------- median

local Median = {}
Median.__index = Median

function Median:report(id, step, value)
  local mine = self.results[id] or {}
  self.results[id] = mine
  mine[#mine + 1] = { step = step, value = value }
  if step < self.o.grace_period then return false end
  local best = value
  for _, r in ipairs(mine) do if better(self.mode, r.value, best) then best = r.value end end
  local means = {}
  for other, rs in pairs(self.results) do
    if other ~= id then
      local sum, n = 0, 0
      for _, r in ipairs(rs) do if r.step <= step then sum, n = sum + r.value, n + 1 end end
      if n > 0 then means[#means + 1] = sum / n end
    end
  end
  if #means < self.o.min_samples_required then return false end
  table.sort(means)
  local m = #means % 2 == 1 and means[(#means + 1) // 2] or (means[#means // 2] + means[#means // 2 + 1]) / 2
  return better(self.mode, m, best)
end

function Median:complete() end

-- ---------------------------------------------------------------- ASHA

local Asha = {}
Asha.__index = Asha

-- numpy's percentile (linear interpolation) of a sorted list, q in [0, 100]
local function percentile(sorted, q)
  local pos = (#sorted - 1) * q / 100 + 1
  local lo = math.floor(pos)
  local hi = math.min(lo + 1, #sorted)
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)
end

function Asha:report(id, step, value)
  if step >= self.o.max_t then return true, "max_t" end
  -- (as Ray: only the highest rung the trial has reached and not yet recorded at)
  local v = self.mode == "max" and value or -value
  for k = #self.rungs, 1, -1 do
    local rung = self.rungs[k]
    if step >= rung.milestone then
      if rung.seen[id] then return false end
      rung.seen[id] = true
      rung.values[#rung.values + 1] = v
      local sorted = { table.unpack(rung.values) }
      table.sort(sorted)
      local cutoff = percentile(sorted, (1 - 1 / self.o.reduction_factor) * 100)
      return v < cutoff
    end
  end
  return false
end

function Asha:complete() end

-- ---------------------------------------------------------------- registry

local KINDS = {
  median = function(o, mode) return setmetatable({ o = o, mode = mode, results = {} }, Median) end,
  asha = function(o, mode, where)
    if o.grace_period > o.max_t then
      check.fail(where, "scheduler asha: grace_period = %d is above max_t = %d", o.grace_period, o.max_t)
    end
    local rungs, m = {}, o.grace_period
    while m < o.max_t do
      rungs[#rungs + 1] = { milestone = m, values = {}, seen = {} }
      m = m * o.reduction_factor
    end
    return setmetatable({ o = o, mode = mode, rungs = rungs }, Asha)
  end,
}

local CHECKS = {
  grace_period = function(v, where) return check.size(v, where, "scheduler's grace_period") end,
  min_samples_required = function(v, where) return check.size(v, where, "scheduler's min_samples_required") end,
  max_t = function(v, where) return check.size(v, where, "scheduler's max_t") end,
  reduction_factor = function(v, where)
    return check.number(v, where, "scheduler's reduction_factor", { above = 1 })
  end,
}

-- new(spec, mode, where) -> a scheduler, or nil for spec nil (every trial runs to its end).
function schedulers.new(spec, mode, where)
  if spec == nil then return nil end
  local name, given = spec, {}
  if type(spec) == "table" then
    name, given = spec.name, spec
  end
  if type(name) ~= "string" or not KINDS[name] then
    check.fail(where, "scheduler must be 'median', 'asha' or a table {name = 'median' | 'asha', ...options}, got %s",
      check.describe(type(spec) == "table" and name or spec))
  end
  local d = schedulers.docs[name]
  local allowed = { "name", table.unpack(d.names) }
  check.options(given, where .. ": scheduler " .. name, allowed)
  local o = {}
  for _, k in ipairs(d.names) do
    o[k] = given[k] == nil and d.defaults[k] or CHECKS[k](given[k], where .. ": scheduler " .. name)
  end
  return KINDS[name](o, mode, where)
end

-- The plain-data form of a scheduler spec (stored in the settings, compared on resume).
function schedulers.describe(spec)
  if type(spec) == "table" then
    local t = {}
    for k, v in pairs(spec) do t[k] = v end
    return t
  end
  return spec
end

return schedulers
