-- Gives back the credit an 'applied <order> <user>:<amount>' record of charge took, to the
-- recorded user, and answers the record's order id; any other record: nil, nothing changed. A
-- user that no longer exists is not re-created. Users are found from `userPrefix` (the key of
-- user ''), not KEYS.
local function give_back(record, userPrefix)
  local orderId, userId, amount = string.match(record, '^applied (%S*) (%S+):(%d+)$')
  if not userId then
    return nil
  end
  if redis.call('EXISTS', userPrefix .. userId) == 1 then
    redis.call('INCRBY', userPrefix .. userId, amount)
  end
  return orderId
end
