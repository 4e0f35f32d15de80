/**
 * Lua scripts of ticket claims; each runs atomically, so two workers can never both claim a
 * ticket, and a claim or a done marker changes only by its token. Times are Redis's (TIME), and
 * expiries are set as absolute times (PXAT, PEXPIREAT) and read back with PEXPIRETIME, so the
 * "held until" a worker is told is exactly when the claim ends (a relative PX counts from the
 * script's start, a few ms off TIME).
 *
 * KEYS: 1 claim (`<token> <claimed at ms> <owner>`, expiring with the claim), 2 done
 * (`<done at ms> <token> <owner>`). Owners hold no spaces (checked before).
 */
const COMMON = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- token, owner of a claim value
local function holder(value)
  if not value then return nil, '' end
  local token, _, owner = string.match(value, '^(%S+) (%d+) ?(%S*)$')
  return token, owner or ''
end

-- done at ms, token, owner of a done marker
local function done_by(value)
  local at, token, owner = string.match(value, '^(%d+) (%S+) ?(%S*)$')
  return tonumber(at) or 0, token or '', owner or ''
end
`;

/**
 * ARGV: token (fresh), ttl ms, owner. Returns {1, '', '', expires at ms} when claimed,
 * {0, 'done', owner, done at ms} when the ticket was handled, {0, 'held', owner, held until ms}.
 */
export const CLAIM = `${COMMON}
local now = now_ms()
local done = redis.call('GET', KEYS[2])
if done then
  local at, _, owner = done_by(done)
  return {0, 'done', owner, at}
end
local current = redis.call('GET', KEYS[1])
if current then
  local _, owner = holder(current)
  return {0, 'held', owner, redis.call('PEXPIRETIME', KEYS[1])}
end
local expires = now + tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. now .. ' ' .. ARGV[3], 'PXAT', expires)
return {1, '', '', expires}
`;

/** ARGV: token. Compare-and-delete: 1 when released, 0 (nothing changed) when the token does not hold it. */
export const RELEASE = `${COMMON}
if holder(redis.call('GET', KEYS[1])) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;

/** ARGV: token, ttl ms. Returns the new expiry (ms) when renewed, 0 when the token no longer holds it. */
export const RENEW = `${COMMON}
if holder(redis.call('GET', KEYS[1])) ~= ARGV[1] then return 0 end
local expires = now_ms() + tonumber(ARGV[2])
redis.call('PEXPIREAT', KEYS[1], expires)
return expires
`;

/**
 * ARGV: token, keep ms, owner (used when the claim already expired). Marks the ticket done and
 * ends the claim. Returns {1, 'completed' | 'late' | 'already', done at ms}: `late` when the claim
 * had expired but nobody else claimed it since (the work was done: record it), `already` when this
 * token had completed it before. {0, 'done', owner, done at} when another claim completed it,
 * {0, 'held', owner, held until} when another worker holds it now: nothing changed.
 */
export const COMPLETE = `${COMMON}
local token, keep = ARGV[1], tonumber(ARGV[2])
local now = now_ms()
local done = redis.call('GET', KEYS[2])
if done then
  local at, by, owner = done_by(done)
  if by == token then return {1, 'already', owner, at} end
  return {0, 'done', owner, at}
end
local current = redis.call('GET', KEYS[1])
local by, owner = holder(current)
if current and by ~= token then
  return {0, 'held', owner, redis.call('PEXPIRETIME', KEYS[1])}
end
if not current then owner = ARGV[3] end
redis.call('SET', KEYS[2], now .. ' ' .. token .. ' ' .. owner, 'PXAT', now + keep)
local how = 'late'
if current then
  redis.call('DEL', KEYS[1])
  how = 'completed'
end
return {1, how, owner, now}
`;
