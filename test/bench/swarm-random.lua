-- wrk script of the swarm benchmark: every request goes to a random client CN
-- (swarm-0 … swarm-<SWARM_N - 1>); the percentile report comes from WRK_REPORT.
local n = tonumber(os.getenv("SWARM_N")) or 1
local report = os.getenv("WRK_REPORT")
if report then dofile(report) end
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/client/swarm-" .. math.random(0, n - 1) .. "/time")
end
