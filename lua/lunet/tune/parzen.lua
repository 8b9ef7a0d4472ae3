-- lunet.tune.parzen: the adaptive Parzen estimators of TPE, as hyperopt's
-- tpe.py builds them (Bergstra et al. 2011): for a numeric parameter a
-- truncated Gaussian mixture with one component per observation plus the
-- prior's, bandwidths from the neighbours' distances; for a choice or a
-- randint a categorical with linear-forgetting weighted counts plus
-- prior_weight pseudocounts. Each model draws candidates and gives their log
-- density. Written from the paper and hyperopt's code, in plain Lua.
local parzen = {}

parzen.LF = 25 -- hyperopt's linear forgetting: only the last LF observations count fully

-- Weights of n observations in trial order: the oldest n - LF ramp up from
-- 1/n towards 1 (numpy.linspace(1/n, 1, n - LF)), the newest LF weigh 1.
function parzen.forgetting_weights(n, lf)
  local w = {}
  local ramp = n - lf
  for i = 1, n do w[i] = 1.0 end
  if ramp <= 0 then return w end
  for i = 1, ramp do
    w[i] = ramp == 1 and 1.0 / n or (1.0 / n + (1.0 - 1.0 / n) * (i - 1) / (ramp - 1))
  end
  return w
end

-- ---- the normal distribution ----

-- erfc(z) with a relative error below 1.2e-7 everywhere (Chebyshev fit,
-- Numerical Recipes' erfcc): good in the tails, where 1 - erf loses all.
local function erfc(z)
  local az = math.abs(z)
  local t = 1.0 / (1.0 + 0.5 * az)
  local r = t * math.exp(-az * az - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
    + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223
    + t * 0.17087277)))))))))
  return z >= 0 and r or 2.0 - r
end

local SQRT2 = math.sqrt(2)

-- P(lo <= X <= hi) for X ~ N(mu, sigma): from the upper tail when the
-- interval lies above mu, so that far tails do not cancel to 0.
local function mass(lo, hi, mu, sigma)
  local a, b = (lo - mu) / (sigma * SQRT2), (hi - mu) / (sigma * SQRT2)
  if a >= 0 then return 0.5 * (erfc(a) - erfc(b)) end
  return 0.5 * (erfc(-b) - erfc(-a))
end
parzen.mass = mass

-- ---- Gaussian mixtures ----

local Mixture = {}
Mixture.__index = Mixture

-- parzen.mixture(obs, prior_weight, low, high) -> the truncated mixture of
-- hyperopt's adaptive_parzen_normal over obs (values in trial order, in the
-- model's space), with the prior N((low + high) / 2, high - low).
function parzen.mixture(obs, prior_weight, low, high)
  local n = #obs
  local prior_mu, prior_sigma = 0.5 * (low + high), high - low
  -- sort the observations (stable: by value, then by trial order) and put the prior among them
  local order = {}
  for i = 1, n do order[i] = i end
  table.sort(order, function(x, y)
    if obs[x] ~= obs[y] then return obs[x] < obs[y] end
    return x < y
  end)
  local pos = 1 -- (numpy.searchsorted, left: after every observation below the prior's mean)
  while pos <= n and obs[order[pos]] < prior_mu do pos = pos + 1 end
  local lfw = n > parzen.LF and parzen.forgetting_weights(n, parzen.LF) or nil
  local mus, w = {}, {}
  for j = 1, n + 1 do
    if j == pos then mus[j], w[j] = prior_mu, prior_weight
    else
      local i = order[j < pos and j or j - 1]
      mus[j], w[j] = obs[i], lfw and lfw[i] or 1.0
    end
  end
  local m = n + 1
  local sigma = {}
  if n == 0 then sigma[1] = prior_sigma
  elseif n == 1 then sigma[3 - pos] = prior_sigma * 0.5
  else
    for j = 2, m - 1 do sigma[j] = math.max(mus[j] - mus[j - 1], mus[j + 1] - mus[j]) end
    sigma[1], sigma[m] = mus[2] - mus[1], mus[m] - mus[m - 1]
  end
  -- hyperopt's "magic formula": bandwidths between prior_sigma / min(100, 1 + m) and prior_sigma
  local lo_sigma = prior_sigma / math.min(100.0, 1.0 + m)
  local total = 0
  for j = 1, m do
    sigma[j] = math.min(math.max(sigma[j] or prior_sigma, lo_sigma), prior_sigma)
    total = total + w[j]
  end
  sigma[pos] = prior_sigma
  local accept = 0
  for j = 1, m do
    w[j] = w[j] / total
    accept = accept + w[j] * mass(low, high, mus[j], sigma[j])
  end
  return setmetatable({ w = w, mu = mus, sigma = sigma, low = low, high = high, accept = accept }, Mixture)
end

-- A draw in [low, high): a component by weight, then its normal, redrawn
-- while outside (every component keeps a good share of its mass inside, so
-- this ends fast; the cap keeps it finite whatever happens).
function Mixture:draw(rng)
  local u, k = rng:uniform(0, 1), #self.w
  for j = 1, #self.w do
    u = u - self.w[j]
    if u < 0 then k = j; break end
  end
  local x
  for _ = 1, 1000 do
    x = self.mu[k] + self.sigma[k] * rng:normal(0, 1)
    if x >= self.low and x < self.high then return x end
  end
  return math.min(math.max(x, self.low), self.high)
end

local LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)

