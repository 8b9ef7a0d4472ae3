-- The table of the 16-worker search (scripts/thesis/stable.lua's lines, e.g.
-- scripts/thesis/results/stable.txt): one row per setting (the line without its seed and
-- measurements), with the runs' accuracies, their mean and the worst run's
-- difference to SingleTrainer on the same seed with the same worker_optimizer
-- (the setup's Adam 0.001 when the line names none). Markdown on stdout.
--   lunet scripts/thesis/stable_table.lua scripts/thesis/results/stable.txt
local path = arg[1]
if not path then io.stderr:write("usage: lunet scripts/thesis/stable_table.lua RESULTS_FILE\n"); os.exit(2) end
local file = assert(io.open(path, "r"))

local MEASURED = { accuracy = true, seconds = true, mean_staleness = true, updates = true, oversubscribed = true,
                   seed = true, thesis = true, quick = true }
local rows, order, single = {}, {}, {}
for line in file:lines() do
  if line:match("^thesis=stable ") then
    local key, fields = {}, {}
    for k, v in line:gmatch("([%w_]+)=(%S+)") do
      fields[k] = v
      if not MEASURED[k] then key[#key + 1] = k .. "=" .. v end
    end
    local seed, acc = tonumber(fields.seed or "1"), tonumber(fields.accuracy)
    -- (a run is compared with SingleTrainer of its seed and worker optimizer: the setup's Adam when not given)
    local family = seed .. "/" .. (fields.worker_optimizer or "-")
    if fields.trainer == "SingleTrainer" then single[family] = acc end
    local name = table.concat(key, " ")
    if not rows[name] then rows[name] = { runs = {} }; order[#order + 1] = name end
    table.insert(rows[name].runs, { seed = seed, accuracy = acc, family = family })
  end
end
file:close()

print("| setting | runs (seed: accuracy) | mean | worst run - SingleTrainer (same seed) |")
print("| --- | --- | --- | --- |")
for _, name in ipairs(order) do
  local r, parts, sum, worst = rows[name], {}, 0, nil
  table.sort(r.runs, function(a, b) return a.seed < b.seed end)
  for _, run in ipairs(r.runs) do
    parts[#parts + 1] = ("%d: %.4f"):format(run.seed, run.accuracy)
    sum = sum + run.accuracy
    if single[run.family] then
      local gap = single[run.family] - run.accuracy
      worst = worst and math.max(worst, gap) or gap
    end
  end
  print(("| %s | %s | %.4f | %s |"):format(name, table.concat(parts, ", "), sum / #r.runs,
    worst and ("%+.4f"):format(0.0 - worst + 0.0) or "-"))
end
