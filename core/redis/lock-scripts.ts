/**
 * Lua scripts of the FIFO lock. Each runs atomically in Redis, which is what makes the lock
 * correct: no check-then-act gap exists between two contenders.
 *
 * KEYS: 1 holder, 2 queue (list of tokens), 3 waiters (hash token → "<lease deadline ms> <ttl ms>
 * <process id> <last seen ms>"), 4 fence (counter), 5 offer (the last unclaimed hand-over:
 * "<token> <process id> <offered at ms>"). The holder value is "<token> <fencing number>".
 *
 * Why hand-overs are offers (claim window): a waiter's lease says it was alive a few seconds ago,
 * not that it is alive now. A process killed with several executions leaves live-looking waiters
 * in line; handing the lock to one of them straight away used to cost that waiter's TTL, and a
 * free lock with such a waiter at the head waited for its lease (10 s). So a hand-over now gives
 * the lock for a short claim window, min(TTL, CLAIM_WINDOW_MS); a live waiter hears the push and
 * claims it (ACQUIRE with its own token) within milliseconds and only then gets its full TTL. An
 * offer not claimed in time lapses, and since the unit that dies is a process, every waiter of
 * that process not seen since the offer leaves the line with it: one crashed process costs one
 * claim window however many of its waiters stand in line. A live but stalled process (event loop
 * blocked for longer than the window) loses its place in line, never exclusion: a waiter holds
 * the lock only once its claim ran while the holder key still named it.
 */
export const CLAIM_WINDOW_MS = 1000;
/** How long an offer's record outlives its claim window, for the waiters who look then. */
const OFFER_KEEP_MS = 10_000;

const COMMON = `
local CLAIM_WINDOW_MS = ${CLAIM_WINDOW_MS}
local OFFER_KEEP_MS = ${OFFER_KEEP_MS}

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function owner_of(value)
  if not value then return nil, nil end
  local sp = string.find(value, ' ', 1, true)
  return string.sub(value, 1, sp - 1), tonumber(string.sub(value, sp + 1))
end

-- Entries written before process ids existed hold only "<lease deadline> <ttl>".
local function parse_waiter(info)
  if not info then return 0, nil, '', 0 end
  local deadline, ttl, process, seen = string.match(info, '^(%d+) (%d+) ?(%S*) ?(%d*)$')
  return tonumber(deadline) or 0, tonumber(ttl), process or '', tonumber(seen) or 0
end

-- Drops waiters at the head whose lease ran out (their process died); returns the live head.
local function live_head(queue, waiters, now)
  while true do
    local head = redis.call('LINDEX', queue, 0)
    if not head then return nil end
    if parse_waiter(redis.call('HGET', waiters, head)) > now then return head end
    redis.call('LPOP', queue)
    redis.call('HDEL', waiters, head)
  end
end

-- Drops every waiter of a process that let an offer lapse, unless it showed life since.
local function drop_process(queue, waiters, process, since)
  if process == '' then return end
  for _, token in ipairs(redis.call('LRANGE', queue, 0, -1)) do
    local _, _, p, seen = parse_waiter(redis.call('HGET', waiters, token))
    if p == process and seen < since then
      redis.call('LREM', queue, 1, token)
      redis.call('HDEL', waiters, token)
    end
  end
end

-- Looks at the last offer. Pending while the holder key (set for the claim window) still names
-- its token; otherwise it lapsed. Returns 'pending' or 'lapsed' when the offer was the caller's,
-- else nil. A lapsed offer to another process drops that process's silent waiters; a caller of
-- the same process proves it alive, so then nothing is dropped.
local function settle_offer(holder, queue, waiters, offer, token, process)
  local record = redis.call('GET', offer)
  if not record then return nil end
  local to, to_process, at = string.match(record, '^(%S+) (%S*) (%d+)$')
  if owner_of(redis.call('GET', holder)) == to then
    if to == token then return 'pending' end
    return nil
  end
  redis.call('DEL', offer)
  if to == token then return 'lapsed' end
  if to_process ~= process then drop_process(queue, waiters, to_process, tonumber(at)) end
  return nil
end

local function grant(holder, fence, token, ttl)
  local n = redis.call('INCR', fence)
  redis.call('SET', holder, token .. ' ' .. n, 'PX', ttl)
  return n
end

-- Offers the free lock to the first live waiter and tells it by a push: a live waiter claims it
-- at once (one round trip), a dead one lets it lapse after the claim window. The push carries the
-- window so other processes' waiters know when to look if no claim is announced.
local function hand_over(holder, queue, waiters, fence, offer, channel, now)
  local head = live_head(queue, waiters, now)
  if not head then return end
  local _, ttl, process = parse_waiter(redis.call('HGET', waiters, head))
  redis.call('LPOP', queue)
  redis.call('HDEL', waiters, head)
  local window = math.min(ttl, CLAIM_WINDOW_MS)
  local n = grant(holder, fence, head, window)
  redis.call('SET', offer, head .. ' ' .. process .. ' ' .. now, 'PX', window + OFFER_KEEP_MS)
  redis.call('PUBLISH', channel, head .. ' ' .. n .. ' ' .. window)
end
`;