-- The log density at x (model space) of the truncated mixture.
function Mixture:lpdf(x)
  local best, terms = -math.huge, {}
  for j = 1, #self.w do
    local z = (x - self.mu[j]) / self.sigma[j]
    terms[j] = math.log(self.w[j]) - LOG_SQRT_2PI - math.log(self.sigma[j]) - 0.5 * z * z
    if terms[j] > best then best = terms[j] end
  end
  local s = 0
  for j = 1, #terms do s = s + math.exp(terms[j] - best) end
  return best + math.log(s) - math.log(self.accept)
end

-- The log probability of the bin [lo, hi] (model space): a quantized value's.
function Mixture:lmass(lo, hi)
  local p = 0
  for j = 1, #self.w do p = p + self.w[j] * mass(lo, hi, self.mu[j], self.sigma[j]) end
  return math.log(math.max(p, 1e-300)) - math.log(self.accept)
end

-- ---- categoricals ----

local Categorical = {}
Categorical.__index = Categorical

-- parzen.categorical(obs, prior_weight, first, n) -> the distribution over
-- the n values first, first + 1, ... with mass (weighted count + prior_weight)
-- each (hyperopt's ap_categorical_sampler; obs in trial order).
function parzen.categorical(obs, prior_weight, first, n)
  local lfw = parzen.forgetting_weights(#obs, parzen.LF)
  local counts, values, counted = {}, {}, 0
  for i, v in ipairs(obs) do
    if not counts[v] then counts[v] = 0; values[#values + 1] = v end
    counts[v] = counts[v] + lfw[i]
    counted = counted + lfw[i]
  end
  table.sort(values)
  return setmetatable({ counts = counts, values = values, counted = counted, prior = prior_weight * n,
                        prior_weight = prior_weight, first = first, n = n }, Categorical)
end

-- A draw: from the counts with probability counted / total, else uniform
-- over all n values (the pseudocounts).
function Categorical:draw(rng)
  local u = rng:uniform(0, 1) * (self.counted + self.prior)
  if u < self.counted then
    for _, v in ipairs(self.values) do
      u = u - self.counts[v]
      if u < 0 then return v end
    end
    return self.values[#self.values]
  end
  return self.first + rng:integer(0, self.n - 1)
end

function Categorical:lpdf(v)
  return math.log((self.counts[v] or 0) + self.prior_weight) - math.log(self.counted + self.prior)
end

return parzen
