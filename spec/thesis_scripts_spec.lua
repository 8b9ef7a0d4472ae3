-- The thesis sweeps (scripts/thesis/) run with --quick on the committed
-- t10k sample: each prints one "thesis=<sweep> ..." line per result with the
-- numbers a reader needs, writes its HTML report with charts, and answers a
-- bad list, an unknown trainer and a missing full data set with one line.
-- (What the lines must satisfy is what holds on any scheduling: no accuracy
-- thresholds tied to the machine's speed, no timing.)
local h = dofile("spec/helpers.lua")
local xml = dofile("spec/plot_xml.lua")
local core = require "lunet.core"
local lunet_exe = os.getenv("LUNET_EXECUTABLE") or "build/lunet"

-- runs scripts/thesis/<name>.lua with args (after an env prefix, when given); returns its success and output
local function script(name, args, env)
  local p = assert(io.popen(("%s%s scripts/thesis/%s.lua %s 2>&1"):format(env or "", h.sh_quote(lunet_exe), name,
    args)))
  local out = p:read("a")
  return p:close() == true, out
end

-- the "thesis=<kind> k=v ..." lines of out, each as a table of its fields
-- (kind: the sweep's name, or its name and the first field's, "efficiency a=")
local function lines(out, kind)
  local t = {}
  local prefix = "thesis=" .. kind .. (kind:sub(-1) == "=" and "" or " ")
  for l in out:gmatch("[^\n]+") do
    if l:sub(1, #prefix) == prefix then
      local r = {}
      for k, v in l:gmatch("(%S+)=(%S+)") do r[k] = tonumber(v) or v end
      t[#t + 1] = r
    end
  end
  return t
end

-- runs a sweep with --quick into a fresh directory; returns the output and the report's text
local function quick(name, extra, env)
  local dir = h.tmpdir()
  local ok, out = script(name, "--quick --out " .. h.sh_quote(dir) .. (extra or ""), env)
  assert(ok, out)
  local report = h.read_file(dir .. "/" .. name .. ".html")
  os.execute("rm -rf " .. h.sh_quote(dir))
  assert(report, name .. ".html was not written:\n" .. out)
  xml.parse(report) -- well-formed
  return out, report
end

local function cpus_ratio(n) return ("%.1f"):format(n / core.num_cpus()) end

describe("thesis sweeps, --quick", function()
  it("workers: DOWNPOUR and ADAG at 1, 2, 4 workers, each line with accuracy, time, staleness and workers per "
    .. "core; the report's table and charts", function()
    local out, report = quick("workers")
    local runs = lines(out, "workers")
    assert.are.equal(6, #runs, out)
    for k, r in ipairs(runs) do
      assert.are.equal(k <= 3 and "DOWNPOUR" or "ADAG", r.trainer)
      assert.are.equal(({ 1, 2, 4 })[(k - 1) % 3 + 1], r.workers)
      assert.are.equal(5, r.window)
      -- 1,000 test digits: one worker and ADAG far better than chance (10 classes) after an epoch of 2,400
      -- digits (0.83-0.91 seen); DOWNPOUR with 4 workers may be on its way to the thesis's collapse
      assert.is_true(r.accuracy >= 0 and r.accuracy <= 1, out)
      if r.workers == 1 or r.trainer == "ADAG" then assert.is_true(r.accuracy > 0.5, out) end
      assert.is_true(r.seconds > 0 and r.samples_per_s > 0 and r.updates >= 2400 / 8 / 5, out)
      -- one worker is never stale; n workers at most n - 1 on average (runtime_staleness_model_spec)
      assert.is_true(r.mean_staleness >= 0 and r.mean_staleness <= r.workers - 1 + 1e-9, out)
      assert.are.equal(cpus_ratio(r.workers), ("%.1f"):format(r.oversubscribed))
    end
    h.assert_contains(report, "Test accuracy against workers", "Training time against workers", "<svg",
      "<th>workers/core</th>", "oversubscribed")
  end)

  it("window: a longer window commits less; accuracy and time against the window in the report", function()
    local out, report = quick("window")
    local runs = lines(out, "window")
    assert.are.equal(4, #runs, out)
    local updates = {}
    for _, r in ipairs(runs) do
      assert.are.equal(2, r.workers)
      assert.is_true(r.accuracy >= 0 and r.accuracy <= 1, out)
      if r.trainer == "ADAG" then assert.is_true(r.accuracy > 0.3, out) end -- (0.78-0.90 seen)
      updates[r.trainer .. r.window] = r.updates
    end
    for _, t in ipairs { "DOWNPOUR", "ADAG" } do
      -- each worker commits once per window of its 150 batches (and its last partial one)
      assert.are.equal(2 * math.ceil(150 / 5), updates[t .. 5])
      assert.are.equal(2 * math.ceil(150 / 20), updates[t .. 20])
    end
    h.assert_contains(report, "Test accuracy against the window", "Training time against the window", "<svg")
  end)

  it("efficiency: E(a, b) for both orders, reciprocal; the table and the validation curves", function()
    local out, report = quick("efficiency")
    assert.are.equal(2, #lines(out, "efficiency trainer="), out)
    local pairs_ = {}
    for _, r in ipairs(lines(out, "efficiency a=")) do pairs_[r.a .. "/" .. r.b] = r end
    local ab, ba = pairs_["DOWNPOUR/ADAG"], pairs_["ADAG/DOWNPOUR"]
    assert(ab and ba, out)
    -- E(a, b) = A / B over the range both cover, so E(b, a) = 1 / E(a, b) (printed to 4 decimals);
    -- a run shorter than its first validation shares no range: "none" both ways
    if ab.temporal_efficiency == "none" then
      assert.are.equal("none", ba.temporal_efficiency)
    else
      local x, y = ab.temporal_efficiency, ba.temporal_efficiency
      assert.is_true(x > 0 and y > 0, out)
      -- (each rounded by at most 5e-5: the product is off 1 by at most 5e-5 (x + y) and a little)
      assert.is_near(1, x * y, 5.1e-5 * (x + y) + 1e-8)
      assert.is_true(ab.from < ab.to and ab.from == ba.from and ab.to == ba.to, out)
    end
    h.assert_contains(report, "E(row, column)", "Validation accuracy against time, 2 workers", "<svg")
  end)

  it("staleness: one histogram per worker count, the mean against n - 1 (0 for one worker)", function()
    local out, report = quick("staleness")
    local model = lines(out, "staleness_model")
    assert.are.equal(3, #model, out)
    for k, r in ipairs(model) do
      assert.are.equal(({ 1, 2, 4 })[k], r.workers)
      assert.are.equal(r.workers - 1, r.expected)
      assert.is_true(r.mean_staleness <= r.expected + 1e-9, out)
      assert.is_true(r.commits >= 2400 / 8 / 5, out)
    end
    assert.are.equal(0, model[1].mean_staleness)
    h.assert_contains(report, "DOWNPOUR, 4 workers: mean ", "E[tau] = n - 1 = 3", "mean staleness against workers")
  end)

  it("a run that fails is a line saying why, its cells 'failed'; the sweep goes on", function()
    -- (spec/fixtures/thesis_failing_trainer.lua: its workers raise at once)
    local out, report = quick("window", " --trainers thesis_failing_trainer,ADAG --windows 5",
      "LUA_PATH='spec/fixtures/?.lua;;' ")
    local runs = lines(out, "window")
    assert.are.equal(2, #runs, out)
    assert.are.equal("thesis_failing_trainer", runs[1].trainer)
    h.assert_contains(runs[1].failed, "this_worker_fails_on_purpose")
    assert.is_nil(runs[1].accuracy)
    assert.are.equal("ADAG", runs[2].trainer)
    assert.is_true(runs[2].accuracy > 0.3, out)
    h.assert_contains(report, "<td>failed</td>", "Test accuracy against the window")
  end)

  it("answers --help, a bad list, an unknown trainer and a missing full data set with one line", function()
    local ok, out = script("workers", "--help")
    assert(ok, out)
    h.assert_contains(out, "--workers A,B,...", "--quick", "(default: 1,2,4,8,12,16; --quick 1,2,4)")
    for _, case in ipairs {
      { "workers", "--quick --workers 1,0", "workers: --workers: '0' is not an integer >= 1" },
      { "staleness", "--quick --trainers DOWNPOUR,Nope",
        "staleness: --trainers: trainers.get: unknown trainer 'Nope'" },
      { "window", "--quick --trainers SingleTrainer", "window: --trainers: SingleTrainer has no communication_window" },
      { "efficiency", "--data /nonexistent/mnist",
        "no full MNIST set (train-images-idx3-ubyte.gz) in /nonexistent/mnist" },
    } do
      ok, out = script(case[1], case[2])
      assert.is_false(ok, out)
      h.assert_contains(out, case[3])
      assert.is_nil(out:find("traceback", 1, true), out)
    end
  end)
end)
