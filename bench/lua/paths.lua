-- wrk script: replays the request paths in $BENCH_PATHS (one per line) in
-- file order, each thread from its own offset. The file's order is the
-- workload's distribution (e.g. a Zipf sample), so both servers under test
-- see the same sequence of keys.
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do
  paths[#paths + 1] = line
end
local next_index = 1

function setup(thread)
  thread:set("offset", math.random(#paths))
end

function init(args)
  next_index = (tonumber(offset) or 1)
end

function request()
  local path = paths[next_index]
  next_index = next_index % #paths + 1
  return wrk.format("GET", path)
end
