-- The cross-host benchmark (issue 22): DOWNPOUR with 2 workers on the Higgs
-- sample, its driver and each worker on a "host" of their own (a Linux
-- network namespace), each worker joined to the driver by a veth pair
-- shaped to a 1 Gbit/s link (tbf, both directions) with a 0.5 ms one-way
-- delay (netem, both directions, when the kernel has it). --reps runs per
-- configuration (CURVE or plain TCP, times each compression setting), one
-- machine-readable line each:
--   bench=crosshost trainer=DOWNPOUR workers=2 rate=1gbit delay_ms=0.5 curve=no
--   compression=none target_f1=0.82 seconds_to_target=... final_f1=...
--   bytes_per_commit=... seconds=... updates=... epochs=5 reps=3
-- seconds_to_target: from the run's start (the driver's socket bound, the
-- workers registering, the job and the data crossing the link) to the
-- first validation snapshot of the center (every 10 updates, the test
-- split, F1) whose F1 reaches --target-f1 (default 0.82: on the bundled
-- sample the uncompressed run passes it in its first or second epoch and
-- ends near 0.825); the median over --reps runs
-- ("never" when most never did; reached=R/N says how many did);
-- final_f1 (the returned center's F1) and seconds (train()'s wall time)
-- are medians too.
-- Without netem (a kernel built without sch_netem) the delay comes from
-- scripts/tools/delay_relay.c, one in each worker's namespace: the worker
-- connects to it on its loopback and it holds every byte 0.5 ms in each
-- direction before passing it on over the shaped veth (user space: its
-- copies and wake-ups take CPU the netem qdisc would not). The line then
-- says delay=relay(netem_missing) and min_hold_us, the shortest hold the
-- relays applied; without the relay's executable, delay_ms=0
-- delay=unavailable(netem_missing).
-- Run it through scripts/bench_crosshost.sh, as root: the shell script
-- removes the namespaces on every exit path (its trap) and skips, saying
-- why, without root or iproute2. --dry-run (no root) prints the planned
-- lines, for checking the command line and the line format.
-- usage: scripts/bench_crosshost.sh [--epochs N] [--reps N] [--target-f1 F] [--curve yes|no|both]
--        [--compression NAME,...] [--dry-run]   (--help lists the options)
local here = arg[0]:match("^(.*)/[^/]*$") or "scripts"
package.path = here .. "/lib/?.lua;" .. package.path
local core = require "lunet.core"
local args = dofile(here .. "/../examples/lib/args.lua")

local NAME = "bench_crosshost"
local RATE, DELAY_MS = "1gbit", 0.5
-- The compression settings measured (scripts/bench_compression.lua's
-- names), in order: name (as the line prints it) and the trainer options
-- it sets (compression, pull_compression). Extend the list to measure more.
local COMPRESSIONS = {
  { name = "none", options = {} },
  { name = "fp16", options = { compression = "fp16" } },
  { name = "bf16", options = { compression = "bf16" } },
  { name = "topk1", options = { compression = { top_k = 0.01 } } },
  { name = "q8", options = { compression = { quantize = 8 } } },
  { name = "fp16_pull", options = { compression = "fp16", pull_compression = "fp16" } },
  { name = "topk1_pull", options = { compression = { top_k = 0.01 }, pull_compression = "fp16" } },
}
local names = {}
for i, c in ipairs(COMPRESSIONS) do names[i] = c.name end

