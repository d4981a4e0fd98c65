--[[
  Compare-and-set of a saga's state at an epoch (docs/architecture.md, saga steps 3-5): an owner fenced off
  by a takeover (older epoch) cannot write. The caller checks the transition is one of
  RUNNING->COMMITTED, RUNNING->ABORTING (with a reason), ABORTING->ABORTED.

  Guarantees, in one atomic step:
  - stored epoch ~= ARGV[3] -> 0, nothing changed; stored state == to -> 1, nothing changed
    (a resend); stored state ~= from -> 0, nothing changed;
  - else the state (and reason) is written, and on a final state (COMMITTED / ABORTED) the
    order, if still frozen by this saga, is unfrozen (and marked paid on COMMITTED), the lease
    leaves the index, and the saga record expires after ARGV[6] ms. ABORTING keeps the lease.

  KEYS[1]  saga hash
  KEYS[2]  order hash of the saga
  KEYS[3]  lease index
  ARGV[1]  saga id
  ARGV[2]  from state (the caller's view)
  ARGV[3]  epoch (the caller's view)
  ARGV[4]  to state
  ARGV[5]  reason, or '' for none
  ARGV[6]  record TTL in ms of a finished saga
  ARGV[7]  line appended to the saga's journal when this call applies, or '' for none

  Returns 1 if the saga is now in the `to` state by this call or a resend of it, else 0.
]]
local saga = redis.call('HMGET', KEYS[1], 'state', 'epoch')
if not saga[1] or tonumber(saga[2]) ~= tonumber(ARGV[3]) then
  return 0
end
if saga[1] == ARGV[4] then
  return 1
end
if saga[1] ~= ARGV[2] then
  return 0
end

redis.call('HSET', KEYS[1], 'state', ARGV[4])
if ARGV[7] ~= '' then
  redis.call('HSET', KEYS[1], 'journal', (redis.call('HGET', KEYS[1], 'journal') or '') .. ARGV[7])
end
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[1], 'reason', ARGV[5])
end
if ARGV[4] == 'COMMITTED' or ARGV[4] == 'ABORTED' then
  -- Only the order this saga froze: one replaced meanwhile by batch_init is not touched.
  if redis.call('HGET', KEYS[2], 'saga') == ARGV[1] then
    redis.call('HDEL', KEYS[2], 'saga')
    if ARGV[4] == 'COMMITTED' then
      redis.call('HSET', KEYS[2], 'paid', '1')
    end
  end
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
end
return 1
