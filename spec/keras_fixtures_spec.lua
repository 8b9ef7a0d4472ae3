-- The real Keras files of ../shared/fixtures/keras (written by Keras 2.0 -
-- 2.11, tf.keras and Keras 3, from public repositories: PROVENANCE.md
-- there; they are never copied into this repository): one `it` per model,
-- loaded as a user loads it and predicting its expected.npz within 1e-4.
-- The folder is $LUNET_SHARED/fixtures/keras, else ../shared/fixtures/keras
-- beside the repository; when it is absent every case is pending, saying so.
-- A model whose training_config lunet refuses (a loss it lacks) is loaded
-- with {compile = false}, as the refusal's message says to; that is allowed
-- only for the files listed in COMPILE_REFUSED, with the reason expected.
local fixtures = dofile("scripts/lib/keras_fixture_check.lua")

local DIR = fixtures.shared_dir(".")

-- name -> the part of the training_config refusal expected for it (none
-- now: the IMDB model's BinaryCrossentropy(from_logits = true) compiles,
-- spec/keras_logits_spec.lua)
local COMPILE_REFUSED = {}

describe("the Keras fixtures of " .. DIR, function()
  if not fixtures.is_dir(DIR) then
    it("are checked when the folder exists", function()
      pending(DIR .. " is absent (set LUNET_SHARED to the folder holding fixtures/keras): the real Keras files are "
        .. "not checked")
    end)
    return
  end
  local list = fixtures.list(DIR)
  it("holds Keras model files", function() assert.is_true(#list > 0) end)
  for _, fx in ipairs(list) do
    it(fx.name .. " (" .. fx.format .. ") loads and predicts within 1e-4", function()
      assert(fx.expected, "no " .. fx.name .. ".expected.npz")
      local r = fixtures.check(fx)
      assert(r.loaded, r.reason)
      assert(r.max_abs_diff <= fixtures.TOLERANCE, ("max |diff| %g"):format(r.max_abs_diff))
      if r.note then
        local why = COMPILE_REFUSED[fx.name]
        assert(why and r.note:find(why, 1, true), "loaded only without compiling: " .. r.note)
      end
    end)
  end
end)
