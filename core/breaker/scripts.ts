import { MAX_FAILURE_THRESHOLD, MAX_WINDOW_SECONDS } from './settings';

/**
 * Lua scripts of the shared circuit breaker. Each transition happens inside one script, so two
 * callers can never both open the breaker, both take the probe, or both be told to send the
 * "service down" mail. The clock is Redis's (TIME), the same for every process and replica.
 *
 * KEYS: 1 state (hash), 2 failures (sorted set: failure id → time ms), 3 health status (the
 * `ok`/`down` view), 4 down alert (the anti-spam flag). The health keys predate the breaker
 * (core/redis/health.ts) and keep their names, so they are not in the breaker's hash slot: like
 * Safeguard's approval scripts, these assume one Redis node, not a cluster.
 *
 * State hash fields: `state` closed | open | half_open; `opened_at` when the outage began (kept
 * across re-openings); `open_until` end of the current open period; `probe` / `probe_until` the
 * probe token and its lease; `last_at` / `last_outcome` the last report. A stored `open` whose
 * `open_until` passed is half-open with no probe yet: nothing needs to run at that moment.
 */

/** The state hash lives this long after its last write; an idle closed breaker then simply vanishes. */
export const STATE_KEEP_MS = 86_400_000;

const COMMON = `
local MAX_WINDOW_MS = ${MAX_WINDOW_SECONDS * 1000}
local MAX_FAILURES = ${MAX_FAILURE_THRESHOLD}
local STATE_KEEP_MS = ${STATE_KEEP_MS}

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The breaker as it is now: a stored open period that has ended reads as half-open.
local function load(key, now)
  local f = redis.call('HMGET', key, 'state', 'opened_at', 'open_until', 'probe', 'probe_until', 'last_at', 'last_outcome')
  local b = {
    state = f[1] or 'closed',
    opened_at = tonumber(f[2]) or 0,
    open_until = tonumber(f[3]) or 0,
    probe = f[4] or '',
    probe_until = tonumber(f[5]) or 0,
    last_at = tonumber(f[6]) or 0,
    last_outcome = f[7] or '',
  }
  if b.state == 'open' and now >= b.open_until then b.state = 'half_open' end
  return b
end

local function failures_since(key, since)
  return redis.call('ZCOUNT', key, '(' .. since, '+inf')
end
`;

/**
 * ARGV: probe token (fresh, random), probe lease ms.
 * Returns {role, state, retry after ms, opened at ms}: role `normal` (closed), `probe` (this
 * caller alone may try the service; the token is now the probe's) or `rejected`.
 */
export const CHECK = `${COMMON}
local key, token, lease = KEYS[1], ARGV[1], tonumber(ARGV[2])
local now = now_ms()
local b = load(key, now)
if b.state == 'closed' then return {'normal', 'closed', 0, 0} end
if b.state == 'open' then return {'rejected', 'open', b.open_until - now, b.opened_at} end
-- half-open: one probe at a time; a probe whose lease ran out (its caller crashed) is replaced
if b.probe ~= '' and now < b.probe_until then return {'rejected', 'half_open', b.probe_until - now, b.opened_at} end
redis.call('HSET', key, 'state', 'half_open', 'probe', token, 'probe_until', now + lease)
redis.call('PEXPIRE', key, STATE_KEEP_MS)
return {'probe', 'half_open', lease, b.opened_at}
`;

/**
 * ARGV: outcome (success | failure), probe token or '', failure threshold, window ms, open ms,
 * alert interval ms, health TTL ms, failure id (unique), alert value (when it was sent, ISO).
 * Returns {state, transition ('' | opened | reopened | closed), notify down (0/1), failures in the
 * window, opened at ms, open until ms}.
 *
 * Only the probe's report moves a half-open breaker; other callers' reports while it is open or
 * half-open (calls that started before it opened) change nothing. The alert flag is taken (SET NX)
 * by the first failure report while the breaker is open or half-open — the one that opened it,
 * or after alertInterval the next one while it stays down — and deleted when it closes.
 */
export const RECORD = `${COMMON}
local key, failures_key, status_key, alert_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local outcome, token = ARGV[1], ARGV[2]
local threshold, window, open_ms = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local alert_ms, health_ms = tonumber(ARGV[6]), tonumber(ARGV[7])
local now = now_ms()
local b = load(key, now)
local state, transition, failures = b.state, '', 0
local opened_at, open_until = b.opened_at, b.open_until

if token ~= '' and state ~= 'closed' and token == b.probe then
  redis.call('HDEL', key, 'probe', 'probe_until')
  if outcome == 'success' then
    redis.call('DEL', failures_key)
    redis.call('HDEL', key, 'opened_at', 'open_until')
    redis.call('HSET', key, 'state', 'closed')
    state, transition, opened_at, open_until = 'closed', 'closed', 0, 0
  else
    open_until = now + open_ms
    redis.call('HSET', key, 'state', 'open', 'open_until', open_until)
    state, transition = 'open', 'reopened'
  end
elseif state == 'closed' and outcome == 'failure' then
  redis.call('ZADD', failures_key, now, ARGV[8])
  -- keep the newest MAX_FAILURES: enough for any threshold
  redis.call('ZREMRANGEBYRANK', failures_key, 0, -(MAX_FAILURES + 1))
  failures = failures_since(failures_key, now - window)
  if failures >= threshold then
    redis.call('DEL', failures_key)
    opened_at, open_until = now, now + open_ms
    redis.call('HSET', key, 'state', 'open', 'opened_at', opened_at, 'open_until', open_until)
    state, transition = 'open', 'opened'
  else
    redis.call('PEXPIRE', failures_key, MAX_WINDOW_MS)
  end
elseif state == 'closed' then
  failures = failures_since(failures_key, now - window)
end

redis.call('HSET', key, 'last_at', now, 'last_outcome', outcome)
redis.call('PEXPIRE', key, STATE_KEEP_MS)
if state == 'closed' then
  redis.call('SET', status_key, 'ok', 'PX', health_ms)
else
  redis.call('SET', status_key, 'down', 'PX', health_ms)
end
local notify = 0
if transition == 'closed' then
  redis.call('DEL', alert_key)
elseif state ~= 'closed' and outcome == 'failure' then
  if redis.call('SET', alert_key, ARGV[9], 'NX', 'PX', alert_ms) then notify = 1 end
end
return {state, transition, notify, failures, opened_at, open_until}
`;

/**
 * Read-only. ARGV: window ms. Returns {state, opened at, open until, probe lease until (0 when no
 * live probe), last report at, last outcome, failures in the window, health view or '', alert
 * sent value or '', now}.
 */
export const STATUS = `${COMMON}
local now = now_ms()
local b = load(KEYS[1], now)
local failures = 0
if b.state == 'closed' then failures = failures_since(KEYS[2], now - tonumber(ARGV[1])) end
local probe_until = 0
if b.state == 'half_open' and b.probe ~= '' and now < b.probe_until then probe_until = b.probe_until end
return {
  b.state, b.opened_at, b.open_until, probe_until, b.last_at, b.last_outcome, failures,
  redis.call('GET', KEYS[3]) or '', redis.call('GET', KEYS[4]) or '', now,
}
`;
