-- lunet.plot's sizes are bounded: a huge chart width or height, or a huge
-- number of ticks, is refused with a message naming the function and the
-- option, not drawn for minutes until memory runs out. Found by the API
-- fuzzer (scripts/fuzz_api.lua): plot.ticks(3, 10, 2^31) and
-- plot.line{width = 2^53} ran out of memory, plot.bar{width = 2^63} failed
-- inside string.format.
local plot = require "lunet.plot"
local h = dofile("spec/helpers.lua")

local SERIES = { { name = "a", x = { 1, 2, 3 }, y = { 3, 2, 1 } } }

describe("plot limits", function()
  it("refuses a tick count above 1000", function()
    h.assert_error("plot.ticks: target must be an integer from 1 to 1000, got 2147483648", function() plot.ticks(3, 10, 2 ^ 31) end)
    assert.are.equal(1001, #plot.ticks(0, 1000, 1000).values) -- 0, 1, ..., 1000
  end)

  it("refuses a chart wider or taller than 20000 px", function()
    h.assert_error("plot.line: width must be an integer from 120 to 20000, got 9007199254740994", function()
      plot.line { series = SERIES, width = 2 ^ 53 + 2 }
    end)
    h.assert_error("plot.histogram: height must be an integer from 120 to 20000, got 1073741824", function()
      plot.histogram { values = { 1, 2 }, height = 1 << 30 }
    end)
    assert.truthy(plot.line { series = SERIES, width = 20000, height = 20000 }:find("</svg>", 1, true))
  end)

  it("refuses a size that has no integer representation", function()
    h.assert_error("plot.bar: width must be an integer from 120 to 20000, got 9.2233720368548e+18", function()
      plot.bar { values = { 1 }, width = 2 ^ 63 }
    end)
  end)
end)
