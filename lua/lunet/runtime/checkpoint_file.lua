-- The checkpoint file: JSON metadata and raw float32 arrays in the model-file
-- container of core/nn/modelfile.c (magic, checksum, end mark), written
-- atomically and durably (temp file, fsync, rename, fsync of the directory)
-- so that a crash mid-write leaves the previous checkpoint in place. Nothing
-- in it is executable. Reading checks the container, the format, and that
-- every array the metadata lists is there with its size; errors name the file.
local core = require "lunet.core"

local file = {}

file.NAME = "checkpoint.lunet" -- the file in checkpoint_dir, replaced at every checkpoint
file.FORMAT = "lunet.checkpoint"
file.FORMAT_VERSION = 2 -- 2: `written` (checkpoints written) and `request` (its request id)

local function is_dir(path) return (pcall(core.listdir, path)) end

-- The checkpoint a resume_from value names: the file itself, or the one in
-- the directory.
function file.resolve(path)
  if is_dir(path) then return (path:gsub("/+$", "")) .. "/" .. file.NAME end
  return path
end

-- write(path, meta, arrays, raw): arrays is a list of {name=, tensor=};
-- their names and sizes go into meta.arrays, the data after the metadata.
-- raw = {[key] = JSON text} are fields already encoded (a long history).
function file.write(path, meta, arrays, raw)
  meta.format, meta.format_version, meta.lunet_version = file.FORMAT, file.FORMAT_VERSION, core.version
  meta.arrays = {}
  local tensors = {}
  for i, a in ipairs(arrays) do
    meta.arrays[i] = { name = a.name, numel = a.tensor:numel() }
    tensors[i] = a.tensor
  end
  for k in pairs(raw or {}) do meta[k] = "@raw:" .. k end
  local text = core.json_encode(meta)
  for k, v in pairs(raw or {}) do
    local i, j = text:find('"@raw:' .. k .. '"', 1, true)
    text = text:sub(1, i - 1) .. v .. text:sub(j + 1)
  end
  core.file_save(path, text, tensors)
end

-- read(path) -> meta, {[name] = tensor}; path may be the checkpoint's
-- directory. Errors "'path' ..." say what is wrong with the file (missing,
-- truncated, corrupt, foreign, damaged).
function file.read(path)
  path = file.resolve(path)
  -- (opening a FIFO would block until someone writes to it)
  local kind = core.file_kind(path)
  if kind and kind ~= "file" then error(string.format("'%s' is a %s, not a checkpoint file", path, kind), 0) end
  local ok, text, tensors = pcall(core.nn_read, path)
  if not ok then
    local why = tostring(text):gsub("^load: ", ""):gsub("is not a lunet model file", "is not a lunet checkpoint")
    error(why, 0)
  end
  local ok2, meta = pcall(core.json_decode, text)
  if not ok2 or type(meta) ~= "table" then error(string.format("'%s' has unreadable metadata", path), 0) end
  if meta.format ~= file.FORMAT then
    error(string.format("'%s' is not a lunet checkpoint (it holds %s)", path,
      type(meta.format) == "string" and "a " .. meta.format .. " file" or "something else"), 0)
  end
  if meta.format_version ~= file.FORMAT_VERSION then
    error(string.format("'%s' is a checkpoint of format version %s; this lunet reads version %d", path,
      tostring(meta.format_version), file.FORMAT_VERSION), 0)
  end
  if type(meta.arrays) ~= "table" or #meta.arrays ~= #tensors then
    error(string.format("'%s' is damaged: its metadata lists %s arrays, the file holds %d", path,
      type(meta.arrays) == "table" and tostring(#meta.arrays) or "no", #tensors), 0)
  end
  local byname = {}
  for i, a in ipairs(meta.arrays) do
    if type(a) ~= "table" or type(a.name) ~= "string" or tensors[i]:numel() ~= a.numel then
      error(string.format("'%s' is damaged: array %d (%s) should hold %s values, it holds %d", path, i,
        type(a) == "table" and tostring(a.name) or "?", type(a) == "table" and tostring(a.numel) or "?",
        tensors[i]:numel()), 0)
    end
    byname[a.name] = tensors[i]
  end
  return meta, byname
end

-- Temp files a killed writer left next to path (core/nn/modelfile.c names
-- them path.tmpXXXXXX): removed before the next write.
function file.remove_stale(path)
  local dir, base = path:match("^(.*)/([^/]+)$")
  if not dir then dir, base = ".", path end
  local ok, names = pcall(core.listdir, dir == "" and "/" or dir)
  if not ok then return 0 end
  local removed = 0
  local prefix = base .. ".tmp"
  for _, n in ipairs(names) do
    if n:sub(1, #prefix) == prefix and #n == #prefix + 6 then
      if os.remove(dir .. "/" .. n) then removed = removed + 1 end
    end
  end
  return removed
end

return file
