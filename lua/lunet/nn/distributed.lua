-- The extension point through which model:evaluate(x, y, {num_workers > 1})
-- reaches worker processes (lunet.nn.distributed). nn knows nothing of how
-- work is spread over processes: the module that runs models there fills
-- `evaluate` when it loads, and nn calls it with arguments model:evaluate
-- has checked:
--   distributed.evaluate(model, x, y, {batch_size=, num_workers=, launcher=, verbose=}) -> loss, the sums of
--   the compiled metrics (nn/metrics: Set:states, merged by addition)
local distributed = { evaluate = nil }

-- The filled hook. A model can be evaluated on workers before the provider
-- was ever required, so it is required here on first use. It is the one
-- module above nn that nn names; it requires lunet.nn itself, which is why
-- this require cannot be at the top of an nn file (that would be a cycle).
local PROVIDER = "lunet.predictors"

function distributed.evaluator()
  if not distributed.evaluate then require(PROVIDER) end
  return assert(distributed.evaluate, PROVIDER .. " did not fill lunet.nn.distributed.evaluate")
end

return distributed
