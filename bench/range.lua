-- wrk script for bench/range.sh: GETs of the URL given to wrk, each with a random
-- `Range: bytes=a-b` of RANGE_SIZE bytes inside a file of FILE_LEN bytes, or plain
-- whole-file GETs when RANGE_SIZE is 0. Prints one machine-readable RESULT line.
-- No response() callback on purpose: with one, wrk copies every body into Lua, which
-- would cost the client more than the servers. range.sh checks statuses with curl
-- beforehand and the bytes per response afterwards instead.
--
--   RANGE_SIZE=1048576 FILE_LEN=209715200 wrk -t2 -c64 -d10s -s bench/range.lua URL

local size = tonumber(os.getenv("RANGE_SIZE") or "0")
local len = tonumber(os.getenv("FILE_LEN") or "0")
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  math.randomseed(id * 7919 + os.time())
end

-- Whole-file GETs keep wrk's static request (no Lua call per request).
if size > 0 then
  function request()
    local first = math.random(0, len - size)
    return wrk.format("GET", nil, { ["Range"] = "bytes=" .. first .. "-" .. (first + size - 1) })
  end
end

function done(summary, latency, requests)
  io.write(string.format(
    "RESULT requests=%d bytes=%d duration_us=%d p50_us=%d p99_us=%d errors=%d\n",
    summary.requests, summary.bytes, summary.duration,
    latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout))
end
