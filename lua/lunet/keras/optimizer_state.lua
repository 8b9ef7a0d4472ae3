-- Keras optimizer state (an HDF5 file's optimizer_weights, a .keras file's
-- optimizer/vars) in and out of the lunet optimizer's flat state. The rule:
-- the state is mapped when the compiled optimizer's slots and the file's
-- arrays correspond exactly (one array per slot and trainable weight, with
-- that weight's shape, in one of Keras' orders: all of a slot then the next
-- (Keras 2, tf.keras <= 2.10) or per weight (tf.keras >= 2.11, Keras 3));
-- anything else is an error naming the counts, unless the caller loads with
-- {optimizer_state = false} (then training starts with a fresh state).
local check = require "lunet.check"
local layout = require "lunet.keras.weight_layout"

local fail = check.fail
local ostate = {}

-- lunet optimizer -> its slots (the order of its flat state), and the
-- names tf.keras >= 2.11 gives them when writing.
local SLOTS = { sgd = { "m" }, adagrad = { "accumulator" }, adadelta = { "accumulated_grad", "accumulated_delta_var" },
                rmsprop = { "velocity" }, adam = { "m", "v" }, adamax = { "m", "u" }, nadam = { "m", "v" },
                adamw = { "m", "v" } }

local function slots_of(o)
  local s = { table.unpack(SLOTS[o.name]) }
  if o.name == "sgd" and (o.momentum or 0) == 0 then s = {} end
  if (o.name == "adam" or o.name == "adamw") and o.amsgrad then s[#s + 1] = "vhat" end
  return s
end

-- The model's Keras trainable weights in Keras order, each {view =, shape =, name =, offset =}
-- (offset: where its values start in the flat parameters, 0-based).
function ostate.trainable(model)
  local out = {}
  for _, e in ipairs(layout.of(model)) do
    if e.cfg.trainable ~= false then
      for _, s in ipairs(e.weights) do
        if s.name ~= "moving_mean" and s.name ~= "moving_variance" then
          out[#out + 1] = { view = s.view, shape = s.shape, name = layout.tf_name(e.name, s),
                            offset = s.offset }
        end
      end
    end
  end
  return out
end

local function fits(arrays, ws, k, order)
  for s = 1, k do
    for j, w in ipairs(ws) do
      local i = order == "blocked" and (s - 1) * #ws + j or (j - 1) * k + s
      if not layout.same_shape(arrays[i].shape, w.shape) then return false end
    end
  end
  return true
end

local BOOKKEEPING = { iteration = true, iterations = true, iter = true, learning_rate = true, lr = true,
                      m_schedule = true }
local function base_name(n)
  return ((n:match("([^/]+)$") or n):gsub(":%d+$", ""):gsub("_%d+$", ""))
end

-- Sets model's optimizer state from arrays {{name =, shape =, read = function() -> tensor,
-- read_int64 = function() -> integer}, ...}
-- in the file's order; where names the file; file_names (optional): the
-- file's name of each weight by its offset (h5_in.load_weights).
function ostate.load(model, arrays, where, file_names)
  local o = model.compiled.optimizer
  local slots, ws = slots_of(o), ostate.trainable(model)
  local iterations, m_schedule, rest = 0, 1, {}
  for _, a in ipairs(arrays) do
    local b = base_name(a.name)
    if BOOKKEEPING[b] and #a.shape <= 1 and (#a.shape == 0 or a.shape[1] == 1) then
      if b:match("^iter") then iterations = a.read_int64() end -- (exact: float32 holds counts up to 2^24 only)
      if b == "m_schedule" then m_schedule = a.read():get(1) end
    else
      rest[#rest + 1] = a
    end
  end
  local k, P = #slots, #ws
  -- (Keras 2.1+'s Adam keeps a vhat per weight of shape (1,) when amsgrad is off)
  if o.name == "adam" and not o.amsgrad and #rest == 3 * P and P > 0 and layout.same_shape(rest[#rest].shape, { 1 }) then
    for _ = 1, P do rest[#rest] = nil end
  end
  if k == 0 and #rest == P then rest = {} end -- (Keras 2's SGD keeps moments without momentum: unused)
  local order
  if #rest == k * P then
    local named = rest[1] and (rest[1].name:match("_momentum$") or rest[1].name:match("^%a+/m/"))
    local first, second = named and "interleaved" or "blocked", named and "blocked" or "interleaved"
    -- (Keras 2.0 ordered the optimizer's weights by their variable names: the file's weight names)
    local sorted = nil
    if file_names then
      sorted = { table.unpack(ws) }
      for _, w in ipairs(sorted) do w.file_name = file_names[w.offset] or w.name end
      table.sort(sorted, function(a, b) return a.file_name < b.file_name end)
    end
    for _, cand in ipairs { ws, sorted } do
      if not order then
        order = fits(rest, cand, k, first) and first or fits(rest, cand, k, second) and second or nil
        if order then ws = cand end
      end
    end
  end
  if not order then
    fail(where, "optimizer state: %d arrays for %s with %d slot%s (%s) over %d trainable weights; they do not map "
      .. "onto lunet's %s (load with {optimizer_state = false} to start with a fresh state)", #rest, o.name, k,
      k == 1 and "" or "s", table.concat(slots, ", "), P, o.name)
  end
  local state, _, ms = model.net:optimizer_state()
  local n = model:get_weights():numel()
  state:fill(0)
  for s = 1, k do
    for j, w in ipairs(ws) do
      local i = order == "blocked" and (s - 1) * P + j or (j - 1) * k + s
      local v = rest[i].read()
      state:narrow(1, (s - 1) * n + w.offset + 1, v:numel()):copy(v:contiguous():view(v:numel()))
    end
  end
  model.net:set_optimizer_state(state, iterations, o.name == "nadam" and m_schedule or ms)
end

-- An HDF5 file's optimizer_weights group (names: its weight_names, in order) into model.
function ostate.load_h5(model, t, where, file_names, names)
  local arrays = {}
  for i, nm in ipairs(names) do
    local p = "/optimizer_weights/" .. nm
    if t:kind(p) ~= "dataset" then fail(where, "optimizer_weights lists %s, but the file has no dataset %s", nm, p) end
    arrays[i] = { name = nm, shape = t:shape(p), read = function() return t:read(p) end,
                  read_int64 = function() return t:read_int64(p) end }
  end
  ostate.load(model, arrays, where, file_names)
end

-- The arrays to write for model's optimizer state, tf.keras >= 2.11's
-- layout: {{name =, tensor =}...} (the iteration count apart: returned second).
-- Keras 3 keeps the slots of most optimizers per weight, interleaved (what
-- zip_in reads and zip_out writes); for Adam/AdamW with amsgrad, Adadelta and
-- Nadam its variables are laid out otherwise (vhats after the pairs, an extra
-- u_product), which lunet does not map: an error naming the optimizer and how
-- to go on (hint), never state put in the wrong slots.
function ostate.keras3_check(model, where, hint)
  local o = model.compiled.optimizer
  local odd = ((o.name == "adam" or o.name == "adamw") and o.amsgrad) and (o.name .. " with amsgrad")
    or (o.name == "adadelta" or o.name == "nadam") and o.name
  if odd then fail(where, "optimizer state: Keras 3 lays out %s's variables in an order lunet does not map; %s", odd, hint) end
end

function ostate.out(model)
  local o = model.compiled.optimizer
  local state, iterations = model.net:optimizer_state()
  local slots, ws, n = slots_of(o), ostate.trainable(model), model:get_weights():numel()
  local class = require("lunet.keras.training_config").class_of(o.name)
  local out = {}
  for _, w in ipairs(ws) do
    local k = layout.numel(w.shape)
    for s, slot in ipairs(slots) do
      local v = state:narrow(1, (s - 1) * n + w.offset + 1, k):contiguous():view(table.unpack(w.shape))
      out[#out + 1] = { name = ("%s/%s/%s"):format(class, slot, w.name), tensor = v }
    end
  end
  return out, iterations
end

return ostate
