-- lunet.tune.grid: grid search, as Ray Tune's grid_search: every combination
-- of the space's discrete domains, the whole grid repeated num_samples times
-- (trial id i runs combination ((i - 1) % size) + 1). Observations do not
-- change what it suggests.
local grid = {}

local Grid = {}
Grid.__index = Grid

-- grid.new(space, o) with o = {num_samples =} (checked by lunet.tune.search).
function grid.new(space, o)
  local size = space:_count("search.new")
  return setmetatable({ space = space, size = size, count = size * o.num_samples }, Grid)
end

function Grid:total() return self.count end

function Grid:suggest(id)
  return self.space:_grid_at((id - 1) % self.size + 1)
end

return grid
