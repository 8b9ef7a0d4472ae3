-- README.md's "Several hosts" section runs as written: its rehearsal on one
-- machine (the keys, hosts.lua with launcher = "external" and CURVE, the
-- driver and two hand-started workers) pasted block by block in a scratch
-- folder, with the port :5555 swapped for a free one; keys/ is git-ignored;
-- the mpirun command line is the one the section describes. Every wait is
-- for a process's exit; HANG only guards against a hang.
local core = require "lunet.core"
local launchers = require "lunet.runtime.launchers"
local h = dofile("spec/helpers.lua")

local LUNET = os.getenv("LUNET_EXECUTABLE") or core.executable()
local HANG = 300 -- seconds: a wait this long means a hang

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- The section's text, from its heading to the next one.
local function section(readme, heading)
  local first = assert(readme:find("\n## " .. heading, 1, true), "README.md has no section '" .. heading .. "'")
  local last = readme:find("\n## ", first + 4, true) or #readme
  return readme:sub(first, last)
end

-- The ```lang block after the first line that contains marker.
local function block(text, marker, lang)
  local at = assert(text:find(marker, 1, true), "no '" .. marker .. "' in the section")
  local fence = "```" .. lang .. "\n"
  local first = assert(text:find(fence, at, true), "no " .. lang .. " block after '" .. marker .. "'")
  local last = assert(text:find("\n```", first + #fence, true))
  return text:sub(first + #fence, last)
end

-- Runs a shell block in dir (sh -c, as pasted) until it exits; returns the
-- exit code, stdout and stderr.
local function sh(dir, text)
  local out, err = os.tmpname(), os.tmpname()
  local pid = core.spawn({ "/bin/sh", "-c", 'cd "$DIR" && exec /bin/sh -c "$BLOCK" >"$OUT" 2>"$ERR"' },
    { DIR = dir, BLOCK = text, OUT = out, ERR = err })
  local done, code = core.wait(pid, HANG)
  if not done then
    for _, c in ipairs(h.children(pid)) do pcall(core.kill, c, "KILL") end
    core.kill(pid, "KILL"); core.wait(pid, 5)
  end
  local o, e = h.read_file(out), h.read_file(err)
  os.remove(out); os.remove(err)
  assert(done, "the block did not end:\n" .. text .. "\nstdout:\n" .. o .. "\nstderr:\n" .. e)
  return code, o, e
end

describe("README.md, Several hosts", function()
  local text = section(h.read_file("README.md"), "Several hosts")
  local root = assert(io.popen("pwd")):read("l")
  local scratch = h.scratch()
  after_each(function() scratch.clean() end)

  it("the rehearsal on one machine trains with a CURVE driver and two hand-started workers", function()
    local dir = scratch.path()
    -- the repository's folder as the section sees it: build/lunet and examples/
    local build = LUNET:match("^(.*)/[^/]+$")
    if build:sub(1, 1) ~= "/" then build = root .. "/" .. build end
    assert(os.execute(("mkdir %s && ln -s %s %s/build && ln -s %s/examples %s/examples"):format(quote(dir),
      quote(build), quote(dir), quote(root), quote(dir))))
    local port = h.free_endpoint():match(":(%d+)$")
    local function with_port(s, n)
      local swapped, count = s:gsub(":5555", ":" .. port)
      assert.are.equal(n, count, "the port 5555 is not where it was in:\n" .. s)
      return swapped
    end

    local code, out, err = sh(dir, block(text, "<!-- hosts: keys", "sh"))
    assert.are.equal(0, code, out .. err)
    h.assert_contains(err, "lunet keygen: created keys/ (mode 0700)")
    assert.are.equal(tonumber("700", 8), (core.file_mode(dir .. "/keys")))
    for _, name in ipairs { "driver", "worker1", "worker2" } do
      assert.are.equal(tonumber("600", 8), (core.file_mode(dir .. "/keys/" .. name)), name)
    end
    local authorized = h.read_file(dir .. "/keys/authorized_keys")
    assert.are.equal(h.read_file(dir .. "/keys/worker1.pub") .. h.read_file(dir .. "/keys/worker2.pub"), authorized)

    local f = assert(io.open(dir .. "/hosts.lua", "w"))
    f:write(with_port(block(text, "<!-- file: hosts.lua", "lua"), 1))
    f:close()
    code, out, err = sh(dir, with_port(block(text, "<!-- hosts: run", "sh"), 2))
    assert.are.equal(0, code, out .. err)
    -- the driver asked for CURVE workers and both joined: nobody refused, nobody late
    h.assert_contains(err, "lunet: waiting for 2 workers; start each with:", "--server-key")
    assert.is_nil(err:find("never connected", 1, true), err)
    assert.is_nil(err:find("lunet worker:", 1, true), err)
    assert.truthy(out:match("\nworkers%s+2\n"), out)
    assert.truthy(out:match("\nsamples%s+45778\n"), out)
    assert.truthy(out:match("\nlost workers%s+0"), out)
  end)

  it("keys/ is git-ignored, secret keys included", function()
    if not os.execute("git rev-parse --is-inside-work-tree >/dev/null 2>&1") then
      pending("not a git work tree")
      return
    end
    for _, path in ipairs { "keys/driver", "keys/worker1", "keys/authorized_keys" } do
      assert.is_true(os.execute("git check-ignore -q " .. path) == true, path)
    end
  end)

  it("the mpirun command is the one the section describes, --allow-run-as-root only as root", function()
    local l = launchers.new({ launcher = "mpirun", num_workers = 8, hostfile = "hosts", num_threads = 1 }, nil)
    local argv = l:commands("tcp://head1:5555")[1]
    local expected = { "mpirun", "-np", "8", "--oversubscribe", "--enable-recovery", "-x", "OPENBLAS_NUM_THREADS",
                       "-x", "LUNET_EXECUTABLE" }
    if core.getuid() == 0 then expected[#expected + 1] = "--allow-run-as-root" end
    for _, a in ipairs { "--hostfile", "hosts", core.executable(), "worker", "--connect", "tcp://head1:5555" } do
      expected[#expected + 1] = a
    end
    assert.are.same(expected, argv)
    local said = text:gsub("%s+", " ")
    h.assert_contains(said, "`mpirun -np N --oversubscribe --enable-recovery -x OPENBLAS_NUM_THREADS -x "
      .. "LUNET_EXECUTABLE [--allow-run-as-root] [--hostfile F] lunet worker --connect",
      "adds `--allow-run-as-root` by itself when the driver runs as root")
  end)
end)
