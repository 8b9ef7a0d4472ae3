-- lunet.feature checks every option when a transformer is made and every
-- argument of fit and transform (issue 14, items 10, 13 and 17): estimators
-- refuse an empty frame, BinaryLabelTransformer a label of the wrong kind,
-- OneHotTransformer a size below 1, Pipeline a stage that is not one.
local lunet = require "lunet"
local data, feature = lunet.data, lunet.feature
local h = dofile("spec/helpers.lua")

local function small()
  return data.frame { { "a", { 1, 2, 3 } }, { "s", { "x", "y", "x" } }, { "v", lunet.tensor { { 1, 2 }, { 3, 4 }, { 5, 6 } } } }
end

describe("lunet.feature checks", function()
  describe("fitting on an empty frame (item 10)", function()
    local empty = data.frame { { "a", lunet.zeros(0) }, { "v", lunet.zeros(0, 2) }, { "s", {} } }

    it("is an error for every estimator, not a model of zeros or infinities", function()
      h.assert_error("StandardScaler: cannot fit on an empty frame (column 'v' has no rows)", function()
        feature.StandardScaler { input_col = "v", output_col = "o" }:fit(empty)
      end)
      h.assert_error("MinMaxScaler: cannot fit on an empty frame (column 'a' has no rows)", function()
        feature.MinMaxScaler { input_col = "a", output_col = "o" }:fit(empty)
      end)
      h.assert_error("StringIndexer: cannot fit on an empty frame (column 'a' has no rows)", function()
        feature.StringIndexer { input_col = "a", output_col = "o" }:fit(empty)
      end)
      h.assert_error("StandardScaler: cannot fit on an empty frame", function()
        feature.Pipeline { stages = { feature.StandardScaler { input_col = "a", output_col = "o" } } }:fit(empty)
      end)
    end)

    it("a fitted model still transforms an empty frame", function()
      local m = feature.StandardScaler { input_col = "v", output_col = "o" }:fit(small())
      assert.are.equal(0, m:transform(empty):count())
    end)
  end)

  describe("BinaryLabelTransformer (item 13)", function()
    it("refuses a number label on a string column and a string label on a numeric one", function()
      h.assert_error("BinaryLabelTransformer: label 1 is a number but column 's' holds strings (give the label as a string)",
        function() feature.BinaryLabelTransformer { input_col = "s", output_col = "y", label = 1 }:transform(small()) end)
      h.assert_error("BinaryLabelTransformer: label '2' is a string but column 'a' holds numbers", function()
        feature.BinaryLabelTransformer { input_col = "a", output_col = "y", label = "2" }:transform(small())
      end)
      h.assert_error("BinaryLabelTransformer: column 'v' is a vector column, expected scalars", function()
        feature.BinaryLabelTransformer { input_col = "v", output_col = "y", label = 1 }:transform(small())
      end)
    end)

    it("refuses a label that is not a string or a finite number", function()
      for _, bad in ipairs { 0 / 0, math.huge, true, {} } do
        h.assert_error("BinaryLabelTransformer: option 'label' must be a string or a finite number, got ", function()
          feature.BinaryLabelTransformer { input_col = "s", output_col = "y", label = bad }
        end)
      end
      local out = feature.BinaryLabelTransformer { input_col = "s", output_col = "y", label = "x" }:transform(small())
      assert.are.same({ 1, 0, 1 }, out:column("y"):totable())
    end)
  end)

  describe("options (items 13 and 17)", function()
    it("OneHotTransformer and LabelIndexTransformer name output_dim, not the data", function()
      h.assert_error("OneHotTransformer: option 'output_dim' must be an integer from 1 to 2147483647, got -2", function()
        feature.OneHotTransformer { output_dim = -2, input_col = "a", output_col = "o" }
      end)
      h.assert_error("LabelIndexTransformer: option 'output_dim' must be an integer from 1 to 2147483647, got 4294967298",
        function() feature.LabelIndexTransformer { output_dim = (1 << 32) + 2, input_col = "v", output_col = "o" } end)
    end)

    it("booleans are booleans and numbers finite", function()
      h.assert_error("StandardScaler: option 'with_mean' must be true or false, got 1", function()
        feature.StandardScaler { input_col = "v", output_col = "o", with_mean = 1 }
      end)
      h.assert_error("StandardScaler: option 'with_std' must be true or false, got 'yes'", function()
        feature.StandardScaler { input_col = "v", output_col = "o", with_std = "yes" }
      end)
      h.assert_error("MinMaxScaler: option 'max' must be a finite number, got inf", function()
        feature.MinMaxScaler { input_col = "v", output_col = "o", max = math.huge }
      end)
      h.assert_error("MinMaxScaler: option 'min' must be a finite number, got nan", function()
        feature.MinMaxScaler { input_col = "v", output_col = "o", min = 0 / 0 }
      end)
    end)

    it("column names, shapes and labels are checked when the transformer is made", function()
      h.assert_error("StandardScaler: option 'input_col' must not be empty", function()
        feature.StandardScaler { input_col = "", output_col = "o" }
      end)
      h.assert_error("VectorAssembler: option 'input_cols' must not be empty", function()
        feature.VectorAssembler { input_cols = {}, output_col = "o" }
      end)
      h.assert_error("VectorAssembler: option 'input_cols'[2] must be a string, got 3", function()
        feature.VectorAssembler { input_cols = { "a", 3 }, output_col = "o" }
      end)
      h.assert_error("ReshapeTransformer: option 'shape'[2] must be an integer from 1 to 2147483647, got 0", function()
        feature.ReshapeTransformer { input_col = "v", output_col = "o", shape = { 2, 0 } }
      end)
      h.assert_error("ReshapeTransformer: option 'shape' has 4 entries, 1 to 3 allowed", function()
        feature.ReshapeTransformer { input_col = "v", output_col = "o", shape = { 1, 1, 1, 2 } }
      end)
      h.assert_error("IndexToString: option 'labels' holds 'a' twice (entries 1 and 3)", function()
        feature.IndexToString { input_col = "a", output_col = "o", labels = { "a", "b", "a" } }
      end)
      h.assert_error("StandardScalerModel: mean has 2 entries, std 1", function()
        feature.StandardScalerModel { input_col = "v", output_col = "o", with_mean = true, with_std = true,
          mean = { 1, 2 }, std = { 1 } }
      end)
      h.assert_error("StandardScaler: expected at most 1 argument, got 2", function()
        feature.StandardScaler({ input_col = "v", output_col = "o" }, 2)
      end)
    end)

    it("Pipeline names a stage that is not a transformer or an estimator", function()
      h.assert_error("Pipeline: stages[1] is 1, not a transformer or an estimator (an object with transform or fit)",
        function() feature.Pipeline { stages = { 1 } } end)
      h.assert_error("Pipeline: stages[2] is a table, not a transformer or an estimator", function()
        feature.Pipeline { stages = { feature.StandardScaler { input_col = "v", output_col = "o" }, {} } }
      end)
      h.assert_error("Pipeline: option 'stages' must be a list, got 'all'", function() feature.Pipeline { stages = "all" } end)
      h.assert_error("PipelineModel: stages[1] is a StringIndexer, not a transformer or a fitted model", function()
        feature.PipelineModel { stages = { feature.StringIndexer { input_col = "s", output_col = "i" } } }
      end)
    end)

    it("a stage's error names the pipeline's method, the stage and its kind", function()
      local empty = data.frame { v = lunet.zeros({ 0, 2 }) }
      local p = feature.Pipeline { stages = { feature.StandardScaler { input_col = "v", output_col = "o" } } }
      h.assert_error("Pipeline:fit: stage 1 (StandardScaler): StandardScaler: cannot fit on an empty frame",
        function() p:fit(empty) end)
      local model = p:fit(data.frame { v = lunet.ones({ 3, 2 }) })
      h.assert_error("PipelineModel:transform: stage 1 (StandardScalerModel): StandardScalerModel: unknown column 'v'",
        function() model:transform(data.frame { w = lunet.ones({ 3, 2 }) }) end)
    end)
  end)

  describe("fit and transform arguments", function()
    it("need a DataFrame and nothing more", function()
      local sc = feature.StandardScaler { input_col = "v", output_col = "o" }
      h.assert_error("StandardScaler: fit expects a DataFrame, got 5", function() sc:fit(5) end)
      h.assert_error("StandardScaler:fit: expected at most 1 argument, got 2", function() sc:fit(small(), 1) end)
      h.assert_error("StandardScaler: call fit on a StandardScaler (obj:fit(df)), got nil", function() sc.fit() end)
      local oh = feature.OneHotTransformer { output_dim = 2, input_col = "a", output_col = "o" }
      h.assert_error("OneHotTransformer: transform expects a DataFrame, got a table", function() oh:transform({}) end)
    end)

    it("feature.load and save check their paths", function()
      h.assert_error("feature.load: path must be a string, got 5", function() feature.load(5) end)
      h.assert_error("feature.load: cannot read '/nonexistent/m': No such file or directory", function()
        feature.load("/nonexistent/m")
      end)
    end)
  end)
end)