/**
 * ARGV: token, ttl ms, waiter lease ms, channel, process id.
 * Returns {1, fence, ttl left} when the caller holds the lock (now, or by claiming an offer made
 * to it: then with its full TTL from now), else {0, 0, ms until it is worth looking again} after
 * queueing (or refreshing) the caller. A free lock whose first live waiter is someone else is
 * offered to that waiter.
 */
export const ACQUIRE = `${COMMON}
local holder, queue, waiters, fence, offer = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local token, ttl, lease, channel, process = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5]
local now = now_ms()
local mine = settle_offer(holder, queue, waiters, offer, token, process)
local current = redis.call('GET', holder)
if current then
  local owner, n = owner_of(current)
  if owner == token then
    if mine == 'pending' then
      redis.call('DEL', offer)
      redis.call('PEXPIRE', holder, ttl)
      redis.call('PUBLISH', channel, token .. ' ' .. n .. ' claimed')
      return {1, n, ttl}
    end
    return {1, n, redis.call('PTTL', holder)}
  end
end
local head = live_head(queue, waiters, now)
if not current then
  -- a caller whose own offer lapsed while the lock stayed free was first in line: it takes it
  if (not head) or head == token or mine == 'lapsed' then
    redis.call('LREM', queue, 0, token)
    redis.call('HDEL', waiters, token)
    return {1, grant(holder, fence, token, ttl), ttl}
  end
  hand_over(holder, queue, waiters, fence, offer, channel, now)
end
if redis.call('HSET', waiters, token, (now + lease) .. ' ' .. ttl .. ' ' .. process .. ' ' .. now) == 1 then
  redis.call('RPUSH', queue, token)
end
redis.call('PEXPIRE', queue, lease * 2)
redis.call('PEXPIRE', waiters, lease * 2)
local hint = redis.call('PTTL', holder)
if hint < 0 then hint = lease end
return {0, 0, hint}
`;

/** ARGV: token, channel, process id. Returns 1 when released, 0 when the token did not hold the lock. */
export const RELEASE = `${COMMON}
local holder, queue, waiters, fence, offer = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local mine = settle_offer(holder, queue, waiters, offer, ARGV[1], ARGV[3])
local owner = owner_of(redis.call('GET', holder))
if owner ~= ARGV[1] then return 0 end
redis.call('DEL', holder)
if mine == 'pending' then redis.call('DEL', offer) end
hand_over(holder, queue, waiters, fence, offer, ARGV[2], now_ms())
return 1
`;

/**
 * ARGV: token, channel, process id. A waiter that gives up leaves the line; if the lock was
 * offered to it in the meantime, it passes the lock on at once instead of letting the offer lapse.
 */
export const ABANDON = `${COMMON}
local holder, queue, waiters, fence, offer = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local mine = settle_offer(holder, queue, waiters, offer, ARGV[1], ARGV[3])
redis.call('LREM', queue, 0, ARGV[1])
redis.call('HDEL', waiters, ARGV[1])
local owner = owner_of(redis.call('GET', holder))
if owner == ARGV[1] then
  redis.call('DEL', holder)
  if mine == 'pending' then redis.call('DEL', offer) end
  hand_over(holder, queue, waiters, fence, offer, ARGV[2], now_ms())
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
