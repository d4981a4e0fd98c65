-- Gives back the stock an 'applied <order> <lines>' record of reserve took, every line's
-- quantity, and answers the record's order id; any other record: nil, nothing changed. An
-- item replaced meanwhile by batch_init still gets its quantity back; an item that no longer
-- exists is not re-created. Items are found from `itemPrefix` (the key of item ''), not KEYS.
local function give_back(record, itemPrefix)
  local orderId, lines = string.match(record, '^applied (%S*) (%S*)$')
  if not lines then
    return nil
  end
  for itemId, quantity in string.gmatch(lines, '([^:,]+):(%d+),') do
    if redis.call('EXISTS', itemPrefix .. itemId) == 1 then
      redis.call('HINCRBY', itemPrefix .. itemId, 'stock', quantity)
    end
  end
  return orderId
end
