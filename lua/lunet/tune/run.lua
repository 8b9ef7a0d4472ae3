-- tune.run: the driver of a search. It compiles the space, opens the results
-- store (resume: the finished trials are observed by the searcher again,
-- the unfinished ones queued to run again), starts the pool of workers and
-- serves them: each free worker gets the next trial (the searcher's
-- suggestion), each report the scheduler's answer, each result is recorded
-- and observed. A trial that fails, crashes its process or runs past
-- trial_timeout is recorded failed and the search goes on; on a driver
-- error or Ctrl-C the workers are ended and the store stays resumable.
local core = require "lunet.core"
local check = require "lunet.check"
local run_options = require "lunet.tune.run_options"
local schedulers = require "lunet.tune.schedulers"
local store = require "lunet.tune.store"
local pool = require "lunet.tune.pool"

local doc = require "lunet.doc"

local run = {}

local WHERE = "tune.run"

local Search = {}
Search.__index = Search

-- (a metric a worker sent: checked again here, the driver trusts no message)
local function finite_number(v) return type(v) == "number" and check.finite(v) end

function Search:say(fmt, ...)
  if self.o.verbose then io.stdout:write(string.format(fmt, ...), "\n"); io.stdout:flush() end
end

-- The value the searcher observes for a finished trial (nil: failed).
function Search:value(t)
  if t.state ~= "done" and t.state ~= "stopped" then return nil end
  local v = t.metrics and t.metrics[self.o.metric]
  return finite_number(v) and v or nil
end

-- Records trial t as ended (state, metrics, seconds, error, model).
function Search:finish(t)
  self.running[t.id] = nil
  self.store:record(t)
  self.searcher:observe(t.id, t.config, self:value(t))
  if self.scheduler then self.scheduler:complete(t.id) end
  self.finished = self.finished + 1
  local v = t.metrics and t.metrics[self.o.metric]
  self:say("tune: [%d/%d] trial %d %s%s (%.2f s)%s", self.finished, self.total, t.id, t.state, type(v) == "number"
    and string.format(" %s=%.6g", self.o.metric, v) or "", t.seconds or 0, t.error and (": " .. t.error) or "")
end

-- The next trial to run: {id, config, reports}, or nil when none is left.
function Search:next_trial()
  local t = table.remove(self.queue, 1)
  if t then return t end
  local config = self.searcher:suggest(self.next_id)
  if config == nil then return nil end
  t = { id = self.next_id, config = config }
  self.next_id = self.next_id + 1
  return t
end

-- Gives free worker w its next trial, or lets it go.
function Search:assign(w)
  local t = self:next_trial()
  if not t then
    self.done_suggesting = true
    return self.pool:release(w)
  end
  local dir, rel = self.store:trial_dir(t.id)
  t.state, t.reports, t.metrics, t.dir, t.rel = "running", {}, {}, dir, rel
  t.started = core.now()
  self.store:record(t)
  self.running[t.id], w.trial = t, t
  self.pool:send(w, "trial", t.id, { id = t.id, module = self.o.trial, config = t.config, metric = self.o.metric,
                                    dir = dir, package_path = package.path, package_cpath = package.cpath,
                                    num_threads = self.o.num_threads, driver_timeout = self.o.driver_timeout })
end

-- Trial t failed with why (its worker crashed, timed out, or the pool ended).
function Search:fail_trial(t, why)
  t.state, t.error, t.seconds = "failed", why, core.now() - (t.started or core.now())
  self:finish(t)
end

local handlers = {}

function handlers.hello(self, msg, fields)
  local w = self.pool:admit(msg, fields)
  if w then self:assign(w) end
end

function handlers.heartbeat(self, msg, _, w) self.pool:send(w, "heartbeat", msg.seq, {}) end

