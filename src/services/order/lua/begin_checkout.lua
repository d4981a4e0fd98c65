--[[
  Starts the checkout saga of an order, or says why not (docs/architecture.md, saga step 1).

  Guarantees, in one atomic step:
  - unknown order -> {'not_found'}; paid -> {'paid'};
  - frozen by a saga -> {'running', that saga id}, unless it is this very saga id (a resend of
    this call), which answers {'started', saga as stored};
  - a saga with this id that exists but no longer freezes the order (it finished, and a resend
    arrived after that) also answers {'started', saga as stored}: never a second saga record;
  - else creates the saga (RUNNING, epoch 1, the order's items and total as stored, its user,
    its start time and first journal line when given), freezes the order (addItem refuses),
    links the saga to the order (the order's last saga ids, kept after the saga finishes) and
    indexes the lease for the sweeper;
  - the saga's order key ('okey', what participants guard one effect per order by) is the
    order's 'inc': the first saga id since the order was last written whole (put_orders
    replaces the hash, so an order id that batch_init reuses is a new order to participants);
  - with an operation record KEYS[4] (the client's Idempotency-Key), the key is bound to its
    first checkout in the same step: 'checkout <fingerprint> <outcome>', the outcome being
    'saga <id>' (the saga it started or joined), 'paid' or 'not_found'. The same request
    again replays that outcome ({'running', id} waits for that saga's end, whatever the order
    did since) instead of starting another saga; a resend of this very call (same saga id)
    answers as above; a record made by another request answers {'idempotency_key_reused'}.

  KEYS[1]  order hash {user, items, total, paid, saga, sagas, inc}
  KEYS[2]  saga hash of the new saga
  KEYS[3]  lease index (sorted set: saga id -> lease expiry ms)
  ARGV[1]  saga id
  ARGV[2]  order id
  ARGV[3]  owner (instance id)
  ARGV[4]  lease expiry, ms since epoch
  ARGV[5]  deadline, ms since epoch
  ARGV[6]  start time, ms since epoch, or '' for none
  ARGV[7]  first journal line (src/services/order/journal.ts), or '' for none
  KEYS[4]  optional: operation record of the client's Idempotency-Key
  ARGV[8]  record TTL in ms (with KEYS[4])
  ARGV[9]  fingerprint of the request, method + path (with KEYS[4])

  Returns {'not_found'} | {'paid'} | {'running', saga id} | {'started', field, value, ...}
  where the fields are those of the saga hash (HGETALL) | {'idempotency_key_reused'}.
]]
-- The order keeps links to its last sagas for operators, bounded to this many bytes.
local MAX_LINKS_BYTES = 640

-- Binds the key to this request and what it answered (nothing to do without a key).
local function bind(outcome)
  if KEYS[4] then
    redis.call('SET', KEYS[4], 'checkout ' .. ARGV[9] .. ' ' .. outcome, 'PX', ARGV[8])
  end
end

if KEYS[4] then
  local recorded = redis.call('GET', KEYS[4])
  if recorded then
    -- Other writes record '<status> <fingerprint>' or 'created <fingerprint> <id>': refused.
    local bound = 'checkout ' .. ARGV[9] .. ' '
    if string.sub(recorded, 1, #bound) ~= bound then
      return { 'idempotency_key_reused' }
    end
    local outcome = string.sub(recorded, #bound + 1)
    if outcome == 'paid' or outcome == 'not_found' then
      return { outcome }
    end
    local first = string.sub(outcome, 6)
    if first ~= ARGV[1] then
      return { 'running', first }
    end
  end
end

local order = redis.call('HMGET', KEYS[1], 'user', 'paid', 'saga', 'items', 'total', 'sagas', 'inc')
if not order[1] then
  bind('not_found')
  return { 'not_found' }
end
if order[2] == '1' then
  bind('paid')
  return { 'paid' }
end
if order[3] and order[3] ~= ARGV[1] then
  bind('saga ' .. order[3])
  return { 'running', order[3] }
end

local saga
if order[3] or redis.call('EXISTS', KEYS[2]) == 1 then
  saga = redis.call('HGETALL', KEYS[2])
else
  local inc = order[7] or ARGV[1]
  saga = {
    'order', ARGV[2], 'okey', inc, 'user', order[1], 'items', order[4] or '', 'amount', order[5] or '0',
    'state', 'RUNNING', 'epoch', '1', 'owner', ARGV[3], 'lease', ARGV[4], 'deadline', ARGV[5],
  }
  if ARGV[6] ~= '' then
    table.insert(saga, 'started')
    table.insert(saga, ARGV[6])
  end
  if ARGV[7] ~= '' then
    table.insert(saga, 'journal')
    table.insert(saga, ARGV[7])
  end
  redis.call('HSET', KEYS[2], unpack(saga))
  local links = order[6] and (order[6] .. ' ' .. ARGV[1]) or ARGV[1]
  if #links > MAX_LINKS_BYTES then
    links = string.sub(links, string.find(links, ' ', #links - MAX_LINKS_BYTES, true) + 1)
  end
  redis.call('HSET', KEYS[1], 'saga', ARGV[1], 'sagas', links, 'inc', inc)
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
  bind('saga ' .. ARGV[1])
end
table.insert(saga, 1, 'started')
return saga
