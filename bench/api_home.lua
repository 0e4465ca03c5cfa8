-- wrk script for bench/feed_bench.py --api: GET the URL's path (the Mastodon home timeline,
-- /api/v1/timelines/home?limit=20) as several members, each with their bearer token.
--
-- usage: wrk -s bench/api_home.lua 'http://127.0.0.1:PORT/api/v1/timelines/home?limit=20' -- TOKEN_FILE
-- TOKEN_FILE holds one raw access token per line. As in home_feed.lua, each connection thread
-- walks the list from its own offset, answers that are not 2xx are counted, and one line
-- starting with BENCH_JSON carries the figures for the Python driver.

local tokens = {}
local counter = 0
local non2xx = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

function init(args)
  local path = args[1]
  if path == nil then
    error("api_home.lua needs the token file as its first argument")
  end
  for line in io.lines(path) do
    if #line > 0 then
      tokens[#tokens + 1] = line
    end
  end
  if #tokens == 0 then
    error("no tokens in " .. path)
  end
  counter = ((thread_no or 1) - 1) * 7
end

function request()
  counter = counter + 1
  local token = tokens[(counter % #tokens) + 1]
  return wrk.format("GET", wrk.path, { ["Authorization"] = "Bearer " .. token })
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "non2xx": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"min": %d, "mean": %.1f, "stdev": %.1f, "max": %d, ' ..
    '"p50": %d, "p75": %d, "p90": %d, "p99": %d, "p999": %d}}\n',
    summary.requests, summary.duration, summary.bytes, bad,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)))
end
