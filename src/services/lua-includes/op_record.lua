--[[
  The record that makes a write without saga id safe to run twice: kept under the client's
  operation id (Idempotency-Key) or a per-call id, it answers a repeat of the same request
  (a client or gateway retry, or ioredis re-sending after a reconnect) with what the first run
  answered, changing nothing. The key is bound to the request it first came with, named by its
  fingerprint (method + path; '' for a per-call record): another request gets
  'idempotency_key_reused' (IETF httpapi Idempotency-Key).

  Two shapes: '<status> <fingerprint>' after a change (add_funds, pay, add, subtract, add_item)
  and 'created <fingerprint> <id>' after a create (create_*; ids hold no spaces). Neither kind
  of write accepts the other's record: it answers 'idempotency_key_reused'.
]]

-- Runs `write` (which answers a status) unless a record under `key` says it ran: answers the
-- recorded status to the same request, 'idempotency_key_reused' to another one. The status
-- `write` answers is recorded for this request for `ttl` ms.
local function write_once(key, fingerprint, ttl, write)
  local recorded = redis.call('GET', key)
  if recorded then
    local status, bound = string.match(recorded, '^(%S+) (.*)$')
    if bound ~= fingerprint then
      return 'idempotency_key_reused'
    end
    return status
  end
  local status = write()
  redis.call('SET', key, status .. ' ' .. fingerprint, 'PX', ttl)
  return status
end

-- Runs `create` (which makes `id` unless it exists) unless a record under `key` says a create
-- ran: answers the id it made to the same request, 'idempotency_key_reused' to another one.
-- Else answers {'ok', id}, recording it for this request for `ttl` ms. Without `key` (no
-- client op id), just creates.
local function create_once(key, id, fingerprint, ttl, create)
  local recorded = key and redis.call('GET', key)
  if recorded then
    local status, bound, made = string.match(recorded, '^(%S+) (.*) (%S+)$')
    if status ~= 'created' or bound ~= fingerprint then
      return { 'idempotency_key_reused' }
    end
    return { 'ok', made }
  end
  create()
  if key then
    redis.call('SET', key, 'created ' .. fingerprint .. ' ' .. id, 'PX', ttl)
  end
  return { 'ok', id }
end
