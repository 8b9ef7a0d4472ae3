-- lunet.tune.ensemble: tune.best_ensemble(results, n), Elephas's
-- best_ensemble: the models of the n best trials (by the search's metric and
-- mode, among done and stopped trials that saved one) loaded and combined as
-- an nn.Ensemble, whose prediction is the mean of its members' outputs (the
-- soft vote of classifiers).
local check = require "lunet.check"
local doc = require "lunet.doc"
local core = require "lunet.core"
local nn = require "lunet.nn"
local results = require "lunet.tune.results"

local ensemble = {}
local fail, describe = check.fail, check.describe
local WHERE = "tune.best_ensemble"

-- A record's model path as a file: absolute, or relative to the results
-- directory when it is not there as given.
local function model_path(r, dir)
  local p = r.model
  if p:sub(1, 1) ~= "/" and dir and not core.file_kind(p) then return dir .. "/" .. p end
  return p
end

-- Why the finished trials outside the list lack a model: "2 failed, 1 saved no model".
local function why_not(res, with)
  local failed, other, no_model, no_metric, stopped = 0, 0, 0, 0, 0
  local ranked = {}
  for _, r in ipairs(res:_ranked(res.metric, res.mode)) do ranked[r] = true end
  for _, r in ipairs(res._records) do
    if not with[r] then
      if r.state == "failed" then failed = failed + 1
      elseif r.state ~= "done" and r.state ~= "stopped" then other = other + 1
      elseif not ranked[r] then no_metric = no_metric + 1
      elseif r.state == "stopped" then stopped = stopped + 1
      else no_model = no_model + 1 end
    end
  end
  local parts = {}
  if no_model > 0 then parts[#parts + 1] = string.format("%d finished without one (the trial function "
    .. "returned no model =)", no_model) end
  if stopped > 0 then parts[#parts + 1] = string.format("%d stopped early by the scheduler (a stopped trial "
    .. "returns no result)", stopped) end
  if no_metric > 0 then parts[#parts + 1] = string.format("%d reported no finite '%s'", no_metric, res.metric) end
  if failed > 0 then parts[#parts + 1] = string.format("%d failed", failed) end
  if other > 0 then parts[#parts + 1] = string.format("%d did not finish", other) end
  return #parts > 0 and table.concat(parts, ", ") or "the search has no other trials"
end

-- best_ensemble(results, n) -> nn.Ensemble of the n best trials' models, best first.
function ensemble.best_ensemble(res, n, ...)
  check.arity(WHERE, 2, res, n, ...)
  if not results.is(res) then fail(WHERE, "results must be a tune Results (what tune.run returns), got %s",
    describe(res)) end
  n = check.integer(n, WHERE, "n", { min = 1 })
  local chosen, with = {}, {}
  for _, r in ipairs(res:_ranked(res.metric, res.mode)) do
    if r.model then
      with[r] = true
      if #chosen < n then chosen[#chosen + 1] = r end
    end
  end
  local have = 0
  for _ in pairs(with) do have = have + 1 end
  if #chosen < n then
    fail(WHERE, "%d %s asked, but only %d of the %d trials saved one (of the others: %s)", n,
      n == 1 and "model" or "models", have, #res._records, why_not(res, with))
  end
  local models = {}
  for i, r in ipairs(chosen) do
    local path = model_path(r, res.dir)
    local kind, why = core.file_kind(path)
    if not kind then fail(WHERE, "trial %d's model file '%s' is missing (%s)", r.id, path, why) end
    if kind ~= "file" then fail(WHERE, "trial %d's model file '%s' is a %s, not a model file", r.id, path, kind) end
    local ok, m = pcall(nn.load, path)
    if not ok then
      fail(WHERE, "trial %d's model file '%s' cannot be read: %s", r.id, path,
        (tostring(m):gsub("^nn%.load: ", "")))
    end
    if not require("lunet.nn.sequential").is(m) then
      fail(WHERE, "trial %d's model file '%s' holds %s; an ensemble's members are nn.Sequential models", r.id, path,
        tostring(m):match("^[^\n]*") or describe(m))
    end
    models[i] = m
  end
  local ok, e = pcall(nn.Ensemble, models, { name = string.format("best_%d_of_%s", n, res.metric) })
  if not ok then
    -- (members that do not fit together: name the trials)
    local msg = tostring(e):gsub("member (%d+)", function(k) return "trial " .. chosen[tonumber(k)].id end)
    fail(WHERE, "%s", msg:gsub("^Ensemble: ", ""))
  end
  return e
end

doc.register { name = "tune.best_ensemble", kind = "tune",
  summary = "Elephas's best_ensemble: the saved models of the n best trials (by the search's metric and mode, among "
    .. "done and stopped trials that returned model =) loaded as an nn.Ensemble, whose prediction is the mean of its "
    .. "members' outputs. Errors name the trials: fewer than n with a model (and why the others have none), a "
    .. "missing or unreadable model file, members that do not fit together",
  usage = "local ensemble = tune.best_ensemble(results, 3)", aliases = { "best_ensemble" },
  objects = { ensemble.best_ensemble } }

return ensemble