function handlers.trial_report(self, _, f, w)
  local t = w.trial
  if not t or t.id ~= f.id then return end -- (a late report of a trial already ended)
  local v = f.metrics[self.o.metric]
  local stop, why = false, nil
  if finite_number(v) then
    t.reports[#t.reports + 1] = { step = f.step, metrics = f.metrics }
    t.metrics = f.metrics
    if self.scheduler then stop, why = self.scheduler:report(t.id, f.step, v) end
  end
  t.reached_end = why == "max_t"
  self.pool:send(w, "trial_answer", t.id, { id = t.id, stop = stop })
end

local STATES = { done = true, stopped = true, failed = true }

function handlers.trial_result(self, _, f, w)
  local t = w.trial
  if not t or t.id ~= f.id then return end
  w.trial = nil
  t.state, t.metrics, t.seconds, t.error = f.state, f.metrics, f.seconds, f.error
  if not STATES[f.state] then
    t.state, t.error = "failed", "the worker sent state " .. string.format("%q", f.state)
  elseif f.state ~= "failed" then
    local v = f.metrics[self.o.metric]
    if not finite_number(v) then
      t.state, t.error = "failed", string.format("the trial's metric '%s' is %s, expected a finite number",
        self.o.metric, v == nil and "missing" or v ~= v and "NaN" or tostring(v))
    end
  end
  -- (ASHA stops a trial at max_t: it ran to the end)
  if t.state == "stopped" and t.reached_end then t.state = "done" end
  if f.model and f.model:match("^[%w_.%-]+$") and t.state ~= "failed" then t.model = t.rel .. "/" .. f.model end
  self:finish(t)
  self:assign(w)
end

-- Crashed and hung workers; when none is left, the remaining trials fail.
function Search:watch()
  for _, e in ipairs(self.pool:ended()) do
    local t = e.worker and e.worker.trial
    if t then self:fail_trial(t, "its worker process ended (" .. e.reason .. ")") end
    if e.worker then
      if not self.done_suggesting or #self.queue > 0 then self.pool:replace(e.rank) end
    elseif self.pool.hellos == 0 then
      self.start_failure = self.start_failure or (e.rank and ("a worker process " .. e.reason) or e.reason)
        .. " before any worker connected"
    end
  end
  local now = core.now()
  if self.o.trial_timeout then
    for _, w in pairs(self.pool.workers) do
      local t = w.trial
      if t and now - t.started > self.o.trial_timeout then
        w.trial = nil
        self.pool:kill(w)
        self:fail_trial(t, string.format("timed out after %g s (trial_timeout)", self.o.trial_timeout))
      end
    end
  end
  if self.pool.hellos == 0 and now - self.pool.started > self.o.connect_timeout then
    self.start_failure = self.start_failure or string.format("no worker connected within %g s (connect_timeout)",
      self.o.connect_timeout)
    self.pool.slots = 0
  end
end

-- Serves until every trial is finished or no worker is left.
function Search:serve()
  while true do
    local msg, fields, w = self.pool:recv(100)
    if msg then
      local h = handlers[msg.type]
      if h then h(self, msg, fields, w) end
    end
    self:watch()
    if next(self.running) == nil and self.pool.slots <= 0 then break end
    if next(self.running) == nil and #self.queue == 0 and self.done_suggesting then break end
  end
  -- (no worker left: what was not run fails, the store keeps it resumable)
  local why = "no worker process is left to run it" .. (self.start_failure and (" (" .. self.start_failure .. ")") or "")
  local t = self:next_trial()
  while t do
    t.started = core.now()
    self:fail_trial(t, why)
    t = self:next_trial()
  end
end

local function searcher_for(o, space)
  local search = require "lunet.tune.search"
  return check.within(WHERE, nil, search.new, o.algorithm, space, { seed = o.seed, mode = o.mode,
                                                                     num_samples = o.num_samples, tpe = o.tpe })
end

-- run(opts) -> tresults' Results.
function run.run(opts, ...)
  check.arity(WHERE, 1, opts, ...)
  local o = run_options.check(opts, WHERE)
  local space = check.within(WHERE, "space", require("lunet.tune.space").compile, o.space, WHERE .. ": space")
  local scheduler = schedulers.new(o.scheduler, o.mode, WHERE)
  local searcher = searcher_for(o, space)
  -- the module must be there before any worker starts (the workers require it by name from this package.path)
  if not package.searchpath(o.trial, package.path) and not package.preload[o.trial] then
    check.fail(WHERE, "trial module '%s' is not found on package.path", o.trial)
  end
  local settings = { trial = o.trial, metric = o.metric, mode = o.mode, algorithm = o.algorithm, seed = o.seed,
                     num_samples = o.num_samples, tpe = o.tpe, space = space:describe(),
                     scheduler = schedulers.describe(o.scheduler) }
  local self = setmetatable({ o = o, scheduler = scheduler, searcher = searcher, running = {}, queue = {},
                              finished = 0, next_id = 1 }, Search)
  self.store = store.open(o.dir, settings, o.resume, WHERE)
  for _, t in ipairs(self.store:trials()) do
    if t.state == "done" or t.state == "stopped" or t.state == "failed" then
      searcher:observe(t.id, t.config, self:value(t))
    else
      self.queue[#self.queue + 1] = { id = t.id, config = t.config }
    end
    self.next_id = math.max(self.next_id, t.id + 1)
  end
  local total = searcher:total()
  self.total = math.max(total, self.next_id - 1)
  self.finished = #self.store:trials() - #self.queue
  local left = #self.queue + math.max(0, total - (self.next_id - 1))
  if left > 0 then
    self.pool = pool.new(o, math.min(o.max_concurrent, left), WHERE)
    local ok, err = pcall(self.serve, self)
    self.pool:close()
    if not ok then error(err, 0) end
  end
  local results = require "lunet.tune.results"
  return results.new(settings, self.store:trials(), self.store.dir)
end

-- load(dir) -> the Results of a stored search.
function run.load(dir, ...)
  check.arity("tune.load", 1, dir, ...)
  local settings, trials = store.load(dir, "tune.load")
  return require("lunet.tune.results").new(settings, trials, dir)
end

doc.register { name = "tune.run", kind = "tune", aliases = { "run" }, objects = { run.run },
  summary = "a hyper-parameter search: trials (a Lua module returning function(config, report)) on max_concurrent "
    .. "worker processes of the launcher, configs from the algorithm, bad trials stopped early by the scheduler, "
    .. "every trial recorded in dir (resume = true continues it); returns the Results (best_config, best_result, "
    .. "trials). A trial that fails, crashes or runs past trial_timeout is recorded failed and the search goes on",
  usage = "tune.run { trial = 'experiments.mlp', space = { lr = tune.loguniform(1e-4, 1e-1) }, metric = 'accuracy', "
    .. "num_samples = 20, max_concurrent = 2 }",
  sections = { { title = "Options", options = run_options.docs },
               { title = "scheduler = {name = 'median', ...}", label = "median", options = schedulers.docs.median },
               { title = "scheduler = {name = 'asha', ...}", label = "asha", options = schedulers.docs.asha } } }
doc.register { name = "tune.load", kind = "tune", objects = { run.load },
  summary = "the Results of a search stored in dir (its settings.json and trials.jsonl)",
  usage = "tune.load('tune_results/20261203-091500')" }

return run
