-- Bad input to lunet.nn, as a hostile user tries it (issue 14): sizes past
-- C's int, optimizer hyper-parameters out of range, options that disagree,
-- damaged model files that pass the checksum, a FIFO given as a model file.
-- Each is an error naming the function, the argument and the value, never a
-- truncated size, a silently chosen value or a hang.
local lunet = require "lunet"
local core = require "lunet.core"
local h = require "spec.helpers"
local nn = lunet.nn

local EXE = os.getenv("LUNET_EXECUTABLE") or "build/lunet"

local function sh_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function dropout_model(optimizer)
  local m = nn.Sequential { nn.Dense(4, { input_shape = { 3 } }), nn.Dropout(0.5), nn.Dense(2), seed = 5 }
  if optimizer then m:compile { optimizer = optimizer, loss = "mse" } end
  return m
end

-- Saves m, lets edit(header, tensors) change what the file holds, and writes
-- it back with a fresh checksum (what a hostile editor of the file does).
local function rewritten(m, edit)
  local path = os.tmpname()
  m:save(path)
  local text, tensors = core.nn_read(path)
  local header = core.json_decode(text)
  edit(header, tensors)
  core.file_save(path, core.json_encode(header), tensors)
  return path
end

describe("nn: sizes past C's int are errors, not truncated (item 8)", function()
  it("Dense and Conv2D name the size they were given", function()
    h.assert_error("Dense: units must be an integer from 1 to 2147483647, got 4294967298",
      function() nn.Dense((1 << 32) + 2) end)
    h.assert_error("Conv2D: kernel_size must be an integer from 1 to 2147483647, got 4294967299",
      function() nn.Conv2D(2, (1 << 32) + 3) end)
    h.assert_error("Conv2D: filters must be an integer from 1 to 2147483647, got 4294967298",
      function() nn.Conv2D((1 << 32) + 2, 3) end)
    h.assert_error("MaxPooling2D: strides[2] must be an integer from 1 to 2147483647, got 4294967296",
      function() nn.MaxPooling2D(2, { strides = { 1, 1 << 32 } }) end)
    h.assert_error("Dense: input_shape[1] must be an integer from 1 to 2147483647, got 4294967296",
      function() nn.Dense(2, { input_shape = { 1 << 32 } }) end)
    h.assert_error("Dense: input_shape has 4294967296 values per sample, at most 2147483647 allowed",
      function() nn.Dense(2, { input_shape = { 65536, 65536 } }) end)
  end)

  it("the C binding refuses such a config by itself (a config bypassing the constructors)", function()
    h.assert_error("Dense: units must be an integer from 1 to 2147483647, got 4294967298",
      function() core.net_new({ 3 }, { { kind = "Dense", units = (1 << 32) + 2 } }, 1) end)
    h.assert_error("Conv2D: kernel_size must be an integer from 1 to 2147483647, got 4294967299",
      function() core.net_new({ 4, 4, 1 }, { { kind = "Conv2D", filters = 2, kernel_size = (1 << 32) + 3 } }, 1) end)
    -- a kernel larger than anything BLAS can multiply, with 'same' padding
    h.assert_error({ "Sequential: layer 1", "Conv2D", "at most 2147483647" }, function()
      core.net_new({ 4, 4, 3 }, { { kind = "Conv2D", filters = 2, kernel_size = { 65536, 65536 }, padding = "same" } }, 1)
    end)
    h.assert_error("Sequential: input_shape (65536, 65536) has more than 2147483647 values per sample",
      function() core.net_new({ 65536, 65536 }, { { kind = "Flatten" } }, 1) end)
  end)
end)

describe("nn optimizers: every hyper-parameter in its Keras range (item 9)", function()
  it("refuses NaN, infinite and out-of-range values", function()
    h.assert_error("SGD: learning_rate must be a finite number, got nan",
      function() nn.optimizers.SGD { learning_rate = 0 / 0 } end)
    h.assert_error("SGD: lr must be a finite number, got inf", function() nn.optimizers.SGD { lr = math.huge } end)
    h.assert_error("Adam: beta_1 must be less than 1, got 5", function() nn.optimizers.Adam { beta_1 = 5 } end)
    h.assert_error("Adam: beta_2 must be less than 1, got 7", function() nn.optimizers.Adam { beta_2 = 7 } end)
    h.assert_error("SGD: momentum must be a number from 0 to 1, got 3", function() nn.optimizers.SGD { momentum = 3 } end)
    h.assert_error("RMSprop: rho must be a number >= 0, got -0.1", function() nn.optimizers.RMSprop { rho = -0.1 } end)
    h.assert_error("Adagrad: decay must be a number from 0 to", function() nn.optimizers.Adagrad { decay = -1 } end)
    h.assert_error("Nadam: epsilon must be a finite number, got nan", function() nn.optimizers.Nadam { epsilon = 0 / 0 } end)
    h.assert_error("SGD: nesterov must be true or false, got 1", function() nn.optimizers.SGD { nesterov = 1 } end)
    h.assert_error("SGD: unknown option 'name'", function() nn.optimizers.SGD { name = "adam" } end)
  end)

  it("lr and learning_rate together are an error, not one of them silently", function()
    h.assert_error("SGD: give learning_rate or its old name lr, not both (got 0.1 and 0.2)",
      function() nn.optimizers.SGD { learning_rate = 0.1, lr = 0.2 } end)
    h.assert_error("compile: unknown optimizer 'adamz'", function() dropout_model { name = "adamz" } end)
    assert.are.equal(0.2, nn.optimizers.SGD({ lr = 0.2 }).learning_rate)
  end)

  it("a NaN learning rate cannot reach training through compile", function()
    local m = dropout_model()
    h.assert_error("SGD: learning_rate must be a finite number, got nan",
      function() m:compile { optimizer = { name = "sgd", learning_rate = 0 / 0 }, loss = "mse" } end)
  end)
end)

