--[[
  The payment participant's act of a checkout saga: takes the amount at most once per saga id,
  and keeps at most one uncompensated charge per order id.

  Guarantees, in one atomic step:
  - a saga seen before gets its recorded answer and nothing changes: 'applied' -> 'ok', a
    refusal -> that reason, 'released' / 'tombstone' (compensated first) -> 'compensated';
  - an earlier saga of the same order that still holds a charge lost its order-side record (a
    new saga of an order starts only after the last one was compensated or while it is
    unpaid): that charge is given back (its record becomes 'released') before this saga's own,
    so an order is never charged twice (docs/store-semantics.md, "one effect per order");
  - else the user must exist ('user_not_found') and its credit cover the amount
    ('insufficient_credit'); either the amount is taken and 'applied <order> <user>:<amount>'
    recorded (what refund gives back), or nothing is taken and the refusal recorded. An amount
    of 0 only checks the user.
  - the records live ARGV[1] ms, far longer than any command (docs/architecture.md, saga step 6).

  An earlier saga's record and user are found from the prefixes in ARGV, not KEYS: a single
  Redis (with Sentinel), never Redis Cluster, runs these scripts.

  KEYS[1]  saga record (string: 'applied <order> <user>:<amount>' | reason | 'released' | 'tombstone')
  KEYS[2]  the order's effect index: the id of the saga holding its charge
  KEYS[3]  user credit (integer string)
  ARGV[1]  record TTL in ms
  ARGV[2]  saga id
  ARGV[3]  order id ('' when the command carries none: no per-order guard)
  ARGV[4]  user id
  ARGV[5]  amount (exact integer string, >= 0)
  ARGV[6]  prefix of user credits (the key of user '')
  ARGV[7]  prefix of saga records (the key of saga '')

  Returns 'ok' | 'user_not_found' | 'insufficient_credit' | 'compensated'.
]]
local record = redis.call('GET', KEYS[1])
if record then
  if string.sub(record, 1, 8) == 'applied ' then
    return 'ok'
  end
  if record == 'released' or record == 'tombstone' then
    return 'compensated'
  end
  return record
end

local ttl, sagaId, orderId = ARGV[1], ARGV[2], ARGV[3]
if orderId ~= '' then
  local holder = redis.call('GET', KEYS[2])
  if holder and holder ~= sagaId then
    local heldKey = ARGV[7] .. holder
    local held = redis.call('GET', heldKey)
    local userId, amount
    if held then
      userId, amount = string.match(held, '^applied %S* (%S+):(%d+)$')
    end
    if userId then
      if redis.call('EXISTS', ARGV[6] .. userId) == 1 then
        redis.call('INCRBY', ARGV[6] .. userId, amount)
      end
      redis.call('SET', heldKey, 'released', 'PX', ttl)
    end
    redis.call('DEL', KEYS[2])
  end
end

local status = 'applied'
local credit = redis.call('GET', KEYS[3])
if not credit then
  status = 'user_not_found'
elseif tonumber(credit) < tonumber(ARGV[5]) then
  status = 'insufficient_credit'
else
  redis.call('DECRBY', KEYS[3], ARGV[5])
end
if status == 'applied' then
  redis.call('SET', KEYS[1], 'applied ' .. orderId .. ' ' .. ARGV[4] .. ':' .. ARGV[5], 'PX', ttl)
  if orderId ~= '' then
    redis.call('SET', KEYS[2], sagaId, 'PX', ttl)
  end
  return 'ok'
end
redis.call('SET', KEYS[1], status, 'PX', ttl)
return status
