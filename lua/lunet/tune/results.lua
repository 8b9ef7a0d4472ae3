-- lunet.tune.results: what a search gives back (tune.run's return value, and
-- what a results directory reads back as): the best trial's config and
-- metrics, and every trial as one row of a DataFrame (Ray Tune's ResultGrid
-- and get_dataframe, Elephas's trials). Built from the store's trial records
-- ({id=, config=, state=, metrics=, reports=, seconds=, error=, model=}) and
-- the search's settings ({metric=, mode=, space= Space:describe(), ...}).
local check = require "lunet.check"
local doc = require "lunet.doc"
local data = require "lunet.data"
local params = require "lunet.tune.params"

local results = {}
local fail, describe, finite = check.fail, check.describe, check.finite

local Results = {}
Results.__index = Results
Results.__name = "tune.Results"
results.Results = Results

local STATES = { "done", "stopped", "failed", "running", "pending" }
local STATE = {}
for _, s in ipairs(STATES) do STATE[s] = true end
-- The states whose metrics count for the best trial: finished, or ended early
-- by the scheduler with what they had reported.
local FINISHED = { done = true, stopped = true }
local FIXED = { id = true, state = true, seconds = true, error = true }

function results.is(v) return getmetatable(v) == Results end

-- A deep copy of plain tables (a cycle stays a cycle; a table with a
-- metatable is kept as it is).
local function copy(v, seen)
  if type(v) ~= "table" or getmetatable(v) ~= nil then return v end
  seen = seen or {}
  if seen[v] then return seen[v] end
  local out = {}
  seen[v] = out
  for k, x in pairs(v) do out[k] = copy(x, seen) end
  return out
end

-- A trial record, checked (the store wrote it, but a results directory is
-- a user's file): a fresh copy.
local function check_record(r, i, where)
  local what = string.format("trials[%d]", i)
  if type(r) ~= "table" or getmetatable(r) ~= nil then
    fail(where, "%s must be a trial record (a table), got %s", what, describe(r))
  end
  local id = check.integer(r.id, where, what .. ".id", { min = 1 })
  if not STATE[r.state] then
    fail(where, "%s (trial %d).state must be one of %s, got %s", what, id, table.concat(STATES, ", "),
      describe(r.state))
  end
  for _, f in ipairs { "config", "metrics" } do
    if r[f] ~= nil and (type(r[f]) ~= "table" or getmetatable(r[f]) ~= nil) then
      fail(where, "%s (trial %d).%s must be a table, got %s", what, id, f, describe(r[f]))
    end
  end
  if r.seconds ~= nil then check.number(r.seconds, where, what .. ".seconds", { min = 0 }) end
  if r.error ~= nil then check.string(r.error, where, what .. ".error") end
  if r.model ~= nil then check.string(r.model, where, what .. ".model", { nonempty = true }) end
  local out = copy(r)
  out.id, out.config, out.metrics = id, out.config or {}, out.metrics or {}
  return out
end

-- results.new(settings, trials, dir) -> Results. trials: the store's records
-- (any order; sorted by id here); dir: the results directory or nil.
function results.new(settings, trials, dir, ...)
  local where = "tune.results"
  check.arity(where, 3, settings, trials, dir, ...)
  if type(settings) ~= "table" or getmetatable(settings) ~= nil then
    fail(where, "settings must be a table, got %s", describe(settings))
  end
  local metric = check.string(settings.metric, where, "settings.metric", { nonempty = true })
  local mode = check.choice(settings.mode, where, "settings.mode", { "max", "min" })
  check.list(trials, where, "trials")
  if dir ~= nil then check.string(dir, where, "dir", { nonempty = true }) end
  local records, seen = {}, {}
  for i, r in ipairs(trials) do
    records[i] = check_record(r, i, where)
    local id = records[i].id
    if seen[id] then fail(where, "trials[%d] and trials[%d] are both trial %d", seen[id], i, id) end
    seen[id] = i
  end
  table.sort(records, function(a, b) return a.id < b.id end)
  local self = setmetatable({ settings = copy(settings), metric = metric, mode = mode, dir = dir,
    _records = records, _params = params.list(settings.space, records) }, Results)
  self.trials = self:_frame()
  local best = self:_best(metric, mode)
  if best then self.best_config, self.best_result = copy(best.config), copy(best.metrics) end
  return self
end

-- ---- the ranking ----

-- value is better than other under mode.
local function better(mode, value, other)
  if mode == "max" then return value > other end
  return value < other
end

-- The finished trials with a finite metric, best first (ties: the earlier
-- trial first).
function Results:_ranked(metric, mode)
  local list = {}
  for _, r in ipairs(self._records) do
    local v = r.metrics[metric]
    if FINISHED[r.state] and type(v) == "number" and finite(v) then list[#list + 1] = r end
  end
  table.sort(list, function(a, b)
    local x, y = a.metrics[metric], b.metrics[metric]
    if x ~= y then return better(mode, x, y) end
    return a.id < b.id
  end)
  return list
end

function Results:_best(metric, mode) return self:_ranked(metric, mode)[1] end

-- Every record: the ranked ones first, then the others by id.
function Results:_all_ranked()
  local list, in_rank = self:_ranked(self.metric, self.mode), {}
  for _, r in ipairs(list) do in_rank[r] = true end
  for _, r in ipairs(self._records) do if not in_rank[r] then list[#list + 1] = r end end
  return list
end

-- Counts by state, as text ("3 done, 1 failed").
function Results:_counts()
  local n, parts = {}, {}
  for _, r in ipairs(self._records) do n[r.state] = (n[r.state] or 0) + 1 end
  for _, s in ipairs(STATES) do if n[s] then parts[#parts + 1] = string.format("%d %s", n[s], s) end end
  return #parts > 0 and table.concat(parts, ", ") or "none"
end

-- Why no trial qualifies for metric: for error messages.
function Results:_why_none(metric)
  local finished, without = 0, 0
  for _, r in ipairs(self._records) do
    if FINISHED[r.state] then
      finished = finished + 1
      local v = r.metrics[metric]
      if type(v) ~= "number" or not finite(v) then without = without + 1 end
    end
  end
  if #self._records == 0 then return "the search has no trials" end
  if finished == 0 then return string.format("no trial finished (%s)", self:_counts()) end
  return string.format("%d done or stopped %s reported no finite '%s' (%s)", without,
    without == 1 and "trial" or "trials", metric, self:_counts())
end

local function trial_of(r)
  return { id = r.id, state = r.state, config = copy(r.config), metrics = copy(r.metrics), seconds = r.seconds,
    model = r.model }
end

-- get_best(metric?, mode?) -> {id=, state=, config=, metrics=, seconds=, model=}: the best done or stopped trial
-- by metric (default: the search's) and mode (the search's for its own metric; required for another).
function Results:get_best(metric, mode, ...)
  local where = "Results:get_best"
  if not results.is(self) then fail(where, "call it on a tune Results (results:get_best()), got %s", describe(self)) end
  check.arity(where, 2, metric, mode, ...)
  metric = check.string(metric, where, "metric", { nonempty = true, default = self.metric })
  if mode == nil and metric ~= self.metric then
    fail(where, "give mode ('max' or 'min') for metric '%s' (the search's mode is for '%s')", metric, self.metric)
  end
  mode = check.choice(mode, where, "mode", { "max", "min" }, self.mode)
  local best = self:_best(metric, mode)
  if not best then fail(where, "no best trial by '%s': %s", metric, self:_why_none(metric)) end
  return trial_of(best)
end

-- best() -> the best trial by the search's metric and mode (as get_best); an error when none finished with it.
function Results:best(...)
  if not results.is(self) then fail("Results:best", "call it on a tune Results (results:best()), got %s",
    describe(self)) end
  check.arity("Results:best", 0, ...)
  local best = self:_best(self.metric, self.mode)
  if not best then fail("Results:best", "no best trial by '%s': %s", self.metric, self:_why_none(self.metric)) end
  return trial_of(best)
end

-- dataframe() -> the trials DataFrame (results.trials).
function Results:dataframe(...)
  if not results.is(self) then fail("Results:dataframe", "call it on a tune Results, got %s", describe(self)) end
  check.arity("Results:dataframe", 0, ...)
  return self.trials
end

-- The parameters: {path=, kind=, column=} in column order.
function Results:params() return copy(self._params) end

-- ---- the frame ----

-- The metric names of the records whose values are numbers, strings or
-- booleans (a model or a table is no cell), sorted.
local function metric_names(records)
  local set, names = {}, {}
  for _, r in ipairs(records) do
    for k, v in pairs(r.metrics) do
      local t = type(v)
      if type(k) == "string" and (t == "number" or t == "string" or t == "boolean") and not set[k] then
        set[k] = true
        names[#names + 1] = k
      end
    end
  end
  table.sort(names)
  return names
end

-- One column of values (nil: missing): numbers when every present value is
-- one (NaN where missing, lunet's null), else text ("" where missing).
local function column(values, n, text)
  local numeric = not text
  for i = 1, n do
    if values[i] ~= nil and type(values[i]) ~= "number" then numeric = false end
  end
  local out = {}
  for i = 1, n do
    local v = values[i]
    if numeric then out[i] = v == nil and 0 / 0 or v
    else out[i] = v == nil and "" or params.text(v) end
  end
  return out
end

-- Columns: id, state, seconds, one per parameter (its dotted path; "config."
-- before it when it would be a fixed column's name), one per metric
-- ("metrics." before it when a fixed or parameter column has its name), error.
function Results:_frame()
  local recs, n = self._records, #self._records
  local cols, used = {}, {}
  local function add(name, values)
    cols[#cols + 1] = { name, values }
    used[name] = true
  end
  local ids, states, seconds, errors = {}, {}, {}, {}
  for i, r in ipairs(recs) do ids[i], states[i], seconds[i], errors[i] = r.id, r.state, r.seconds, r.error end
  add("id", ids)
  add("state", states)
  add("seconds", column(seconds, n))
  for _, p in ipairs(self._params) do
    p.column = FIXED[p.path] and "config." .. p.path or p.path
    local values = {}
    for i, r in ipairs(recs) do values[i] = params.get(r.config, p.path) end
    add(p.column, column(values, n))
  end
  for _, m in ipairs(metric_names(recs)) do
    local values = {}
    for i, r in ipairs(recs) do
      local v = r.metrics[m]
      if type(v) == "number" or type(v) == "string" or type(v) == "boolean" then values[i] = v end
    end
    add((used[m] or m == "error") and "metrics." .. m or m, column(values, n))
  end
  add("error", column(errors, n, true))
  return data.frame(cols)
end

-- ---- printing ----

local TOP = 5

local function cell(v)
  if v == nil then return "" end
  return params.text(v)
end

-- A short table: the counts, the best, and the top trials.
function Results:__tostring()
  local head = string.format("tune.Results: %d %s (%s), metric '%s' (%s)", #self._records,
    #self._records == 1 and "trial" or "trials", self:_counts(), self.metric, self.mode)
  local ranked = self:_ranked(self.metric, self.mode)
  if #ranked == 0 then return head .. ", no best trial: " .. self:_why_none(self.metric) end
  local header = { "id", "state", self.metric }
  for _, p in ipairs(self._params) do header[#header + 1] = p.path end
  header[#header + 1] = "seconds"
  local rows = { header }
  for i = 1, math.min(TOP, #ranked) do
    local r = ranked[i]
    local row = { cell(r.id), r.state, cell(r.metrics[self.metric]) }
    for _, p in ipairs(self._params) do row[#row + 1] = cell(params.get(r.config, p.path)) end
    row[#row + 1] = r.seconds and string.format("%.2f", r.seconds) or ""
    rows[#rows + 1] = row
  end
  local width = {}
  for _, row in ipairs(rows) do
    for j, s in ipairs(row) do width[j] = math.max(width[j] or 0, utf8.len(s) or #s) end
  end
  local lines = { head, string.format("best: trial %d, %s = %s; top %d:", ranked[1].id, self.metric,
    cell(ranked[1].metrics[self.metric]), math.min(TOP, #ranked)) }
  for _, row in ipairs(rows) do
    local parts = {}
    for j, s in ipairs(row) do parts[j] = s .. string.rep(" ", width[j] - (utf8.len(s) or #s)) end
    lines[#lines + 1] = "  " .. table.concat(parts, "  "):gsub("%s+$", "")
  end
  return table.concat(lines, "\n")
end

doc.register { name = "tune.Results", kind = "tune",
  summary = "what tune.run and tune.load return: best_config and best_result (the best done or stopped trial by the "
    .. "search's metric and mode; nil when none finished), trials (a DataFrame: id, state, seconds, a column per "
    .. "parameter by dotted path with missing cells where a trial did not draw it, a column per metric, error), dir; "
    .. "r:best() and r:get_best(metric, mode) -> {id, state, config, metrics, seconds, model}, r:dataframe(), "
    .. "r:params() -> {{path =, kind = (the domain's, when the space names it), column =}, ...}; "
    .. "tostring gives the top trials",
  usage = "local best = results:get_best('val_loss', 'min'); results.trials:show()", aliases = { "Results" },
  objects = { Results } }

return results
