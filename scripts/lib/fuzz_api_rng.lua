-- The API fuzzer's generator: splitmix64 on Lua integers, seeded by (seed,
-- call index), so that call INDEX of seed SEED is the same call whether it
-- runs in a batch or alone (--replay SEED:INDEX), and independent of
-- math.random, which the code under test may reseed.
local Rng = {}
Rng.__index = Rng

local GOLDEN = 0x9E3779B97F4A7C15

local function mix(z)
  z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
  z = (z ~ (z >> 27)) * 0x94D049BB133111EB
  return z ~ (z >> 31)
end

function Rng.new(seed, index)
  return setmetatable({ state = mix(mix(seed + GOLDEN) + index * GOLDEN) }, Rng)
end

-- The next 64 random bits (an integer, any sign).
function Rng:bits()
  self.state = self.state + GOLDEN
  return mix(self.state)
end

-- An integer in 1..n.
function Rng:int(n)
  return (self:bits() >> 1) % n + 1
end

-- A float in [0, 1).
function Rng:float()
  return (self:bits() >> 11) * 2.0 ^ -53
end

function Rng:chance(p) return self:float() < p end

function Rng:pick(list) return list[self:int(#list)] end

return Rng