describe("nn: options that disagree or are not what they claim (items 13, 17)", function()
  it("input_dim with a different input_shape is an error; agreeing ones are accepted", function()
    h.assert_error("Dense: input_dim = 4 and input_shape = {3} disagree (give one of them)",
      function() nn.Dense(2, { input_dim = 4, input_shape = { 3 } }) end)
    assert.are.same({ 3 }, nn.Dense(2, { input_dim = 3, input_shape = { 3 } }).input_shape)
    -- (the constructor names itself, add names add: found by the API fuzzer, seed 1796249754, call 2175)
    h.assert_error("Sequential: input_shape belongs to the first layer, layer 2 (Dense) has one",
      function() nn.Sequential { nn.Dense(2, { input_shape = { 3 } }), nn.Dense(2, { input_shape = { 2 } }) } end)
    h.assert_error("Sequential: the first layer's input_shape {4} disagrees with the model's {3}",
      function() nn.Sequential({ nn.Dense(2, { input_shape = { 4 } }) }, { input_shape = { 3 } }) end)
    h.assert_error("Sequential:add: input_shape belongs to the first layer, layer 2 (Dense) has one",
      function() nn.Sequential { nn.Dense(2, { input_shape = { 3 } }) }:add(nn.Dense(2, { input_shape = { 2 } })) end)
    h.assert_error("Sequential:add: the first layer's input_shape {4} disagrees with the model's {3}",
      function() nn.Sequential({}, { input_shape = { 3 } }):add(nn.Dense(2, { input_shape = { 4 } })) end)
  end)

  it("fit names a bad seed, verbose, shuffle or initial_epoch", function()
    local m = dropout_model "sgd"
    local x, y = lunet.zeros(4, 3), lunet.zeros(4, 2)
    h.assert_error("fit: seed must be an integer, got 'abc'", function() m:fit(x, y, { seed = "abc", verbose = 0 }) end)
    h.assert_error("fit: shuffle must be true or false, got 'no'", function() m:fit(x, y, { shuffle = "no" }) end)
    h.assert_error("fit: verbose (0, 1, 2 or a boolean) must be an integer from 0 to 2, got 3",
      function() m:fit(x, y, { verbose = 3 }) end)
    h.assert_error("fit: initial_epoch must be an integer from 0 to 1, got 2",
      function() m:fit(x, y, { epochs = 2, initial_epoch = 2 }) end)
    h.assert_error("fit: give validation_data or validation_split, not both",
      function() m:fit(x, y, { validation_split = 0.5, validation_data = { x, y } }) end)
    h.assert_error("fit: expected at most 3 arguments, got 4", function() m:fit(x, y, {}, 1) end)
  end)

  it("fit's initial_epoch resumes: epochs initial_epoch+1..epochs, shuffled as in one run", function()
    local x, y = lunet.randn({ 16, 3 }, { seed = 1 }), lunet.randn({ 16, 2 }, { seed = 2 })
    local a, b = dropout_model "sgd", dropout_model "sgd"
    a:fit(x, y, { epochs = 3, batch_size = 4, seed = 9, verbose = 0 })
    b:fit(x, y, { epochs = 1, batch_size = 4, seed = 9, verbose = 0 })
    local hist = b:fit(x, y, { epochs = 3, initial_epoch = 1, batch_size = 4, seed = 9, verbose = 0 })
    assert.are.same({ 1, 2 }, hist.epoch) -- (0-based, as Keras' History.epoch: epochs 2 and 3)
    assert.are.equal(core.vec.hash(a:get_weights()), core.vec.hash(b:get_weights()))
  end)

  it("set_optimizer_state names the sizes (no 'invalid option' from a %lld format)", function()
    local m = dropout_model "adam"
    h.assert_error("Sequential: optimizer state has 3 values, adam expects 52",
      function() m:set_optimizer_state { state = lunet.zeros(3), iterations = 0 } end)
    h.assert_error("set_optimizer_state: iterations must be an integer >= 0, got -1",
      function() m:set_optimizer_state { state = lunet.zeros(52), iterations = -1 } end)
  end)
end)

describe("nn.load: damaged files that pass the checksum are errors (item 15)", function()
  it("garbage Dropout generator state", function()
    local m = dropout_model "sgd"
    for _, bad in ipairs { string.rep("z", 64), string.rep("0", 64), "12", 7 } do
      local path = rewritten(m, function(header) header.rng = { bad } end)
      h.assert_error({ "nn.load: '" .. path .. "' holds a damaged model", "Dropout generator state 1" },
        function() nn.load(path) end)
      os.remove(path)
    end
    local path = rewritten(m, function(header) header.rng = nil end)
    h.assert_error("nn.load: '" .. path .. "': has no Dropout generator states (rng)", function() nn.load(path) end)
    os.remove(path)
    path = rewritten(m, function(header) header.rng[2] = header.rng[1] end)
    h.assert_error("set_rng_states: 2 Dropout generator states for 1 Dropout layers", function() nn.load(path) end)
    os.remove(path)
  end)

  it("the optimizer-state array removed while the header says there is state", function()
    local m = dropout_model "adam"
    m:train_on_batch(lunet.ones(2, 3), lunet.zeros(2, 2))
    local path = rewritten(m, function(_, tensors) tensors[2] = nil end)
    h.assert_error("nn.load: '" .. path .. "': says the optimizer has state, but the state array is missing",
      function() nn.load(path) end)
    path = rewritten(m, function(header) header.optimizer.iterations = -3 end)
    h.assert_error("optimizer.iterations must be an integer >= 0, got -3", function() nn.load(path) end)
    path = rewritten(m, function(header) header.optimizer = nil end)
    h.assert_error("has no optimizer state for a compiled model", function() nn.load(path) end)
    os.remove(path)
    local intact = os.tmpname()
    m:save(intact)
    assert.are.equal(1, nn.load(intact):get_optimizer_state().iterations)
    os.remove(intact)
  end)
end)

describe("nn.load of a FIFO (item 4)", function()
  it("is an error at once, not a wait for a writer", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir " .. sh_quote(dir) .. " && mkfifo " .. sh_quote(dir .. "/model.nn")))
    local out = dir .. "/out"
    -- a child, so that a regression hangs only it: timeout is a ceiling, not the assertion
    local code = ("nn = lunet.nn; local ok, e = pcall(nn.load, %q); local ok2, e2 = pcall(require('lunet.core').nn_read, %q); "
      .. "io.write(tostring(ok), ' ', e, '\\n', tostring(ok2), ' ', e2)"):format(dir .. "/model.nn", dir .. "/model.nn")
    os.execute(("timeout 120 %s -e %s > %s 2>&1"):format(sh_quote(EXE), sh_quote(code), sh_quote(out)))
    local text = h.read_file(out) or ""
    os.execute("rm -rf " .. sh_quote(dir))
    assert.truthy(text:find("false nn.load: '" .. dir .. "/model.nn' is not a regular file", 1, true), text)
    assert.truthy(text:find("false load: '" .. dir .. "/model.nn' is not a regular file", 1, true), text)
  end)
end)

describe("errors name the public function called (the API fuzzer's rule)", function()
  it("when it delegates: from_config, clone, a lazy build, Ensemble:evaluate", function()
    h.assert_error("nn.Layer.from_config: unknown layer kind 'external'", function()
      nn.Layer.from_config { kind = "external" }
    end)
    h.assert_error("nn.Layer.from_config: Dense: units must be an integer", function()
      nn.Layer.from_config { kind = "Dense", units = 0 }
    end)
    local cfg = nn.Sequential { nn.Dense(2, { input_shape = { 3 } }) }:config()
    cfg.layers[1].units = -1
    h.assert_error("nn.from_config: layers[1]: Dense: units must be an integer", function() nn.from_config(cfg) end)
    h.assert_error("Sequential:clone: the model has no input shape", function() nn.Sequential():clone() end)
    local cnn = nn.Sequential { nn.Dense(2, { input_shape = { 3 } }), nn.Conv2D(2, 3) }
    h.assert_error("Sequential: layer 2: Conv2D(2, 3x3): input must be images", function() cnn:count_params() end)
    local m = nn.Sequential { nn.Dense(2, { input_shape = { 3 }, activation = "softmax" }) }
    m:compile { loss = "categorical_crossentropy", optimizer = "sgd" }
    local e = nn.Ensemble { m, m:clone() }
    h.assert_error("Ensemble:evaluate: ", function() e:evaluate(lunet.zeros({ 4, 5 }), lunet.zeros({ 4, 2 })) end)
  end)
end)
