-- A search's results directory: settings.json (what the search is: metric,
-- mode, algorithm, seed, the space's description, ...) and trials.jsonl, an
-- append-only record of trials, one JSON object per line, each appended
-- whole and fsynced (core.file_append). A trial's latest line is its state;
-- a kill can leave at worst a truncated last line, which loading ignores.
-- Each trial's files (its saved model) live in trial_<id>/.
local core = require "lunet.core"
local check = require "lunet.check"

local store = {}

local Store = {}
Store.__index = Store

local SETTINGS, TRIALS = "settings.json", "trials.jsonl"

local function exists(path) return core.file_kind(path) ~= nil end

-- The trials of a trials.jsonl text, latest record per id, sorted by id.
local function parse(text, dir)
  local by_id = {}
  for line in text:gmatch("[^\n]+") do
    local ok, t = pcall(core.json_decode, line)
    -- (a line cut by a kill, or foreign text: not a record)
    if ok and type(t) == "table" and math.type(t.id) == "integer" and type(t.state) == "string" then
      by_id[t.id] = t
    end
  end
  local list = {}
  for _, t in pairs(by_id) do
    t.metrics, t.reports, t.config = t.metrics or {}, t.reports or {}, t.config or {}
    if t.model then t.model = dir .. "/" .. t.model end
    list[#list + 1] = t
  end
  table.sort(list, function(a, b) return a.id < b.id end)
  return list
end

-- load(dir) -> settings, trials of a stored search.
function store.load(dir, where)
  where = where or "tune.load"
  check.string(dir, where, "dir", { nonempty = true })
  local path = dir .. "/" .. SETTINGS
  if not exists(path) then check.fail(where, "'%s' holds no search (no %s)", dir, SETTINGS) end
  local ok, settings = pcall(core.json_decode, core.file_read(path))
  if not ok or type(settings) ~= "table" then check.fail(where, "'%s' is not a search's settings", path) end
  local trials = {}
  if exists(dir .. "/" .. TRIALS) then trials = parse(core.file_read(dir .. "/" .. TRIALS), dir) end
  return settings, trials
end

-- A fresh directory under ./tune_results named by the time (and a count when taken).
local function fresh_dir()
  local base = "tune_results/" .. os.date("%Y%m%d-%H%M%S")
  local dir, n = base, 1
  while exists(dir) do n = n + 1; dir = base .. "-" .. n end
  return dir
end

-- The settings that must match on resume, named in the error.
local COMPARED = { "trial", "metric", "mode", "algorithm", "seed", "num_samples", "tpe", "space", "scheduler" }

-- open(dir, settings, resume, where) -> the Store; dir nil: a fresh one.
-- resume: dir must hold a search with the same settings; else dir must not
-- hold one already.
function store.open(dir, settings, resume, where)
  dir = dir or fresh_dir()
  local path = dir .. "/" .. SETTINGS
  local self = setmetatable({ dir = dir, path = dir .. "/" .. TRIALS, settings = settings, list = {} }, Store)
  if resume then
    local old, trials = store.load(dir, where)
    local function text(v) return v == nil and "none" or core.json_encode({ v = v }):sub(6, -2) end
    for _, k in ipairs(COMPARED) do
      local a, b = text(old[k]), text(settings[k])
      if a ~= b then
        check.fail(where, "resume: '%s' holds a search with another %s (stored %s, given %s)", dir, k, a, b)
      end
    end
    self.list = trials
    -- (a record cut by a kill: the next one starts on a line of its own)
    local text = exists(self.path) and core.file_read(self.path) or ""
    if text ~= "" and text:sub(-1) ~= "\n" then core.file_append(self.path, "\n") end
    return self
  end
  if exists(path) then
    check.fail(where, "'%s' already holds a search: resume = true continues it, or give another dir", dir)
  end
  check.within(where, "dir", core.mkdirs, dir)
  core.file_write(path, core.json_encode(settings))
  return self
end

function Store:trials() return self.list end

-- The directory of trial id (made if missing), and its name relative to the store.
function Store:trial_dir(id)
  local rel = string.format("trial_%d", id)
  core.mkdirs(self.dir .. "/" .. rel)
  return self.dir .. "/" .. rel, rel
end

-- Appends trial t's current state {id, config, state, metrics, reports,
-- seconds, error, model (relative to the store)}.
function Store:record(t)
  local rec = { id = t.id, config = t.config, state = t.state, metrics = t.metrics or {}, reports = t.reports or {},
                seconds = t.seconds, error = t.error, model = t.model }
  core.file_append(self.path, core.json_encode(rec) .. "\n")
  local kept = {}
  for k, v in pairs(rec) do kept[k] = v end
  if kept.model then kept.model = self.dir .. "/" .. kept.model end
  for i, old in ipairs(self.list) do
    if old.id == t.id then self.list[i] = kept; return end
  end
  self.list[#self.list + 1] = kept
  table.sort(self.list, function(a, b) return a.id < b.id end)
end

return store