local o = args.parse({
  name = NAME, script = "scripts/bench_crosshost.lua",
  about = "DOWNPOUR (2 workers, Higgs sample) across emulated hosts: time to a target F1 over a shaped link.",
  options = {
    { name = "epochs", kind = "integer", default = 5, help = "epochs each run trains" },
    { name = "reps", kind = "integer", default = 3, help = "runs per configuration (the line has their medians)" },
    { name = "target-f1", kind = "number", min = 0, max = 1, default = 0.82, value = "F",
      help = "the validation F1 whose time to reach is printed" },
    { name = "curve", kind = "string", choices = { "yes", "no", "both" }, default = "both", value = "yes|no|both",
      help = "runs with ZeroMQ CURVE, without, or both" },
    { name = "compression", kind = "string", value = "NAME,...", default = table.concat(names, ","),
      help = "the compression settings run (_pull: pull_compression = 'fp16' too)" },
    { name = "dry-run", kind = "flag", help = "print the planned lines and exit (no root needed)" },
    { name = "prefix", kind = "string", value = "NAME",
      help = "the namespaces' prefix (given by bench_crosshost.sh)" },
    { name = "dir", kind = "string", value = "DIR",
      help = "a private directory for keys and output (given by bench_crosshost.sh)" },
  },
}, arg)

