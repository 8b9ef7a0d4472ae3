-- The worker side of lunet.tune: a `lunet worker` whose first answer from
-- the driver is a trial (not a training job) runs trials here, one after
-- another, until the driver says stop. A trial is a module NAME, required
-- from the driver's package.path (nothing received is executed), that
-- returns function(config, report); config is data. report{metric = v,
-- ...} sends the step's metrics and waits for the scheduler's answer; a
-- stop raises an internal error caught here (the trial ends "stopped" with
-- the metrics it last reported). A returned `model` is saved in the
-- trial's directory; so is the model a stopped trial last gave report as its
-- second argument (report(metrics, model): a stopped trial's model, as Ray
-- Tune's checkpoint at a report), so best_ensemble can use stopped trials. Exit codes as worker.lua's: 0 told to stop, 3 the
-- driver went silent or sent what this worker cannot read.
local core = require "lunet.core"
local protocol = require "lunet.runtime.protocol"

local trial_worker = {}

local STOP = setmetatable({}, { __tostring = function() return "the scheduler stopped this trial" end })
local MODEL_FILE = "model.lunet"

local function silent(why) error({ silent = why }, 0) end

-- Waits for a message of a wanted type from the driver (a set of names),
-- sending a heartbeat every second; gives up after timeout seconds silent.
local function await(client, want, timeout)
  local heard = core.now()
  while true do
    local msg = client:recv(1000)
    if msg then
      heard = core.now()
      local fields, why = protocol.decode(msg, "driver")
      for _, f in ipairs(msg.frames or {}) do f:close() end
      if not fields then silent("the driver sent a message this worker cannot read: " .. why) end
      if want[msg.type] then return msg.type, fields end
      if msg.type == "stop" then silent("the driver stopped: " .. (fields.message or fields.reason)) end
    elseif core.now() - heard > timeout then
      silent(string.format("no word from the driver for %.0f s; exiting", timeout))
    else
      client:send("heartbeat", 0, protocol.encode("heartbeat", { now = core.now() }))
    end
  end
end

local function describe(v)
  if type(v) ~= "number" then return type(v) end
  return v ~= v and "NaN" or tostring(v)
end

-- Checks metrics (a table of name -> finite number; strings and booleans
-- too unless numbers_only); the trial's metric must be a finite number.
-- Returns a plain copy, or raises naming the bad entry.
local function checked(metrics, metric, what, numbers_only)
  if type(metrics) ~= "table" then error(string.format("%s: expected a table of metrics, got %s", what,
    type(metrics)), 0) end
  local out = {}
  for k, v in pairs(metrics) do
    if k ~= "model" or numbers_only then
      if type(k) ~= "string" then error(string.format("%s: metric names must be strings, got %s", what, describe(k)), 0) end
      local ok = (type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge)
        or (not numbers_only and (type(v) == "string" or type(v) == "boolean"))
      if not ok then
        error(string.format("%s: metric '%s' is %s, expected a finite number", what, k, describe(v)), 0)
      end
      out[k] = v
    end
  end
  if out[metric] == nil then error(string.format("%s: no metric '%s'", what, metric), 0) end
  if type(out[metric]) ~= "number" then
    error(string.format("%s: metric '%s' is %s, expected a number", what, metric, type(out[metric])), 0)
  end
  return out
end

-- model (an nn model) saved in the trial's directory; returns the file's name there.
local function save_model(t, model, what)
  if not require("lunet.nn").is_model(model) then
    error(string.format("%s: model is %s, expected an nn model", what, type(model)), 0)
  end
  core.mkdirs(t.dir)
  model:save(t.dir .. "/" .. MODEL_FILE)
  return MODEL_FILE
end

-- Runs one trial; returns the result message's fields.
local function run_trial(client, t)
  local t0 = core.now()
  local step, last, last_model = 0, {}, nil
  local function report(metrics, model)
    local m = checked(metrics, t.metric, "report", true)
    if model ~= nil and not require("lunet.nn").is_model(model) then
      error(string.format("report: the second argument is %s, expected an nn model (saved if the trial is "
        .. "stopped here)", type(model)), 0)
    end
    step = step + 1
    last, last_model = m, model
    client:send("trial_report", t.id, protocol.encode("trial_report", { id = t.id, step = step, metrics = m }))
    local _, answer = await(client, { trial_answer = true }, t.driver_timeout)
    if answer.stop then error(STOP, 0) end
  end
  local ok, res = pcall(function()
    if not require("lunet.tune.run_options").is_module_name(t.module) then
      error(string.format("trial '%s' is not a module name", t.module), 0)
    end
    local fn = require(t.module)
    if type(fn) ~= "function" then
      error(string.format("trial module '%s' returned %s, expected function(config, report)", t.module,
        type(fn)), 0)
    end
    local final = fn(t.config, report)
    local metrics = checked(final, t.metric, "the trial's result")
    return { metrics = metrics, model = final.model ~= nil and save_model(t, final.model, "the trial's result") or nil }
  end)
  local seconds = core.now() - t0
  if ok then
    return { id = t.id, state = "done", metrics = res.metrics, seconds = seconds, model = res.model }
  end
  if res == STOP then
    local saved, file = true, nil
    if last_model then saved, file = pcall(save_model, t, last_model, "report") end
    return { id = t.id, state = "stopped", metrics = last, seconds = seconds, model = saved and file or nil,
             error = not saved and tostring(file) or nil }
  end
  if type(res) == "table" and res.silent then error(res, 0) end -- (the driver is gone: no result to send)
  return { id = t.id, state = "failed", metrics = last, seconds = seconds, error = tostring(res) }
end

-- run(client, t) -> exit code; t: the first trial's fields.
function trial_worker.run(client, t)
  package.path = t.package_path .. ";" .. package.path
  package.cpath = t.package_cpath .. ";" .. package.cpath
  local ok, err = pcall(function()
    while true do
      core.set_num_threads(t.num_threads)
      local result = run_trial(client, t)
      client:send("trial_result", t.id, protocol.encode("trial_result", result))
      local kind, fields = await(client, { trial = true, stop = true }, t.driver_timeout)
      if kind == "stop" then return end
      t = fields
    end
  end)
  client:close()
  if ok then return 0 end
  io.stderr:write("lunet worker (tune): ", type(err) == "table" and tostring(err.silent) or tostring(err), "\n")
  return 3
end

return trial_worker
