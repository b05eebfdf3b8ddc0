-- wrk script: searches for words from $BENCH_WORDS, in random order, with a
-- random page size (10-40). Run against a server with its cache off
-- (EMPORIUM_CACHE_MAX_BYTES=0), so each pays for search, ranking and facets.
local words = {}
for line in io.lines(os.getenv("BENCH_WORDS")) do
  words[#words + 1] = line
end

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
  local word = words[math.random(#words)]
  local limit = math.random(10, 40)
  return wrk.format("GET", "/api/v1/products?q=" .. word .. "&limit=" .. limit)
end
