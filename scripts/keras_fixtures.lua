-- Checks a folder of Keras model files against lunet: each model
-- (NAME.h5/.hdf5, NAME.keras, or NAME.json + NAME.weights.h5) is loaded as a
-- user would (nn.load_keras, nn.model_from_json + load_weights) and its
-- prediction on NAME.expected.npz's x compared with y; one machine-readable
-- line per file, then a total:
--   keras_fixture name=... format=h5|keras_zip|json+weights loaded=yes max_abs_diff=... within_1e-4=yes
--   keras_fixture name=... format=... loaded=no reason="..."
-- usage: build/lunet scripts/keras_fixtures.lua [--dir DIR]   (default: $LUNET_SHARED/fixtures/keras,
--        else ../shared/fixtures/keras beside the repository; spec/fixtures/keras holds the generated samples)
local here = arg[0]:match("^(.*)/[^/]*$") or "scripts"
package.path = here .. "/lib/?.lua;" .. package.path
local fixtures = require "keras_fixture_check"
local args = dofile(here .. "/../examples/lib/args.lua")

local NAME = "keras_fixtures"
local root = here .. "/.."
local o = args.parse({
  name = NAME, script = "scripts/keras_fixtures.lua",
  about = "Loads every Keras model file of a folder with lunet and compares its predictions with NAME.expected.npz "
    .. "(within " .. fixtures.TOLERANCE .. "): one line per file.",
  options = {
    { name = "dir", kind = "string", value = "DIR", default_text = "$LUNET_SHARED/fixtures/keras, else "
      .. "../shared/fixtures/keras", help = "the folder of model files and their NAME.expected.npz" },
  },
}, arg)
local dir = o.dir or fixtures.shared_dir(root)
if not fixtures.is_dir(dir) then args.fail(NAME, dir .. " is absent (set LUNET_SHARED or pass --dir DIR)") end

local list = fixtures.list(dir)
if #list == 0 then args.fail(NAME, dir .. " holds no Keras model files") end
local loaded, within = 0, 0
for _, fx in ipairs(list) do
  local r = fixtures.check(fx)
  print(fixtures.line(fx, r))
  io.stdout:flush()
  if r.loaded then
    loaded = loaded + 1
    if r.max_abs_diff and r.max_abs_diff <= fixtures.TOLERANCE then within = within + 1 end
  end
end
print(("keras_fixtures dir=%s total=%d loaded=%d within_1e-4=%d"):format(dir, #list, loaded, within))
