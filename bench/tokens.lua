-- wrk script: sends one bearer token per request, cycling through the file
-- named by $TOKENS (one token per line). With as many tokens as requests,
-- every request is a cache miss (cold verification).
local tokens = {}
for line in io.lines(os.getenv("TOKENS")) do
	tokens[#tokens + 1] = line
end
local i = math.random(#tokens)

request = function()
	i = i % #tokens + 1
	return wrk.format("GET", "/", { ["Authorization"] = "Bearer " .. tokens[i] })
end
