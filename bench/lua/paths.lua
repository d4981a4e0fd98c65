-- wrk script for every closed-loop scenario: one request template with an id in it.
--
-- wrk -s paths.lua URL -- METHOD TEMPLATE MODE LO COUNT THREADS
--   TEMPLATE  path with "{id}" where the id goes, e.g. /orders/checkout/{id}
--   MODE      seq:  each id of LO .. LO+COUNT-1 once, spread over the threads (thread i takes
--                   LO+i, LO+i+THREADS, ...); past the end it wraps and counts the wraps, so
--                   the report can tell whether a "fresh orders" run stayed fresh
--             rand: ids drawn uniformly from LO .. LO+COUNT-1
-- done() prints one line "BENCH_JSON {...}" with the summary, latency percentiles (µs) and
-- responses by status class, which bench/load.ts parses.

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  method = args[1]
  template = args[2]
  mode = args[3]
  lo = tonumber(args[4])
  count = tonumber(args[5])
  nthreads = tonumber(args[6])
  sent = 0
  wrapped = 0
  counts = { 0, 0, 0, 0, 0 }
  math.randomseed(os.time() * 1000 + tid * 7919)
end

function request()
  local k
  if mode == "seq" then
    k = tid + sent * nthreads
    if k >= count then
      wrapped = wrapped + 1
      k = k % count
    end
  else
    k = math.random(0, count - 1)
  end
  sent = sent + 1
  local path = string.gsub(template, "{id}", tostring(lo + k))
  return wrk.format(method, path)
end

function response(status, headers, body)
  local class = math.floor(status / 100)
  if class >= 1 and class <= 5 then
    counts[class] = counts[class] + 1
  end
end

function done(summary, latency, requests)
  local c = { 0, 0, 0, 0, 0 }
  local w = 0
  for _, thread in ipairs(threads) do
    local tc = thread:get("counts")
    for i = 1, 5 do
      c[i] = c[i] + tc[i]
    end
    w = w + thread:get("wrapped")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"durationUs":%d,"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},' ..
      '"latencyUs":{"p50":%d,"p90":%d,"p99":%d,"max":%d},' ..
      '"status":{"1xx":%d,"2xx":%d,"3xx":%d,"4xx":%d,"5xx":%d},"wrapped":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    c[1], c[2], c[3], c[4], c[5], w))
end
