/**
 * Lua scripts of the FIFO lock. Each runs atomically in Redis, which is what makes the lock
 * correct: no check-then-act gap exists between two contenders.
 *
 * KEYS: 1 holder, 2 queue (list of tokens), 3 waiters (hash token → "<lease deadline ms> <ttl ms>"),
 * 4 fence (counter). The holder value is "<token> <fencing number>".
 */
const COMMON = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function owner_of(value)
  if not value then return nil, nil end
  local sp = string.find(value, ' ', 1, true)
  return string.sub(value, 1, sp - 1), tonumber(string.sub(value, sp + 1))
end

-- Drops waiters at the head whose lease ran out (their process died); returns the live head.
local function live_head(queue, waiters, now)
  while true do
    local head = redis.call('LINDEX', queue, 0)
    if not head then return nil end
    local info = redis.call('HGET', waiters, head)
    local deadline = info and tonumber(string.match(info, '^(%d+)')) or 0
    if deadline > now then return head end
    redis.call('LPOP', queue)
    redis.call('HDEL', waiters, head)
  end
end

local function grant(holder, fence, token, ttl)
  local n = redis.call('INCR', fence)
  redis.call('SET', holder, token .. ' ' .. n, 'PX', ttl)
  return n
end

-- Gives the free lock straight to the first live waiter and tells it by a push: the waiter does
-- not have to ask again, which is what makes a hand-over one message long.
local function hand_over(holder, queue, waiters, fence, channel, now)
  local head = live_head(queue, waiters, now)
  if not head then return end
  local info = redis.call('HGET', waiters, head)
  redis.call('LPOP', queue)
  redis.call('HDEL', waiters, head)
  local ttl = tonumber(string.match(info, ' (%d+)$'))
  local n = grant(holder, fence, head, ttl)
  redis.call('PUBLISH', channel, head .. ' ' .. n)
end
`;

/**
 * ARGV: token, ttl ms, waiter lease ms.
 * Returns {1, fence, ttl left} when the caller holds the lock (now or by an earlier hand-over),
 * else {0, 0, ms until it is worth looking again} after queueing (or refreshing) the caller.
 */
export const ACQUIRE = `${COMMON}
local holder, queue, waiters, fence = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local token, ttl, lease = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local now = now_ms()
local current = redis.call('GET', holder)
if current then
  local owner, n = owner_of(current)
  if owner == token then return {1, n, redis.call('PTTL', holder)} end
end
local head = live_head(queue, waiters, now)
if (not current) and ((not head) or head == token) then
  if head == token then
    redis.call('LPOP', queue)
    redis.call('HDEL', waiters, token)
  end
  return {1, grant(holder, fence, token, ttl), ttl}
end
if redis.call('HSET', waiters, token, (now + lease) .. ' ' .. ttl) == 1 then
  redis.call('RPUSH', queue, token)
end
redis.call('PEXPIRE', queue, lease * 2)
redis.call('PEXPIRE', waiters, lease * 2)
local hint = redis.call('PTTL', holder)
if hint < 0 then
  hint = lease
  if head and head ~= token then
    local info = redis.call('HGET', waiters, head)
    hint = tonumber(string.match(info, '^(%d+)')) - now
  end
end
return {0, 0, hint}
`;

/** ARGV: token, channel. Returns 1 when released, 0 when the token did not hold the lock. */
export const RELEASE = `${COMMON}
local holder, queue, waiters, fence = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local owner = owner_of(redis.call('GET', holder))
if owner ~= ARGV[1] then return 0 end
redis.call('DEL', holder)
hand_over(holder, queue, waiters, fence, ARGV[2], now_ms())
return 1
`;

/**
 * ARGV: token, channel. A waiter that gives up leaves the line; if the lock was handed to it in
 * the meantime, it passes the lock on at once instead of sitting on it until the TTL.
 */
export const ABANDON = `${COMMON}
local holder, queue, waiters, fence = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
redis.call('LREM', queue, 0, ARGV[1])
redis.call('HDEL', waiters, ARGV[1])
local owner = owner_of(redis.call('GET', holder))
if owner == ARGV[1] then
  redis.call('DEL', holder)
  hand_over(holder, queue, waiters, fence, ARGV[2], now_ms())
  return 1
end
return 0
`;

/** ARGV: token, ttl ms. Returns 1 when the TTL was extended, 0 when the lock is no longer ours. */
export const REFRESH = `${COMMON}
local owner = owner_of(redis.call('GET', KEYS[1]))
if owner ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
`;
