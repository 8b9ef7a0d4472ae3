-- lunet.tune.tpe: the Tree-structured Parzen Estimator (Bergstra, Bardenet,
-- Bengio and Kegl, "Algorithms for Hyper-Parameter Optimization", NIPS 2011)
-- as hyperopt's tpe.suggest does it: the first n_startup trials are random;
-- then the finished trials are split at the ceil(gamma * sqrt(n)) best
-- (at most 25), each parameter gets an adaptive Parzen estimator l(x) of its
-- values in the good trials and g(x) of the others (lunet.tune.parzen), and
-- of `candidates` draws from l(x) the one with the largest l(x) / g(x) is
-- suggested, parameter by parameter. Log domains are modelled in log space,
-- quantized ones by their bins' mass, choices and randints as categoricals.
-- A conditional parameter learns only from the trials where it was active.
-- Differences from hyperopt: failed trials (value nil) are left out, where
-- hyperopt counts them as infinitely bad; trials still running are unknown
-- here (observe() comes when a trial ends). Seeded by (seed, id): the same
-- observations give the same suggestion.
local domain = require "lunet.tune.domain"
local parzen = require "lunet.tune.parzen"
local random = require "lunet.tune.random"

local tpe = {}

local TPE = {}
TPE.__index = TPE

-- tpe.new(space, o, observed): o = {seed =, num_samples =, tpe = {n_startup
-- =, candidates =, gamma =, prior_weight =}}; observed: the searcher's
-- {[id] = {assign =, loss = (nil: failed)}}, filled by Searcher:observe.
function tpe.new(space, o, observed)
  return setmetatable({ space = space, params = space.list, seed = o.seed, count = o.num_samples, opt = o.tpe,
                        observed = observed }, TPE)
end

function TPE:total() return self.count end

-- The finished trials with a loss, in id order, and the set of the good ones.
function TPE:split()
  local ids = {}
  for id, ob in pairs(self.observed) do
    if ob.loss ~= nil then ids[#ids + 1] = id end
  end
  table.sort(ids)
  local ranked = { table.unpack(ids) }
  local obs = self.observed
  table.sort(ranked, function(a, b)
    if obs[a].loss ~= obs[b].loss then return obs[a].loss < obs[b].loss end
    return a < b
  end)
  local n_below = math.min(math.ceil(self.opt.gamma * math.sqrt(#ids)), parzen.LF)
  local good = {}
  for i = 1, n_below do good[ranked[i]] = true end
  return ids, good
end

-- The model space of a numeric domain: log for the log-scale ones.
local function to_model(d, v) return domain.LOG[d.kind] and math.log(v) or v end
local function from_model(d, x)
  local v = domain.LOG[d.kind] and math.exp(x) or x
  if domain.QUANTIZED[d.kind] then return domain.quantize(d, v) end
  return math.min(math.max(v, d.low), d.high)
end

-- l or g of parameter p from its values obs (trial order).
local function model(p, obs, w)
  local d = p.domain
  if d.kind == "choice" then return parzen.categorical(obs, w, 1, #d.options) end
  if d.kind == "randint" then return parzen.categorical(obs, w, d.low, d.high - d.low) end
  local mo = {}
  for i, v in ipairs(obs) do mo[i] = to_model(d, v) end
  return parzen.mixture(mo, w, to_model(d, d.low), to_model(d, d.high))
end

-- A quantized value's bin in model space: the values that round to it (the
-- first and last steps also take the range's ends, as domain.quantize does).
local function bin(d, v)
  local k = math.floor(v / d.q + 0.5)
  local lo = k <= d.k_lo and d.low or math.max(v - d.q / 2, d.low)
  local hi = k >= d.k_hi and d.high or math.min(v + d.q / 2, d.high)
  return to_model(d, lo), to_model(d, hi)
end

local function log_density(d, m, v)
  if d.kind == "choice" or d.kind == "randint" then return m:lpdf(v) end
  if domain.QUANTIZED[d.kind] then return m:lmass(bin(d, v)) end
  return m:lpdf(to_model(d, v))
end

-- The value of p with the largest l(v) / g(v) among candidates drawn from l.
function TPE:best_value(p, ids, good, rng)
  local below, above = {}, {}
  for _, id in ipairs(ids) do
    local v = self.observed[id].assign[p.key]
    if v ~= nil then
      local list = good[id] and below or above
      list[#list + 1] = v
    end
  end
  local d, w = p.domain, self.opt.prior_weight
  local l, g = model(p, below, w), model(p, above, w)
  local best, best_score
  for _ = 1, self.opt.candidates do
    local v = l:draw(rng)
    if d.kind ~= "choice" and d.kind ~= "randint" then v = from_model(d, v) end
    local score = log_density(d, l, v) - log_density(d, g, v)
    if best_score == nil or score > best_score then best, best_score = v, score end
  end
  return best
end

function TPE:suggest(id)
  if id <= self.opt.n_startup then -- (the random searcher's config for this id)
    return (self.space:sample(random.generator(self.seed, id)))
  end
  local ids, good = self:split()
  local rng = random.generator(self.seed, id, 2)
  local values = {}
  -- every parameter, active or not, in the space's order: the draws do not depend on which are active
  for _, p in ipairs(self.params) do values[p.key] = self:best_value(p, ids, good, rng) end
  return (self.space:_build(function(p) return values[p.key] end))
end

return tpe
