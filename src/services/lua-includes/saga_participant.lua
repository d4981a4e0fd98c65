--[[
  The saga records of a participant (stock: reserve/release, payment: charge/refund), one per
  saga id: 'applied <order> <taken>' | a refusal reason | 'released' | 'tombstone'; and per
  order an effect index, the id of the saga holding the order's uncompensated effect (at most
  one: docs/store-semantics.md, "one effect per order"). Records live `ttl` ms, far longer than
  any command (docs/architecture.md, saga step 6).

  What <taken> is and how it goes back is the participant's own: its scripts pass a function
  `give_back(record)` that gives back what an 'applied' record took and answers the record's
  order id, or answers nil for any other record, changing nothing.
]]

-- The answer to an act of a saga seen before, or nil for a new saga: 'applied' -> 'ok', a
-- refusal -> that reason, compensated first ('released' / 'tombstone') -> 'compensated'.
local function repeated_act(recordKey)
  local record = redis.call('GET', recordKey)
  if not record then
    return nil
  end
  if string.sub(record, 1, 8) == 'applied ' then
    return 'ok'
  end
  if record == 'released' or record == 'tombstone' then
    return 'compensated'
  end
  return record
end

-- Before an act of saga `sagaId`: an earlier saga of the same order that still holds an effect
-- lost its order-side record (a new saga of an order starts only after the last one was
-- compensated or while it is unpaid), so that effect is given back and its record becomes
-- 'released'. The earlier record is found from `sagaPrefix`, not KEYS: a single Redis (with
-- Sentinel), never Redis Cluster, runs these scripts. Order id '': no per-order guard.
local function release_earlier(effectKey, sagaPrefix, sagaId, orderId, ttl, give_back)
  if orderId == '' then
    return
  end
  local holder = redis.call('GET', effectKey)
  if holder and holder ~= sagaId then
    local heldKey = sagaPrefix .. holder
    local held = redis.call('GET', heldKey)
    if held and give_back(held) then
      redis.call('SET', heldKey, 'released', 'PX', ttl)
    end
    redis.call('DEL', effectKey)
  end
end

-- Records an act that took `taken` (what give_back reads back), makes the saga the holder of
-- its order's effect, and answers 'ok'.
local function record_applied(recordKey, effectKey, sagaId, orderId, taken, ttl)
  redis.call('SET', recordKey, 'applied ' .. orderId .. ' ' .. taken, 'PX', ttl)
  if orderId ~= '' then
    redis.call('SET', effectKey, sagaId, 'PX', ttl)
  end
  return 'ok'
end

-- Records an act refused for `reason`, which took nothing, and answers the reason.
local function record_refusal(recordKey, reason, ttl)
  redis.call('SET', recordKey, reason, 'PX', ttl)
  return reason
end

-- The compensation of saga `sagaId`, once: an 'applied' record's effect goes back (whatever
-- the command says: a garbled or forged compensation cannot mint anything), its order's effect
-- index is cleared if it names this saga, and the record becomes 'released'; a refusal becomes
-- 'released'; no record becomes a 'tombstone', so a late act of this saga is a no-op; 'released'
-- / 'tombstone' stay (a repeat never gives back twice). Answers 'ok'.
local function compensate(recordKey, effectPrefix, sagaId, ttl, give_back)
  local record = redis.call('GET', recordKey)
  if record == 'released' or record == 'tombstone' then
    return 'ok'
  end
  if not record then
    redis.call('SET', recordKey, 'tombstone', 'PX', ttl)
    return 'ok'
  end
  local orderId = give_back(record)
  if orderId and orderId ~= '' and redis.call('GET', effectPrefix .. orderId) == sagaId then
    redis.call('DEL', effectPrefix .. orderId)
  end
  redis.call('SET', recordKey, 'released', 'PX', ttl)
  return 'ok'
end
