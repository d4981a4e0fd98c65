--[[
  An operator's cancel of a running saga (POST /admin/sagas/{order_id}/cancel): it aborts with
  reason 'operator' and the canceller drives its compensation at once. Nothing is created: the
  compensation gives back only what the participants recorded as taken.

  Guarantees, in one atomic step:
  - no saga -> {'not_found'}; a saga not RUNNING -> {'not_running', state}, nothing changed;
  - else: epoch + 1 (the previous owner is fenced off: its commit can no longer apply), owner
    ARGV[2], lease ARGV[3] (saga and lease index), state ABORTING, reason 'operator', ARGV[4]
    appended to the journal; answers {'cancelled', field, value, ...} (HGETALL).
  - a resend of this very call (ABORTING for 'operator', same owner, the lease it set still in
    place) answers 'cancelled' again without a second increment.

  KEYS[1]  saga hash
  KEYS[2]  lease index
  ARGV[1]  saga id
  ARGV[2]  new owner (the canceller)
  ARGV[3]  new lease expiry, ms since epoch
  ARGV[4]  journal lines to append (owner event and transition, src/services/order/journal.ts)

  Returns {'not_found'} | {'not_running', state} | {'cancelled', field, value, ...}.
]]
local saga = redis.call('HMGET', KEYS[1], 'state', 'reason', 'owner', 'lease')
local state = saga[1]
if not state then
  return { 'not_found' }
end
if state == 'ABORTING' and saga[2] == 'operator' and saga[3] == ARGV[2] and saga[4] == ARGV[3] then
  local again = redis.call('HGETALL', KEYS[1])
  table.insert(again, 1, 'cancelled')
  return again
end
if state ~= 'RUNNING' then
  return { 'not_running', state }
end
redis.call('HINCRBY', KEYS[1], 'epoch', 1)
redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'lease', ARGV[3], 'state', 'ABORTING', 'reason', 'operator',
  'journal', (redis.call('HGET', KEYS[1], 'journal') or '') .. ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local saga = redis.call('HGETALL', KEYS[1])
table.insert(saga, 1, 'cancelled')
return saga
