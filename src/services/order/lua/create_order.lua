--[[
  Creates an empty order of a user, unless it exists (a delayed resend never resets it), once per operation
  id if there is one: the id made is recorded under KEYS[2], and a repeat of the same request
  (a client or gateway retry with the same Idempotency-Key, or ioredis re-sending) answers
  that id and makes nothing (IETF httpapi Idempotency-Key: the key is bound to its request).

  KEYS[1]  order hash {user, items, total, paid, saga} of the fresh id ARGV[1]
  KEYS[2]  optional: operation record ('created <fingerprint> <id>'; ids hold no spaces); without it, just creates
  ARGV[1]  the fresh id (made by the route)
  ARGV[2]  record TTL in ms
  ARGV[3]  fingerprint of the request (method + path)
  ARGV[4]  the user id

  Returns {'ok', id} (the id made, or the one first made for the key) |
  {'idempotency_key_reused'}.
]]
--- @include "../../lua-includes/op_record"
return create_once(KEYS[2], ARGV[1], ARGV[3], ARGV[2], function()
  -- Absent items/total/paid read as empty/0/false (store.redis.ts): one HSETNX makes the order.
  redis.call('HSETNX', KEYS[1], 'user', ARGV[4])
end)
