--[[
  Writes a chunk of whole orders, replacing any with those ids (batch_init): unpaid, not frozen.
  The caller sends at most a few thousand orders per call so the server is never blocked long.

  KEYS[1..n]          order hashes
  ARGV[3i-2 .. 3i]    for order i: user id, encoded items (src/lib/items.ts), total cost
                      (exact integer string)

  Returns n.
]]
for i = 1, #KEYS do
  local base = 3 * (i - 1)
  redis.call('DEL', KEYS[i])
  redis.call('HSET', KEYS[i], 'user', ARGV[base + 1], 'items', ARGV[base + 2], 'total', ARGV[base + 3])
end
return #KEYS
