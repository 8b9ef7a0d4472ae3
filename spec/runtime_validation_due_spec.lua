-- When validation records are due (runtime/validation.lua's check_due),
-- driven without processes: the run's clock and epochs are a stand-in, the
-- snapshots are recorded instead of sent to the evaluator.
local validation = require "lunet.runtime.validation"

-- a validation every `every` epochs of a num_epoch run, its epochs done set by the returned function
local function due_epochs(every, num_epoch)
  local done, finished, taken = 0, false, {}
  local run = {
    metrics = { epochs_done = function() return done end, t0 = 0 },
    center = { weights = function() return "w" end, clock_now = function() return 0 end },
    roster = { finished = function() return finished end },
  }
  local v = setmetatable({ run = run, o = { num_epoch = num_epoch }, every = { epochs = every }, next_epoch = every,
                           snapshot = function(_, _, _, boundary) taken[#taken + 1] = boundary end },
                         validation.Validation)
  return v, taken, function(d, f) done, finished = d, f or false end
end

describe("validation records due at epoch ends", function()
  it("one record per epoch end, in order", function()
    local v, taken, set = due_epochs(1, 4)
    for d = 0, 3 do set(d); v:check_due() end
    assert.same({ 1, 2, 3 }, taken) -- (the 4th, the run's end, is final's)
  end)

  it("epochs that end at one message each get their record (a straggler's shard read after the next epoch's)", function()
    local v, taken, set = due_epochs(1, 5)
    set(1); v:check_due()
    set(3); v:check_due()
    assert.same({ 1, 2, 3 }, taken)
  end)

  it("also when the run's last epochs end together, after every worker finished", function()
    local v, taken, set = due_epochs(1, 3)
    set(1); v:check_due()
    set(3, true); v:check_due()
    assert.same({ 1, 2 }, taken) -- (3 is final's)
  end)

  it("every N epochs: the multiples of N before the last epoch", function()
    local v, taken, set = due_epochs(2, 7)
    set(5); v:check_due()
    set(7, true); v:check_due()
    assert.same({ 2, 4, 6 }, taken)
  end)
end)
