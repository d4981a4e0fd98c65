--[[
  Extends the lease of an unfinished saga for its current owner (docs/architecture.md, saga step 5).

  Guarantees, in one atomic step: only if the saga exists, is RUNNING or ABORTING and its epoch
  equals ARGV[2], the lease becomes ARGV[3] in the saga and in the lease index. Setting the same
  lease twice changes nothing more, so a resend is harmless.

  KEYS[1]  saga hash
  KEYS[2]  lease index
  ARGV[1]  saga id
  ARGV[2]  epoch (the owner's view)
  ARGV[3]  new lease expiry, ms since epoch

  Returns 1 if renewed, else 0.
]]
local saga = redis.call('HMGET', KEYS[1], 'state', 'epoch')
if not saga[1] or tonumber(saga[2]) ~= tonumber(ARGV[2]) then
  return 0
end
if saga[1] ~= 'RUNNING' and saga[1] ~= 'ABORTING' then
  return 0
end
redis.call('HSET', KEYS[1], 'lease', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
