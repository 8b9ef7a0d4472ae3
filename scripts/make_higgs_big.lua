-- Writes a Higgs-layout directory of any size, for the benchmarks of data
-- larger than memory and for users who want to try scale: the bundled
-- 22,889-event sample (examples/data) repeated with small seeded jitter, so
-- rows differ. The layout is what Spark's df.write.csv(dir) leaves: parts
-- named part-00000-<job uuid>-c000.csv[.gz], each with the same header line,
-- and an empty _SUCCESS marker; the directory appears whole or not at all
-- (written as a temporary directory beside DIR, renamed at the end).
--
-- Row g (0-based over the whole directory) is sample row g mod 22,889 with:
-- EventId = the sample's first EventId + g (unique); every double column
-- named DER_* or PRI_* times (1 + 0.01 n), n a standard normal draw of the
-- seeded generator, rounded to 3 decimals as the sample is written, except
-- the values below -499 (the data's -999.0, which means "undefined") that
-- stay as they are; PRI_jet_num, Weight, Label,
-- KaggleSet and KaggleWeight unchanged, so labels and jet counts stay valid.
-- Per-row work is C: row copies are column slices and concats, the jitter is
-- tensor arithmetic, the text (and the gzip) comes from write_csv; memory
-- holds one part.
--
-- usage: build/lunet scripts/make_higgs_big.lua --rows N --out DIR [--parts K] [--seed S] [--gzip]
--        [--sample FILE]   (--help lists the options and their defaults)
local here = arg[0]:match("^(.*)/[^/]*$") or "scripts"
local lunet = require "lunet"
local core = require "lunet.core"
local data = lunet.data
local args = dofile(here .. "/../examples/lib/args.lua")

local NAME = "make_higgs_big"
local SAMPLE = here .. "/../examples/data/atlas_higgs_v2_first22889.csv.gz"
local ROWS_PER_PART = 250000 -- the default part size: about 75 MB of CSV, near Spark's 128 MB blocks
local JITTER = 0.01 -- the relative standard deviation of the jitter
local o = args.parse({
  name = NAME, script = "scripts/make_higgs_big.lua",
  about = "A Spark-style directory of Higgs-layout CSV parts: the bundled sample repeated with seeded jitter.",
  options = {
    { name = "rows", kind = "integer", help = "rows in all", default_text = "required" },
    { name = "out", kind = "string", value = "DIR", help = "the directory to create (it must not exist)",
      default_text = "required" },
    { name = "parts", kind = "integer", default_text = "one per 250,000 rows", help = "part files" },
    { name = "seed", kind = "integer", min = 0, default = 1, help = "the jitter's seed" },
    { name = "gzip", kind = "flag", help = "write part-*.csv.gz (gzip) instead of part-*.csv" },
    { name = "sample", kind = "string", value = "FILE", default_text = "examples/data/atlas_higgs_v2_first22889.csv.gz",
      help = "the Higgs-layout CSV repeated (with a header line)" },
  },
  notes = { "", "Row g is the sample's row g mod its size, EventId made unique and the DER_*/PRI_* doubles "
    .. "jittered by 1% (the undefined -999.0 kept). Memory holds one part: about 250 MB at 250,000 rows a part." },
}, arg)

local function usage(fmt, ...)
  args.fail(NAME, fmt:format(...) .. " (lunet scripts/make_higgs_big.lua --help lists the options)", 2)
end
if not o.rows then usage("option --rows N is required (the rows to write)") end
if not o.out then usage("option --out DIR is required (the directory to create)") end
local rows, out = o.rows, o.out:gsub("/+$", "")
if out == "" then usage("option --out: '/' cannot be the directory to create") end
local parts = o.parts or (rows + ROWS_PER_PART - 1) // ROWS_PER_PART
if parts > rows then usage("option --parts %d is more than --rows %d: every part needs a row", parts, rows) end
if parts > 99999 then usage("option --parts %d: part names have 5 digits (at most 99999 parts)", parts) end
if core.file_kind(out) then args.fail(NAME, ("%s exists already: %s writes a new directory only (remove it, or "
  .. "choose another --out)"):format(out, NAME)) end
local sample_path = o.sample or SAMPLE
if core.file_kind(sample_path) ~= "file" then args.fail(NAME, ("--sample: no file at %s"):format(sample_path)) end

-- ---- the sample, and which of its columns change ----
local ok, sample = pcall(data.read_csv, sample_path, { header = true, infer_schema = true })
if not ok then args.fail(NAME, sample) end
local S = sample:count()
if S == 0 then args.fail(NAME, ("--sample %s has no rows"):format(sample_path)) end
local has, jittered = {}, {}
for _, name in ipairs(sample:columns()) do
  has[name] = sample:dtype(name)
  if (name:match("^DER_") or name:match("^PRI_")) and sample:dtype(name) == "double" then
    jittered[#jittered + 1] = name
  end
end
if has.EventId ~= "integer" then
  args.fail(NAME, ("--sample %s: expected an integer EventId column, found %s"):format(sample_path,
    has.EventId and ("a " .. has.EventId .. " one") or "none"))
end
-- (the Column's own value: column() would give a float32 tensor, inexact past 2^24)
local first_id = sample:_column("EventId"):get(1)

-- ---- the rows: slices of the sample repeated, built once ----
-- A part starts anywhere in the sample, so the block holds enough copies
-- for a part starting at the sample's last row; doubling makes them with
-- log2(copies) concats.
local part_rows = (rows + parts - 1) // parts
local block = sample
while block:count() < S - 1 + part_rows do block = block:union(block) end
collectgarbage() -- (the smaller copies)

local gen = lunet.Generator(o.seed)
-- x rounded in place to 3 decimals, as the sample is written (and so
-- written back short): adding then subtracting 1.5 * 2^23 rounds a float32
-- of magnitude below 2^22 to an integer (the sum's spacing is 1 there);
-- above it (masses beyond 4194) to an even integer, still 3 decimals.
local ROUND = 1.5 * 2 ^ 23
local function decimals3(x)
  return x:mul_(1000):add_(ROUND):sub_(ROUND):div_(1000)
end
-- df with its DER_*/PRI_* doubles jittered: x (1 + JITTER n), except below
-- -499 (the undefined -999.0). The mask is arithmetic, so the work stays in
-- C: 1 - relu(1 - relu(x + 500)) is 0 at -999 and 1 at every value above
-- -499. Temporaries are closed as soon as used: the collector does not see
-- tensor memory, and a part's would pile up.
local function jitter(df)
  local noise = lunet.zeros(df:count())
  for _, name in ipairs(jittered) do
    local view = df:column(name)
    local x = view:clone() -- (column() may share the frame's memory)
    view:close()
    local shifted = x + 500
    local defined = shifted:relu()
    shifted:close()
    defined:scale_(-1):add_(1)
    local undefined = defined:relu()
    defined:close()
    gen:fill_normal(noise, 0, JITTER)
    noise:mul_(undefined:scale_(-1):add_(1)):mul_(x) -- x n where defined, else 0
    undefined:close()
    df = df:with_column(name, decimals3(x:add_(noise)))
    x:close()
  end
  noise:close()
  return df
end

-- EventIds first_id + g for the part's rows (a Lua list: integer columns
-- are float64 in C and exact; a float32 tensor would not be past 2^24).
local function event_ids(first_row, n)
  local ids = {}
  for k = 1, n do ids[k] = first_id + first_row + k - 1 end
  return ids
end

-- Spark names a job's parts with one random UUID; this one comes from the
-- seed's generator too, so a seed gives the same names.
local function job_uuid()
  local hex = {}
  for k = 1, 32 do hex[k] = ("%x"):format(gen:integer(0, 15)) end
  local h = table.concat(hex)
  -- (a version-4 UUID's layout: the version digit 4, the variant digit 8 to b)
  local variant = ("%x"):format(8 + gen:integer(0, 3))
  return ("%s-%s-4%s-%s%s-%s"):format(h:sub(1, 8), h:sub(9, 12), h:sub(14, 16), variant, h:sub(18, 20), h:sub(21, 32))
end

-- Writes df to path .. ".csv", or to path .. ".csv.gz" when gz: write_csv
-- compresses (zlib) only as a directory, so the part is written as a
-- one-part directory beside it whose file is then renamed into place.
local function write_part(df, path, gz)
  if not gz then return df:write_csv(path .. ".csv") end
  local sub = path .. ".dir"
  df:write_csv(sub, { partitions = 1, compression = "gzip" })
  local names = core.listdir(sub)
  for _, n in ipairs(names) do
    if n:match("^part%-.*%.csv%.gz$") then
      local ok_mv, why = os.rename(sub .. "/" .. n, path .. ".csv.gz")
      if not ok_mv then error(why, 0) end
    else
      os.remove(sub .. "/" .. n)
    end
  end
  os.remove(sub)
end

-- The temporary directory: beside DIR (same file system, so the rename is
-- atomic), named from the time and process so two runs do not meet.
local parent = out:match("^(.*)/[^/]*$") or "."
if parent ~= "" and parent ~= "." then core.mkdirs(parent) end
local tmp = ("%s/.%s.tmp-%d-%d"):format(parent, out:match("[^/]*$"), core.getpid(),
  math.floor(lunet.now() * 1e6) % 1000000000)
if core.file_kind(tmp) then args.fail(NAME, ("the temporary directory %s exists already"):format(tmp)) end
core.mkdirs(tmp)

local function remove_tmp()
  local ok_list, names = pcall(core.listdir, tmp)
  for _, n in ipairs(ok_list and names or {}) do os.remove(tmp .. "/" .. n) end
  os.remove(tmp)
end

local t0 = lunet.now()
local uuid = job_uuid()
local bytes = 0
local ok_write, err = pcall(function()
  for p = 0, parts - 1 do
    -- rows first .. first + n - 1 of the directory (the parts differ by at most one row)
    local first = p * rows // parts
    local n = (p + 1) * rows // parts - first
    local df = block:slice(first % S + 1, n):with_column("EventId", event_ids(first, n))
    df = jitter(df)
    local name = ("part-%05d-%s-c000"):format(p, uuid)
    write_part(df, tmp .. "/" .. name, o.gzip)
    name = name .. (o.gzip and ".csv.gz" or ".csv")
    local f = assert(io.open(tmp .. "/" .. name, "rb"))
    bytes = bytes + f:seek("end")
    f:close()
    df = nil
    collectgarbage() -- (the part's columns: the next part's take their place)
    io.write(("%s: part %d/%d, %d rows\n"):format(NAME, p + 1, parts, n))
    io.stdout:flush()
  end
  local f = assert(io.open(tmp .. "/_SUCCESS", "wb"))
  f:close()
  if core.file_kind(out) then error(("%s appeared while the parts were written; it is left as it is"):format(out), 0) end
  local ok_mv, why = os.rename(tmp, out)
  if not ok_mv then error(("cannot rename %s to %s: %s"):format(tmp, out, why), 0) end
end)
if not ok_write then
  remove_tmp()
  args.fail(NAME, tostring(err))
end
print(("%s: wrote %s: %d rows in %d parts, %d columns, %.1f MB, %.1f s"):format(NAME, out, rows, parts,
  #sample:columns(), bytes / 1e6, lunet.now() - t0))
