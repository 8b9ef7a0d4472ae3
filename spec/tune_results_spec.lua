-- What a search gives back, from hand-made trial records in the store's
-- format: the best trial by max and by min among done and stopped trials,
-- the trials DataFrame (dotted parameter columns, missing cells for
-- conditional parameters), the every-trial-failed case; best_ensemble on
-- small saved models (its output is the mean of the members'); the HTML
-- report is well-formed and names every parameter.
local lunet = require "lunet"
local results = require "lunet.tune.results"
local ensemble = require "lunet.tune.ensemble"
local report = require "lunet.tune.report"
local h = dofile("spec/helpers.lua")
local xml = dofile("spec/plot_xml.lua")

-- the space's description as tune.run stores it; epochs is a constant, not a parameter
local tune = require "lunet.tune"
local SPACE = require("lunet.tune.space").compile({ lr = tune.loguniform(1e-4, 1e-1), epochs = 3,
  opt = tune.choice { { name = "sgd", momentum = tune.uniform(0, 1) }, { name = "adam" } },
  units = tune.choice { 16, 32 } }, "spec"):describe()

local function settings(mode, metric)
  return { metric = metric or "acc", mode = mode or "max", algorithm = "random", seed = 7, space = SPACE }
end

local function records()
  return {
    { id = 2, state = "done", config = { epochs = 3, lr = 0.01, units = 32, opt = { name = "adam" } },
      metrics = { acc = 0.91, loss = 0.3 }, seconds = 3.5 },
    { id = 1, state = "done", config = { epochs = 3, lr = 0.001, units = 16, opt = { name = "sgd", momentum = 0.9 } },
      metrics = { acc = 0.95, loss = 0.2 }, seconds = 4 },
    { id = 3, state = "failed", config = { lr = 0.05, units = 16, opt = { name = "adam" } },
      metrics = { acc = 0.99 }, seconds = 0.5, error = "trial 3: out of memory" },
    { id = 4, state = "stopped", config = { lr = 0.03, units = 32, opt = { name = "sgd", momentum = 0.5 } },
      metrics = { acc = 0.5, loss = 0.1 }, seconds = 1 },
    { id = 5, state = "done", config = { lr = 0.002, units = 16, opt = { name = "adam" } },
      metrics = { acc = 0 / 0 }, seconds = 2 },
  }
end

describe("tune results", function()
  it("picks the best done or stopped trial by max, never a failed one", function()
    local r = results.new(settings("max"), records(), "/tmp/search")
    assert.are.same({ epochs = 3, lr = 0.001, units = 16, opt = { name = "sgd", momentum = 0.9 } }, r.best_config)
    assert.are.same({ acc = 0.95, loss = 0.2 }, r.best_result)
    assert.are.equal("/tmp/search", r.dir)
    local b = r:best()
    assert.are.equal(1, b.id)
    assert.are.equal("done", b.state)
    -- another metric needs its mode; a stopped trial counts
    assert.are.equal(4, r:get_best("loss", "min").id)
    assert.are.equal(2, r:get_best("loss", "max").id)
    h.assert_error("Results:get_best: give mode ('max' or 'min') for metric 'loss'", function() r:get_best("loss") end)
    h.assert_error("Results:get_best: no best trial by 'f1'", function() r:get_best("f1", "max") end)
  end)

  it("picks the best by min, ties to the earlier trial", function()
    local recs = records()
    recs[1].metrics.acc = 0.5 -- trial 2 ties trial 4
    local r = results.new(settings("min"), recs, nil)
    assert.are.equal(2, r:best().id)
    assert.are.equal(0.5, r.best_result.acc)
    assert.is_nil(r.dir)
  end)

  it("makes a DataFrame row per trial, a dotted column per parameter, missing cells for absent ones", function()
    local r = results.new(settings("max"), records(), nil)
    local df = r:dataframe()
    assert.are.equal(r.trials, df)
    assert.are.same({ "id", "state", "seconds", "lr", "opt.momentum", "opt.name", "units", "acc", "loss", "error" },
      df:columns())
    assert.are.equal(5, df:count())
    local ids, mom, name, err = df:column("id"):totable(), df:column("opt.momentum"):totable(),
      df:column("opt.name"), df:column("error")
    assert.are.same({ 1, 2, 3, 4, 5 }, ids)
    -- momentum exists only for sgd: NaN (lunet's missing value) elsewhere
    assert.is_true(math.abs(mom[1] - 0.9) < 1e-6 and math.abs(mom[4] - 0.5) < 1e-6)
    assert.is_true(mom[2] ~= mom[2] and mom[3] ~= mom[3] and mom[5] ~= mom[5])
    assert.are.same({ "sgd", "adam", "adam", "sgd", "adam" }, name)
    assert.are.same({ "", "", "trial 3: out of memory", "", "" }, err)
    assert.are.same({ "done", "done", "failed", "stopped", "done" }, df:column("state"))
    local loss = df:column("loss"):totable()
    assert.is_true(loss[3] ~= loss[3], "trial 3 reported no loss")
  end)

  it("reaches into lists: a list of domains is a column each, a choice of lists one column of text", function()
    local space = require("lunet.tune.space").compile({ layers = { tune.choice { 32, 64 }, tune.choice { 16, 32 } },
      sizes = tune.choice { { 64, 32 }, { 128 } } }, "spec")
    local r = results.new({ metric = "a", mode = "max", space = space:describe() }, {
      { id = 1, state = "done", config = { layers = { 64, 16 }, sizes = { 64, 32 } }, metrics = { a = 1 } },
      { id = 2, state = "done", config = { layers = { 32, 32 }, sizes = { 128 } }, metrics = { a = 2 } } }, nil)
    assert.are.same({ "id", "state", "seconds", "layers.1", "layers.2", "sizes", "a", "error" }, r.trials:columns())
    assert.are.same({ 64, 32 }, r.trials:column("layers.1"):totable())
    assert.are.same({ "{64, 32}", "{128}" }, r.trials:column("sizes"))
  end)

  it("prefixes a parameter or metric that would take a fixed column's name", function()
    local r = results.new({ metric = "seconds", mode = "min" }, {
      { id = 1, state = "done", config = { id = 3, lr = 0.1 }, metrics = { seconds = 2, lr = 5 } } }, nil)
    assert.are.same({ "id", "state", "seconds", "config.id", "lr", "metrics.lr", "metrics.seconds", "error" },
      r.trials:columns())
    assert.are.equal(2, r.best_result.seconds)
  end)

  it("prints a short table of the top trials", function()
    local text = tostring(results.new(settings("max"), records(), nil))
    h.assert_contains(text, "tune.Results: 5 trials (3 done, 1 stopped, 1 failed), metric 'acc' (max)",
      "best: trial 1, acc = 0.95", "opt.momentum")
    local first, second = text:find("\n  1 ", 1, true), text:find("\n  2 ", 1, true)
    assert.is_true(first ~= nil and second ~= nil and first < second, text)
    assert.is_nil(text:find("failed  ", 1, true), "a failed trial is not among the top: " .. text)
  end)

  it("has no best when every trial failed, and best() says why", function()
    local recs = records()
    for _, r in ipairs(recs) do r.state = "failed" end
    local r = results.new(settings("max"), recs, nil)
    assert.is_nil(r.best_config)
    assert.is_nil(r.best_result)
    h.assert_error("Results:best: no best trial by 'acc': no trial finished (5 failed)", function() r:best() end)
    h.assert_contains(tostring(r), "no best trial")
    assert.are.equal(5, r.trials:count())
    local empty = results.new(settings("max"), {}, nil)
    h.assert_error("the search has no trials", function() empty:best() end)
    assert.are.equal(0, empty.trials:count())
  end)

  it("refuses malformed records and settings, naming them", function()
    h.assert_error("tune.results: settings.mode must be 'max' or 'min', got 'maximum'",
      function() results.new({ metric = "acc", mode = "maximum" }, {}, nil) end)
    h.assert_error("tune.results: settings.metric must be a string",
      function() results.new({ mode = "max" }, {}, nil) end)
    h.assert_error("tune.results: trials[1] (trial 1).state must be one of done, stopped, failed, running, pending",
      function() results.new(settings(), { { id = 1, state = "ok" } }, nil) end)
    h.assert_error("tune.results: trials[1] and trials[2] are both trial 1", function()
      results.new(settings(), { { id = 1, state = "done" }, { id = 1, state = "done" } }, nil)
    end)
    h.assert_error("tune.results: trials[1].id must be an integer >= 1",
      function() results.new(settings(), { { id = "x", state = "done" } }, nil) end)
    h.assert_error("tune.results: trials[1] (trial 1).config must be a table, got 5",
      function() results.new(settings(), { { id = 1, state = "done", config = 5 } }, nil) end)
    h.assert_error("call it on a tune Results", function() results.Results.best({}) end)
  end)
end)

describe("tune.best_ensemble", function()
  local dir, r, x

  before_each(function()
    dir = h.tmpdir()
    local recs = {}
    for i = 1, 3 do
      local m = lunet.nn.Sequential { seed = i }
      m:add(lunet.nn.Dense(3, { input_shape = { 4 } }))
      m:add(lunet.nn.Activation "softmax")
      m:save(dir .. "/trial_" .. i .. ".lunet")
      -- relative paths resolve in the results directory; trial 3 names its file in full
      recs[i] = { id = i, state = "done", config = { lr = i / 10 }, metrics = { acc = i / 10 },
        model = i == 3 and dir .. "/trial_3.lunet" or "trial_" .. i .. ".lunet" }
    end
    recs[4] = { id = 4, state = "failed", config = { lr = 0.4 }, metrics = {}, error = "boom" }
    recs[5] = { id = 5, state = "done", config = { lr = 0.5 }, metrics = { acc = 0.99 } }
    r = results.new({ metric = "acc", mode = "max" }, recs, dir)
    x = lunet.rand(6, 4)
  end)
  after_each(function() os.execute("rm -rf " .. h.sh_quote(dir)) end)

  it("averages the outputs of the best n trials that saved a model", function()
    local e = ensemble.best_ensemble(r, 2)
    assert.are.equal(2, #e.models)
    local got = e:predict(x)
    local a = lunet.nn.load(dir .. "/trial_3.lunet"):predict(x)
    local b = lunet.nn.load(dir .. "/trial_2.lunet"):predict(x)
    for i = 1, 6 do
      for j = 1, 3 do assert.is_true(math.abs(got:get(i, j) - (a:get(i, j) + b:get(i, j)) / 2) < 1e-6) end
    end
    -- by min, the other end
    local rmin = results.new({ metric = "acc", mode = "min" }, {
      { id = 1, state = "done", metrics = { acc = 0.1 }, model = dir .. "/trial_1.lunet" },
      { id = 2, state = "stopped", metrics = { acc = 0.2 }, model = dir .. "/trial_2.lunet" } }, dir)
    local one = ensemble.best_ensemble(rmin, 1):predict(x)
    h.assert_same_tensor(lunet.nn.load(dir .. "/trial_1.lunet"):predict(x), one)
  end)

  it("refuses a bad n, too few models, and a missing or corrupt file, naming the trial", function()
    h.assert_error("tune.best_ensemble: n must be an integer >= 1, got 0", function() ensemble.best_ensemble(r, 0) end)
    h.assert_error("n must be an integer >= 1, got 1.5", function() ensemble.best_ensemble(r, 1.5) end)
    h.assert_error("results must be a tune Results", function() ensemble.best_ensemble({}, 1) end)
    h.assert_error({ "tune.best_ensemble: 4 models asked, but only 3 of the 5 trials saved one",
      "1 finished without one", "1 failed" }, function() ensemble.best_ensemble(r, 4) end)
    os.remove(dir .. "/trial_3.lunet")
    h.assert_error({ "trial 3's model file", "trial_3.lunet' is missing" }, function() ensemble.best_ensemble(r, 1) end)
    h.write_file(dir .. "/trial_3.lunet", "not a model")
    h.assert_error({ "trial 3's model file", "cannot be read" }, function() ensemble.best_ensemble(r, 1) end)
  end)

  it("names the trials whose models do not fit together", function()
    local m = lunet.nn.Sequential()
    m:add(lunet.nn.Dense(3, { input_shape = { 5 } }))
    m:save(dir .. "/trial_2.lunet")
    h.assert_error("tune.best_ensemble: trial 2 takes input (None, 5), trial 3 takes (None, 4)",
      function() ensemble.best_ensemble(r, 2) end)
  end)
end)

describe("tune.report", function()
  it("writes well-formed HTML naming every parameter, with a chart each and the progress", function()
    local dir = h.tmpdir()
    local r = results.new(settings("max"), records(), dir)
    local html = report.report(r, { path = dir .. "/report.html", title = "lr & units" })
    assert.are.equal(html, h.read_file(dir .. "/report.html"))
    local tags = xml.parse(html)
    local titles = {}
    for inner in html:gmatch('class="title"[^>]*>([^<]*)') do titles[#titles + 1] = inner end
    -- one chart per parameter and the progress chart
    assert.are.same({ "acc against lr", "acc against opt.momentum", "acc against opt.name", "acc against units",
      "acc by trial" }, titles)
    h.assert_contains(html, "<h1>lr &amp; units</h1>", "<th>lr</th>", "<th>opt.momentum</th>", "<th>opt.name</th>",
      "<th>units</th>", "loguniform", "lr (log scale)", "trial 3: out of memory", "Best: trial 1, acc = 0.95")
    local svgs = 0
    for _, t in ipairs(tags) do if t.name == "svg" then svgs = svgs + 1 end end
    assert.are.equal(5, svgs)
    -- each chart: the trials with a finite acc and a value of its parameter (momentum: the sgd ones), units' options
    -- as categories in numeric order, lr on powers of ten
    local charts = {}
    for c in html:gmatch("<svg.-</svg>") do charts[#charts + 1] = c end
    local function circles(c) return xml.count(c, "<circle ") end
    assert.are.same({ 4, 2, 4, 4 }, { circles(charts[1]), circles(charts[2]), circles(charts[3]), circles(charts[4]) })
    local function xticks(c)
      local out = {}
      for t in c:gmatch('class="xtick"[^>]*>([^<]*)') do out[#out + 1] = t end
      return out
    end
    assert.are.same({ "16", "32" }, xticks(charts[4]))
    assert.are.same({ "adam", "sgd" }, xticks(charts[3]))
    for _, t in ipairs(xticks(charts[1])) do assert(t:match("^0%.0*[125]$") or t == "1", t) end
    os.execute("rm -rf " .. h.sh_quote(dir))
  end)

  it("reports a search where every trial failed, and refuses bad options", function()
    local recs = records()
    for _, rec in ipairs(recs) do rec.state, rec.metrics = "failed", {} end
    local r = results.new(settings("max"), recs, nil)
    local html = report.report(r)
    xml.parse(html)
    h.assert_contains(html, "No best trial", "<th>units</th>")
    h.assert_error("tune.report: unknown option 'paht' (did you mean 'path'?)",
      function() report.report(r, { paht = "x" }) end)
    h.assert_error("tune.report: title must be a string", function() report.report(r, { title = 5 }) end)
    h.assert_error("tune.report: results must be a tune Results", function() report.report({}) end)
    h.assert_error("tune.report: plot.report: ", function() report.report(r, { path = "/nonexistent/d/r.html" }) end)
  end)
end)

describe("README.md's Experiments search", function()
  -- the ```lua block after the first line that contains marker
  local function block(readme, marker)
    local at = assert(readme:find(marker, 1, true), "README.md has no '" .. marker .. "'")
    local first = assert(readme:find("```lua\n", at, true), "no lua block after '" .. marker .. "'")
    local last = assert(readme:find("\n```", first + 7, true))
    return readme:sub(first + 7, last)
  end

  it("runs as written: TPE and ASHA on workers, the results, best_ensemble and the report", function()
    local readme = h.read_file("README.md")
    local root = assert(io.popen("pwd")):read("l")
    local dir = h.tmpdir()
    assert(os.execute("ln -s " .. h.sh_quote(root .. "/examples") .. " " .. h.sh_quote(dir .. "/examples")))
    h.write_file(dir .. "/mnist_trial.lua", block(readme, "<!-- file: mnist_trial.lua"))
    h.write_file(dir .. "/search.lua", block(readme, "<!-- file: search.lua"))
    local exe = os.getenv("LUNET_EXECUTABLE") or "build/lunet"
    local p = assert(io.popen(("cd %s && %s search.lua 2>&1"):format(h.sh_quote(dir), h.sh_quote(exe))))
    local out = p:read("a")
    assert(p:close(), out)
    h.assert_contains(out, "tune.Results: 12 trials (", "metric 'accuracy' (max)", "best: trial ",
      "nn.Ensemble(best_2_of_accuracy, 2 members)")
    local lr, acc = out:match("\n([%d.e-]+)\t([%d.]+)\n")
    assert(lr and tonumber(lr) >= 1e-4 and tonumber(lr) <= 0.1, out)
    assert.is_true(tonumber(acc) > 0.8, out) -- (chance is 0.1)
    local html = h.read_file(dir .. "/search.html")
    xml.parse(html)
    h.assert_contains(html, "accuracy against dropout", "accuracy against lr", "accuracy against units",
      "lr (log scale)")
    assert.truthy(h.read_file(dir .. "/search/settings.json"))
    os.execute("rm -rf " .. h.sh_quote(dir))
  end)
end)
