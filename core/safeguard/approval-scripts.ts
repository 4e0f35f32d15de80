/**
 * The Lua steps of an approval's life. Each runs atomically in Redis, so two callers can never
 * both see "approved" and both run the action. A request hash keeps `pendingKey`, the requester's
 * quota set, and the scripts update it as the request leaves `pending` (approvals live on one
 * Redis node, not a cluster, so reading a key name from a hash is safe here).
 */

const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function expired() return now > tonumber(redis.call('HGET', KEYS[1], 'expiresAtMs')) end
local function leavePending()
  local pk = redis.call('HGET', KEYS[1], 'pendingKey')
  if pk then redis.call('ZREM', pk, redis.call('HGET', KEYS[1], 'id')) end
end
local function markExpired() redis.call('HSET', KEYS[1], 'status', 'expired') leavePending() end`;

/**
 * KEYS: request, index, requester's pending set, waiting set. ARGV: max pending, ttl ms,
 * retention ms, has resume URL ('1'), then the request's fields as name, value pairs.
 * Refuses ('quota') when the requester already has max pending requests.
 */
const CREATE = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local count = redis.call('ZCARD', KEYS[3])
if count >= tonumber(ARGV[1]) then return {'quota', count, 0} end
local expires = now + tonumber(ARGV[2])
local fields = {}
for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('HSET', KEYS[1], 'expiresAtMs', string.format('%d', expires))
redis.call('PEXPIREAT', KEYS[1], string.format('%d', expires + tonumber(ARGV[3])))
local id = redis.call('HGET', KEYS[1], 'id')
-- A unique score per request, so the list can page by score alone.
local score = now
while #redis.call('ZRANGEBYSCORE', KEYS[2], string.format('%.3f', score), string.format('%.3f', score), 'LIMIT', 0, 1) > 0 do
  score = score + 0.001
end
redis.call('ZADD', KEYS[2], string.format('%.3f', score), id)
redis.call('ZADD', KEYS[3], string.format('%d', expires), id)
local ttl = redis.call('PTTL', KEYS[3])
if ttl < 0 or now + ttl < expires then redis.call('PEXPIREAT', KEYS[3], string.format('%d', expires)) end
if ARGV[4] == '1' then redis.call('ZADD', KEYS[4], string.format('%d', expires), id) end
return {'ok', count + 1, expires}
`;

/** ARGV: new status, approver, comment, decided-at ISO. Pending and unexpired only. */
const DECIDE = `${NOW}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'not_found' end
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'pending' then return status end
if expired() then markExpired() return 'expired' end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'approver', ARGV[2], 'comment', ARGV[3], 'decidedAt', ARGV[4])
leavePending()
return 'ok'
`;

/**
 * ARGV: binding, operation id, digest, executed-at ISO. approved → executed in one step, only for
 * the requester that asked, the exact operation and arguments approved, before expiry.
 */
const CONSUME = `${NOW}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'not_found' end
if redis.call('HGET', KEYS[1], 'boundTo') ~= ARGV[1] then return 'foreign' end
local status = redis.call('HGET', KEYS[1], 'status')
if (status == 'pending' or status == 'approved') and expired() then markExpired() return 'expired' end
if status ~= 'approved' then return status end
if redis.call('HGET', KEYS[1], 'operationId') ~= ARGV[2] or redis.call('HGET', KEYS[1], 'digest') ~= ARGV[3] then
  return 'mismatch'
end
redis.call('HSET', KEYS[1], 'status', 'executed', 'executedAt', ARGV[4])
return 'ok'
`;

/** ARGV: binding, execution id, released-at ISO. A Gate's resume: approved → released, before expiry. */
const RELEASE = `${NOW}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'not_found' end
if redis.call('HGET', KEYS[1], 'boundTo') ~= ARGV[1] then return 'foreign' end
local status = redis.call('HGET', KEYS[1], 'status')
if (status == 'pending' or status == 'approved') and expired() then markExpired() return 'expired' end
if status ~= 'approved' then return status end
redis.call('HSET', KEYS[1], 'status', 'released', 'releasedExecution', ARGV[2], 'releasedAt', ARGV[3])
return 'ok'
`;

/** ARGV: execution id, operation id, digest, executed-at ISO. released → executed, in the Gate's execution only. */
const CONSUME_RELEASED = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'not_found' end
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'approved' or status == 'pending' then return 'not_released' end
if status ~= 'released' then return status end
if redis.call('HGET', KEYS[1], 'releasedExecution') ~= ARGV[1] then return 'foreign' end
if redis.call('HGET', KEYS[1], 'operationId') ~= ARGV[2] or redis.call('HGET', KEYS[1], 'digest') ~= ARGV[3] then
  return 'mismatch'
end
redis.call('HSET', KEYS[1], 'status', 'executed', 'executedAt', ARGV[4])
return 'ok'
`;

/** Pending and past its expiry → expired ('ok'); otherwise why not: 'not_found' or the status it has. */
const EXPIRE = `${NOW}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'not_found' end
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'pending' then return status end
if not expired() then return 'pending' end
markExpired()
return 'ok'
`;

export const APPROVAL_SCRIPTS: Record<string, { keys: number; lua: string }> = {
	widipApprovalCreate: { keys: 4, lua: CREATE },
	widipApprovalDecide: { keys: 1, lua: DECIDE },
	widipApprovalConsume: { keys: 1, lua: CONSUME },
	widipApprovalRelease: { keys: 1, lua: RELEASE },
	widipApprovalConsumeReleased: { keys: 1, lua: CONSUME_RELEASED },
	widipApprovalExpire: { keys: 1, lua: EXPIRE },
};
