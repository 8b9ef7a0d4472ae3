-- The extension point through which model:evaluate(x, y, {num_workers > 1})
-- and model:evaluate(lazy_frame, {...}) reach the modules above nn
-- (lunet.nn.distributed). nn knows nothing of how work is spread over
-- processes, nor of frames on storage: the module that runs models there
-- fills these hooks when it loads, and nn calls them with arguments
-- model:evaluate has checked:
--   distributed.evaluate(model, x, y, {batch_size=, num_workers=, launcher=, verbose=}) -> loss, the sums of
--   the compiled metrics (nn/metrics: Set:states, merged by addition)
--   distributed.evaluate_lazy(model, lf, {batch_size=, num_workers=, launcher=, verbose=, features_col=,
--   label_col=, weight_col=}) -> the same, over every row of the LazyFrame (in this process when
--   num_workers = 1)
local distributed = { evaluate = nil, evaluate_lazy = nil }

-- The filled hook. A model can be evaluated on workers before the provider
-- was ever required, so it is required here on first use. It is the one
-- module above nn that nn names; it requires lunet.nn itself, which is why
-- this require cannot be at the top of an nn file (that would be a cycle).
local PROVIDER = "lunet.predictors"

-- evaluator(name) -> the hook 'evaluate' or 'evaluate_lazy'
function distributed.evaluator(name)
  if not distributed[name] then require(PROVIDER) end
  return assert(distributed[name], PROVIDER .. " did not fill lunet.nn.distributed." .. name)
end

return distributed
