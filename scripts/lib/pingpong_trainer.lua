-- A trainer that does not train: each worker runs `rounds` commit_and_pull
-- round trips of a zero delta, timing the runtime's exchange path (worker
-- process -> driver rule -> worker) for scripts/bench_ps.lua. It is also the
-- smallest example of a trainer defined outside lua/lunet/trainers.
local base = require "lunet.trainers.base"

return base.define {
  name = "PingPong",
  module = "pingpong_trainer",
  options = { rounds = 200 },
  worker = function(ctx)
    local delta, into = ctx:buffer(), ctx:buffer()
    for _ = 1, ctx.options.rounds do ctx:commit_and_pull(delta, into) end
  end,
  server_commit = function(S, delta) S.vec.axpy(S.center, 1, delta) end,
  shardable = true,
}
