-- SPDX-License-Identifier: GPL-2.0-or-later
-- wrk script: the endpoints of flask_app.py weighted as a locustfile would weight
-- its tasks, list users : one user : leak = 1 : 4 : 3. Argument "cache" puts the
-- growing cache (random pages) in the leak's place; "none" only the transient
-- endpoints. Each connection waits delay_ms between requests to bound the load.
local mode = "leak"
local delay_ms = 10

function init(args)
	mode = args[1] or "leak"
	delay_ms = tonumber(args[2] or "10")
	math.randomseed(os.time() + math.random(1000))
end

function request()
	local r = math.random(8)
	local path
	if r == 1 then
		path = "/users"
	elseif r <= 5 or mode == "none" then
		path = "/users/" .. math.random(100)
	elseif mode == "cache" then
		path = "/page/p" .. math.random(1000000000)
	else
		path = "/leak"
	end
	return wrk.format("GET", path)
end

function delay()
	return delay_ms
end