-- the configurations, CURVE-less first
local chosen = {}
for want in o.compression:gmatch("[^,]+") do
  local found
  for _, c in ipairs(COMPRESSIONS) do if c.name == want then found = c end end
  if not found then
    args.fail(NAME, ("--compression: unknown setting '%s' (known: %s)"):format(want, table.concat(names, ", ")), 2)
  end
  chosen[#chosen + 1] = found
end
local configs = {}
for _, curve in ipairs { "no", "yes" } do
  if o.curve == "both" or o.curve == curve then
    for _, c in ipairs(chosen) do configs[#configs + 1] = { curve = curve, compression = c } end
  end
end

-- The line's fixed part; link = {rate=, delay_ms=, delay_note=}.
local function head(cfg, link)
  return ("bench=crosshost trainer=DOWNPOUR workers=2 rate=%s delay_ms=%g%s curve=%s compression=%s target_f1=%.2f")
    :format(link.rate, link.delay_ms, link.delay_note and (" delay=" .. link.delay_note) or "", cfg.curve,
      cfg.compression.name, o["target-f1"])
end

if o["dry-run"] then
  for _, cfg in ipairs(configs) do
    print(head(cfg, { rate = RATE, delay_ms = DELAY_MS }) .. (" epochs=%d reps=%d dry_run=1"):format(o.epochs, o.reps))
  end
  os.exit(0)
end

if core.getuid() ~= 0 then
  print("bench=crosshost skipped=needs_root (network namespaces need CAP_NET_ADMIN)")
  os.exit(0)
end
local prefix = o.prefix
if not prefix or not prefix:match("^lunet%-xh%-%d+%-$") or not o.dir then
  args.fail(NAME, "run it through scripts/bench_crosshost.sh (its --prefix lunet-xh-PID- and --dir name the "
    .. "namespaces and the directory it removes on every exit)", 2)
end

local LUNET = core.executable()
local RELAY = (LUNET:match("^(.*)/[^/]*$") or ".") .. "/delay_relay" -- (built beside lunet: CMakeLists.txt)
local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  return p:close() == true, out
end
local function must(cmd)
  local ok, out = sh(cmd)
  if not ok then error(cmd .. " failed: " .. out, 0) end
end

-- ---- the hosts: d (driver), w1 and w2 (a worker each); link i is
-- 10.213.i.1 (d) -- 10.213.i.2 (wi); interface names within 15 characters
local id = prefix:match("(%d+)%-$")
local ns = { d = prefix .. "d", w = { prefix .. "w1", prefix .. "w2" } }
local ends = { { "lxh" .. id .. "d1", "lxh" .. id .. "w1" }, { "lxh" .. id .. "d2", "lxh" .. id .. "w2" } }

-- Shapes the egress of dev in namespace n: tbf at RATE; under netem's delay
-- when it exists. Returns whether the delay was applied, and why not.
local function shape(n, dev, delay)
  local tbf = ("tbf rate %s burst 256kb latency 10ms"):format(RATE)
  if delay then
    local ok, out = sh(("ip netns exec %s tc qdisc add dev %s root handle 1: netem delay %gms limit 100000")
      :format(n, dev, DELAY_MS))
    if ok then
      must(("ip netns exec %s tc qdisc add dev %s parent 1:1 handle 10: %s"):format(n, dev, tbf))
      return true
    end
    if not out:find("unknown", 1, true) then error("tc netem on " .. dev .. " failed: " .. out, 0) end
  end
  must(("ip netns exec %s tc qdisc add dev %s root %s"):format(n, dev, tbf))
  return false, "netem_missing"
end

local function up()
  for _, n in ipairs { ns.d, ns.w[1], ns.w[2] } do
    must("ip netns add " .. n)
    must("ip -n " .. n .. " link set lo up")
  end
  local delayed, why = true, nil
  for i, l in ipairs(ends) do
    must(("ip link add %s netns %s type veth peer name %s netns %s"):format(l[1], ns.d, l[2], ns.w[i]))
    must(("ip -n %s addr add 10.213.%d.1/24 dev %s"):format(ns.d, i, l[1]))
    must(("ip -n %s addr add 10.213.%d.2/24 dev %s"):format(ns.w[i], i, l[2]))
    must(("ip -n %s link set %s up"):format(ns.d, l[1]))
    must(("ip -n %s link set %s up"):format(ns.w[i], l[2]))
    for _, side in ipairs { { ns.d, l[1] }, { ns.w[i], l[2] } } do
      local ok, reason = shape(side[1], side[2], delayed)
      if not ok then delayed, why = false, reason end
    end
  end
  if not delayed then -- (netem missing on the first link: no end of any link has a delay)
    local f = io.open(RELAY)
    if f then f:close(); return { rate = RATE, delay_ms = DELAY_MS, delay_note = "relay(" .. why .. ")", relay = true } end
    return { rate = RATE, delay_ms = 0, delay_note = "unavailable(" .. why .. ")" }
  end
  return { rate = RATE, delay_ms = DELAY_MS }
end

local function down()
  for _, n in ipairs { ns.d, ns.w[1], ns.w[2] } do sh("ip netns del " .. n) end
end

-- ---- one run
local dir = o.dir
local started = {}

-- argv in namespace n, its output in dir/name.out, .err
local function start(n, name, argv)
  local pid = core.spawn({ "/bin/sh", "-c", 'exec "$@" >"$OUT" 2>"$ERR"', "sh", "ip", "netns", "exec", n,
                           table.unpack(argv) }, { OUT = dir .. "/" .. name .. ".out", ERR = dir .. "/" .. name .. ".err" })
  started[#started + 1] = pid
  return pid
end

local function read(path)
  local f = io.open(path)
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local HANG = 900 -- seconds: a run this long has hung
local function ended(pid, name)
  local done, code = core.wait(pid, HANG)
  if not done or code ~= 0 then
    error(("the %s %s; its stderr:\n%s"):format(name, done and ("exited with " .. tostring(code))
      or ("did not end within " .. HANG .. " s"), read(dir .. "/" .. name .. ".err") or ""), 0)
  end
end

-- The relays of a run (link.relay): one per worker namespace, on its
-- loopback at port, passing to the driver over the link; returns the
-- endpoints the workers connect to and the relays' pids.
local function relays(port)
  local eps, pids = {}, {}
  for i = 1, 2 do
    local ready = ("%s/relay%s-%d.ready"):format(dir, port, i)
    pids[i] = start(ns.w[i], "relay" .. i, { RELAY, "127.0.0.1:" .. port, ("10.213.%d.1:%s"):format(i, port),
                                            tostring(math.floor(DELAY_MS * 1000 + 0.5)), ready })
    local t0 = core.now()
    while not read(ready) do
      if core.now() - t0 > 60 then error("the delay relay in " .. ns.w[i] .. " did not start", 0) end
      core.sleep(0.01)
    end
    eps[i] = "tcp://127.0.0.1:" .. port
  end
  return eps, pids
end

-- The relays stopped (SIGTERM: each prints its line); the shortest hold they applied, in microseconds.
local function relays_done(pids)
  local shortest = math.huge
  for i, pid in ipairs(pids) do
    core.kill(pid, "TERM")
    ended(pid, "relay" .. i)
    local hold = tonumber((read(dir .. "/relay" .. i .. ".out") or ""):match("min_hold_us=([%d.]+)"))
    if not hold then error("the delay relay " .. i .. " printed no line", 0) end
    shortest = math.min(shortest, hold)
  end
  return shortest
end

local function run(k, cfg, link)
  local port = tostring(5600 + k)
  local keys = "-"
  local worker_keys = {}
  if cfg.curve == "yes" then
    keys = dir .. "/keys" .. k
    must("mkdir -m 700 " .. quote(keys))
    for _, who in ipairs { "server", "worker" } do must(("%s keygen %s"):format(quote(LUNET), quote(keys .. "/" .. who))) end
    must(("cp %s %s"):format(quote(keys .. "/worker.pub"), quote(keys .. "/authorized_keys")))
    worker_keys = { "--key", keys .. "/worker", "--server-key", keys .. "/server.pub" }
  end
  local out = dir .. "/result" .. k
  local compression = next(cfg.compression.options) and core.json_encode(cfg.compression.options) or "none"
  local d = start(ns.d, "driver", { LUNET, here .. "/lib/crosshost_driver.lua", port, keys, compression,
                                    tostring(o.epochs), out })
  local eps, relay_pids = {}, nil
  if link.relay then eps, relay_pids = relays(port) end
  local w = {}
  for i = 1, 2 do
    w[i] = start(ns.w[i], "worker" .. i, { LUNET, "worker", "--connect",
                                           eps[i] or ("tcp://10.213.%d.1:%s"):format(i, port),
                                           "--rank", tostring(i - 1), "--timeout", "120", table.unpack(worker_keys) })
  end
  ended(d, "driver")
  for i = 1, 2 do ended(w[i], "worker" .. i) end
  local hold = relay_pids and relays_done(relay_pids)
  started = {}
  local result = core.json_decode(assert(read(out), "the driver wrote no result"))
  result.min_hold_us = hold
  return result
end

local median = require("bench_timing").median_of

-- The line of a configuration from its runs' results: medians over the runs
-- (a run that never reached the target counts as infinitely slow).
local function line(cfg, link, results)
  local target = o["target-f1"]
  local reach, finals, walls, reached = {}, {}, {}, 0
  for i, r in ipairs(results) do
    reach[i] = math.huge
    for _, rec in ipairs(r.records) do
      if rec.f1 >= target then reach[i] = rec.seconds; reached = reached + 1; break end
    end
    local last = r.records[#r.records]
    finals[i], walls[i] = last and last.f1 or 0 / 0, r.wall
  end
  local t = median(reach)
  local hold = math.huge
  for _, r in ipairs(results) do hold = math.min(hold, r.min_hold_us or math.huge) end
  return head(cfg, link) .. (" seconds_to_target=%s reached=%d/%d final_f1=%.4f bytes_per_commit=%d seconds=%.2f "
    .. "updates=%d epochs=%d reps=%d%s"):format(t == math.huge and "never" or ("%.2f"):format(t), reached, #results,
    median(finals), results[1].bytes_per_commit, median(walls), results[1].num_updates, o.epochs, #results,
    link.relay and (" min_hold_us=%.1f"):format(hold) or "")
end

local ok, err = pcall(function()
  local link = up()
  local results, n = {}, 0
  for rep = 1, o.reps do -- (the configurations alternate: the machine's drift hits them alike)
    for k, cfg in ipairs(configs) do
      n = n + 1
      io.stderr:write(("bench_crosshost: run %d of %d: curve=%s compression=%s (rep %d)\n"):format(n,
        o.reps * #configs, cfg.curve, cfg.compression.name, rep))
      results[k] = results[k] or {}
      results[k][rep] = run(n, cfg, link)
    end
  end
  for k, cfg in ipairs(configs) do print(line(cfg, link, results[k])) end
end)
for _, pid in ipairs(started) do -- (a failed run's processes: ours, by id)
  if pcall(core.kill, pid, "KILL") then pcall(core.wait, pid, 5) end
end
down()
if not ok then args.fail(NAME, tostring(err)) end
