-- lunet.tune.random: random search. Trial id's config is drawn from every
-- domain's prior with a lunet.Generator seeded by (seed, id), so it depends
-- only on the seed and the id: trials may be suggested in any order, on
-- resume too. Observations do not change what it suggests.
local Generator = require("lunet.tensor").Generator

local random = {}

-- splitmix64's finaliser: a well-mixed 64-bit integer of x (Lua integers
-- wrap, as the C original's uint64_t).
local function mix(x)
  x = x + 0x9E3779B97F4A7C15
  x = (x ~ (x >> 30)) * 0xBF58476D1CE4E5B9
  x = (x ~ (x >> 27)) * 0x94D049BB133111EB
  return x ~ (x >> 31)
end

-- random.generator(seed, id, stream) -> the Generator of trial id's draws in
-- one stream (1: the prior; others for the searchers that need their own).
function random.generator(seed, id, stream)
  return Generator(mix(mix(mix(seed) ~ id) ~ (stream or 1)))
end

local Random = {}
Random.__index = Random

-- random.new(space, o) with o = {seed =, num_samples =}.
function random.new(space, o)
  return setmetatable({ space = space, seed = o.seed, count = o.num_samples }, Random)
end

function Random:total() return self.count end

function Random:suggest(id)
  return (self.space:sample(random.generator(self.seed, id)))
end

return random
