-- wrk script for bench/feed_bench.py --api-post: POST /api/v1/statuses (form-encoded) as
-- several members, each with their bearer token, every status with a text of its own.
--
-- usage: wrk -s bench/api_post.lua http://127.0.0.1:PORT/api/v1/statuses -- TOKEN_FILE [RUN_TAG]
-- TOKEN_FILE holds one raw access token per line; RUN_TAG (optional) goes into every text, so
-- the statuses of one run differ from another's. As in api_home.lua, each connection thread
-- walks the token list from its own offset. Answers are counted by kind: not 2xx, 429 (rate
-- limited) and 5xx. The counters are globals: wrk's thread:get() in done() cannot read a
-- script's locals. One line starting with BENCH_JSON carries the figures for the driver.

local tokens = {}
local tag = "run"
local counter = 0
non2xx = 0
status429 = 0
status5xx = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

function init(args)
  local path = args[1]
  if path == nil then
    error("api_post.lua needs the token file as its first argument")
  end
  for line in io.lines(path) do
    if #line > 0 then
      tokens[#tokens + 1] = line
    end
  end
  if #tokens == 0 then
    error("no tokens in " .. path)
  end
  if args[2] ~= nil and #args[2] > 0 then
    tag = args[2]
  end
  counter = ((thread_no or 1) - 1) * 7
end

function request()
  counter = counter + 1
  local token = tokens[(counter % #tokens) + 1]
  -- Only letters, digits, '-' and '+' (a space): nothing to percent-encode.
  local body = string.format(
    "status=Bench+post+%s-%d-%d+through+the+API+about+the+garden+and+the+market",
    tag, thread_no or 1, counter)
  return wrk.format("POST", wrk.path, {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
  if status == 429 then
    status429 = status429 + 1
  elseif status >= 500 then
    status5xx = status5xx + 1
  end
end

function done(summary, latency, requests)
  local bad, limited, failed = 0, 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
    limited = limited + (thread:get("status429") or 0)
    failed = failed + (thread:get("status5xx") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "non2xx": %d, ' ..
    '"status_429": %d, "status_5xx": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"min": %d, "mean": %.1f, "stdev": %.1f, "max": %d, ' ..
    '"p50": %d, "p75": %d, "p90": %d, "p99": %d, "p999": %d}}\n',
    summary.requests, summary.duration, summary.bytes, bad, limited, failed,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)))
end
