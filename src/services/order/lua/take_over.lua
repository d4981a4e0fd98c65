--[[
  Claims an unfinished saga whose lease expired (docs/architecture.md, saga step 5): epoch + 1, so every write
  of the previous owner is fenced off from now on.

  Guarantees, in one atomic step:
  - only if the saga is RUNNING or ABORTING and its lease < ARGV[3]: epoch + 1, owner ARGV[2],
    lease ARGV[4] (saga and lease index), and the saga is returned;
  - a resend of this very call (same owner, and the lease it set still in place) returns the
    saga again without a second increment: the lease ARGV[4] lies in the future, so no other
    takeover can have set it;
  - else nil, nothing changed.

  KEYS[1]  saga hash
  KEYS[2]  lease index
  ARGV[1]  saga id
  ARGV[2]  new owner
  ARGV[3]  now, ms since epoch
  ARGV[4]  new lease expiry, ms since epoch
  ARGV[5]  line appended to the saga's journal on a takeover (not on a resend), or '' for none

  Returns the saga hash as {field, value, ...} (HGETALL), or nil.
]]
local saga = redis.call('HMGET', KEYS[1], 'state', 'owner', 'lease')
if saga[1] ~= 'RUNNING' and saga[1] ~= 'ABORTING' then
  return nil
end
if saga[2] == ARGV[2] and saga[3] == ARGV[4] then
  return redis.call('HGETALL', KEYS[1])
end
if tonumber(saga[3]) >= tonumber(ARGV[3]) then
  return nil
end
redis.call('HINCRBY', KEYS[1], 'epoch', 1)
redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'lease', ARGV[4])
if ARGV[5] and ARGV[5] ~= '' then
  redis.call('HSET', KEYS[1], 'journal', (redis.call('HGET', KEYS[1], 'journal') or '') .. ARGV[5])
end
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
return redis.call('HGETALL', KEYS[1])
