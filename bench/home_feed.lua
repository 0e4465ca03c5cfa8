-- wrk script for bench/feed_bench.py: GET / (the home feed page) as several signed-in members.
--
-- usage: wrk -s bench/home_feed.lua http://127.0.0.1:PORT/ -- COOKIE_FILE
-- COOKIE_FILE holds one Cookie header value per line ("sessionid=...; csrftoken=...").
-- Each connection thread walks the cookie list from its own offset, so consecutive requests
-- come from different members. Responses that are not 2xx are counted (3xx included: a
-- signed-out redirect would otherwise look like success). At the end one line starting with
-- BENCH_JSON carries the figures for the Python driver.

local cookies = {}
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
    error("home_feed.lua needs the cookie file as its first argument")
  end
  for line in io.lines(path) do
    if #line > 0 then
      cookies[#cookies + 1] = line
    end
  end
  if #cookies == 0 then
    error("no cookies in " .. path)
  end
  counter = ((thread_no or 1) - 1) * 7
end

function request()
  counter = counter + 1
  local cookie = cookies[(counter % #cookies) + 1]
  return wrk.format("GET", "/", { ["Cookie"] = cookie })
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
