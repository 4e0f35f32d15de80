/**
 * The incident engine's Lua: every decision about an alert is read, made and written in one script,
 * so any number of workers and replicas delivering the same alert at once see one outcome (one
 * "new incident", never two). Redis runs a script alone; nothing interleaves with it.
 *
 * The script computes incident key names from the prefix (KEYS holds the fixed ones): WIDIP runs on a
 * standalone or Sentinel Redis, not on Redis Cluster.
 *
 * Flap arithmetic here must stay identical to flapping.ts (same operations in the same order, so the
 * same doubles); test/incident/flapping.test.ts holds both to one hand-computed table.
 */

const FLAP_LUA = `
local HLEN = 21
local function percent(hist)
  local weighted = 0
  for x = 1, HLEN - 1 do
    if string.sub(hist, x + 1, x + 1) ~= string.sub(hist, x, x) then
      weighted = weighted + (0.75 + ((x - 1) * (1.25 - 0.75)) / (HLEN - 2))
    end
  end
  return (weighted * 100) / (HLEN - 1)
end
`;

/**
 * KEYS: 1 fingerprint state, 2 open index, 3 recent index, 4 stats, 5 site key (or the fingerprint key
 * again when the alert has no site; ARGV[10] says which).
 * ARGV: see IntakeArguments in engine.ts, in order.
 * Returns { decision, reason, incident id, flapping 0/1, percent, claim token }.
 */
export const INTAKE_LUA = `${FLAP_LUA}
local fpKey, openKey, recentKey, statsKey, siteKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local P = ARGV[1]
local now = tonumber(ARGV[2])
local kind = ARGV[3]
local delivery, newId, claimToken = ARGV[4], ARGV[5], ARGV[6]
local hostname, entity, upstream = ARGV[7], ARGV[8], ARGV[9]
local hasSite = ARGV[10] == '1'
local title, severity, lastAlert = ARGV[11], ARGV[12], ARGV[13]
local dedupMs, reminderMs = tonumber(ARGV[14]), tonumber(ARGV[15])
local low, high, flapNotifyMs = tonumber(ARGV[16]), tonumber(ARGV[17]), tonumber(ARGV[18])
local checkMs, siteWindowMs, maxDevices = tonumber(ARGV[19]), tonumber(ARGV[20]), tonumber(ARGV[21])
local openTtl, closedTtl, claimTtl, fpTtl = tonumber(ARGV[22]), tonumber(ARGV[23]), tonumber(ARGV[24]), tonumber(ARGV[25])
local fp, site = ARGV[26], ARGV[27]

local st = redis.call('HMGET', fpKey, 'h', 'fl', 'lt', 'inc', 'dl')
local hist = st[1] or string.rep('0', HLEN)
local wasFlapping = st[2] == '1'
local lastAt = tonumber(st[3])
local incId = st[4]
local deliveries = st[5] or ''

local function finish(decision, reason, id, fl, pc, claim)
  redis.call('HINCRBY', statsKey, decision .. ':' .. reason, 1)
  return { decision, reason, id or '', fl and 1 or 0, tostring(pc), claim or '' }
end

-- A webhook delivered twice is one sample, not two.
if kind ~= 'tick' and delivery ~= '' and string.find(' ' .. deliveries .. ' ', ' ' .. delivery .. ' ', 1, true) then
  return finish('suppressed', 'duplicate_delivery', incId, wasFlapping, tonumber(redis.call('HGET', fpKey, 'pc') or '0'), nil)
end

-- Observium only reports changes and reminders: a quiet stretch stands for the checks it polled.
local last = string.sub(hist, HLEN, HLEN)
if lastAt then
  local quiet = math.floor((now - lastAt) / checkMs)
  if kind ~= 'tick' then quiet = quiet - 1 end
  if quiet > 0 then
    if quiet > HLEN then quiet = HLEN end
    hist = string.sub(hist .. string.rep(last, quiet), -HLEN)
    if kind == 'tick' then lastAt = lastAt + quiet * checkMs end
  end
end
if kind == 'tick' then
  if not lastAt then return finish('none', 'no_change', incId, wasFlapping, 0, nil) end
else
  local sample = (kind == 'recovery') and '0' or '1'
  hist = string.sub(hist .. sample, -HLEN)
  lastAt = now
  deliveries = string.sub(delivery .. ' ' .. deliveries, 1, 17 * 8 - 1)
end
local pc = percent(hist)
local flapping = wasFlapping
if pc >= high then flapping = true elseif pc <= low then flapping = false end
local flapStarted = flapping and not wasFlapping
local flapStopped = wasFlapping and not flapping

local function saveFp(id)
  redis.call('HSET', fpKey, 'h', hist, 'fl', flapping and '1' or '0', 'pc', tostring(pc), 'lt', tostring(lastAt), 'inc', id or '', 'dl', deliveries)
  redis.call('PEXPIRE', fpKey, fpTtl)
end

local inc, incKey, devKey = nil, nil, nil
if incId and incId ~= '' then
  incKey = P .. incId
  devKey = incKey .. ':devices'
  local rec = redis.call('HMGET', incKey, 'status', 'recoveredAt', 'noticeAt', 'flapNoticeAt')
  if rec[1] then
    inc = { status = rec[1], recoveredAt = tonumber(rec[2]) or 0, noticeAt = tonumber(rec[3]) or 0, flapNoticeAt = tonumber(rec[4]) or 0 }
  end
end

local function setMember(state)
  local current = redis.call('HGET', devKey, fp)
  if not current then return nil end
  local prev, since, rest = string.match(current, '^(%d)|(%d+)|(.*)$')
  if prev ~= state then since = tostring(now) end
  redis.call('HSET', devKey, fp, state .. '|' .. since .. '|' .. rest)
  return prev
end

local function failing()
  local count = 0
  for _, value in ipairs(redis.call('HVALS', devKey)) do
    if string.sub(value, 1, 1) == '1' then count = count + 1 end
  end
  return count
end

local function touch(ttl)
  local fields = { 'updatedAt', tostring(now), 'flapping', flapping and '1' or '0', 'flapPercent', tostring(pc) }
  if lastAlert ~= '' then table.insert(fields, 'lastAlert'); table.insert(fields, lastAlert) end
  redis.call('HSET', incKey, unpack(fields))
  if kind ~= 'tick' then redis.call('HINCRBY', incKey, 'alertCount', 1) end
  redis.call('PEXPIRE', incKey, ttl)
  redis.call('PEXPIRE', devKey, ttl)
end

-- The site's incident stays the one its other devices join while its devices keep failing.
local function holdSite()
  if not hasSite then return end
  local current, at = string.match(redis.call('GET', siteKey) or '', '^([^|]+)|(%d+)$')
  if not current or current == incId or now - tonumber(at) > siteWindowMs then
    redis.call('SET', siteKey, incId .. '|' .. tostring(now), 'PX', siteWindowMs * 2)
  end
end

local function notified(field)
  redis.call('HSET', incKey, 'noticeAt', tostring(now))
  if field then redis.call('HSET', incKey, field, tostring(now)) end
end

local function flapDecision(default)
  if flapStarted then notified('flapNoticeAt'); return 'update', 'flapping_started' end
  if now - inc.flapNoticeAt >= flapNotifyMs then notified('flapNoticeAt'); return 'update', 'flapping_renotify' end
  return 'suppressed', default
end

local function close(reason)
  redis.call('HSET', incKey, 'status', 'recovered', 'recoveredAt', tostring(now))
  redis.call('ZREM', openKey, incId)
  redis.call('ZADD', recentKey, now, incId)
  redis.call('ZREMRANGEBYRANK', recentKey, 0, -1001)
  if hasSite and string.match(redis.call('GET', siteKey) or '', '^([^|]*)') == incId then redis.call('DEL', siteKey) end
  notified(nil)
  touch(closedTtl)
  saveFp(incId)
  return finish('recovered', reason, incId, flapping, pc, nil)
end

if kind == 'tick' then
  if not inc or inc.status ~= 'open' then saveFp(incId); return finish('none', 'no_change', incId, flapping, pc, nil) end
  if flapStopped then
    if last == '0' and failing() == 0 then return close('flapping_stopped') end
    notified(nil); touch(openTtl); saveFp(incId)
    return finish('update', 'flapping_stopped', incId, flapping, pc, nil)
  end
  redis.call('HSET', incKey, 'flapping', flapping and '1' or '0', 'flapPercent', tostring(pc))
  saveFp(incId)
  return finish('none', 'no_change', incId, flapping, pc, nil)
end

if kind == 'recovery' then
  if not inc then saveFp(nil); return finish('suppressed', 'unknown_recovery', nil, flapping, pc, nil) end
  if inc.status ~= 'open' then saveFp(incId); return finish('suppressed', 'already_recovered', incId, flapping, pc, nil) end
  setMember('0')
  if flapping then
    local decision, reason = flapDecision('flapping')
    touch(openTtl); saveFp(incId)
    return finish(decision, reason, incId, flapping, pc, nil)
  end
  if failing() == 0 then return close(flapStopped and 'flapping_stopped' or 'recovered') end
  notified(nil); touch(openTtl); saveFp(incId)
  return finish('update', 'partial_recovery', incId, flapping, pc, nil)
end

-- A failure or a reminder.
if inc and inc.status == 'open' then
  local prev = setMember('1')
  local decision, reason
  if flapping then decision, reason = flapDecision('flapping')
  elseif flapStopped then notified(nil); decision, reason = 'update', 'flapping_stopped'
  elseif prev == '0' then notified(nil); decision, reason = 'update', 'device_failed_again'
  elseif kind == 'reminder' and now - inc.noticeAt >= reminderMs then notified(nil); decision, reason = 'update', 'reminder'
  elseif kind == 'reminder' then decision, reason = 'suppressed', 'reminder'
  else decision, reason = 'suppressed', 'duplicate' end
  holdSite(); touch(openTtl); saveFp(incId)
  return finish(decision, reason, incId, flapping, pc, nil)
end

if inc and inc.status == 'recovered' and now - inc.recoveredAt <= dedupMs then
  redis.call('HSET', incKey, 'status', 'open', 'recoveredAt', '')
  redis.call('ZADD', openKey, now, incId)
  redis.call('ZREM', recentKey, incId)
  setMember('1')
  local decision, reason
  if flapping then decision, reason = flapDecision('flapping')
  else notified(nil); decision, reason = 'update', 'reopened' end
  holdSite(); touch(openTtl); saveFp(incId)
  return finish(decision, reason, incId, flapping, pc, nil)
end

local member = '1|' .. tostring(now) .. '|' .. hostname .. '|' .. upstream .. '|' .. entity

-- Another device of this site failed a moment ago: same incident, one more device.
if hasSite then
  -- '<id>|<last failure ms>': the window is judged on the caller's clock, the key's TTL only tidies up.
  local siteId, siteAt = string.match(redis.call('GET', siteKey) or '', '^([^|]+)|(%d+)$')
  if siteId and now - tonumber(siteAt) <= siteWindowMs then
    incKey = P .. siteId
    devKey = incKey .. ':devices'
    if redis.call('HGET', incKey, 'status') == 'open' then
      incId = siteId
      holdSite()
      if redis.call('HLEN', devKey) >= maxDevices then
        redis.call('HINCRBY', incKey, 'devicesNotListed', 1)
        touch(openTtl); saveFp(incId)
        return finish('suppressed', 'site_incident_full', incId, flapping, pc, nil)
      end
      -- Another check of a device already in the incident is related, but does not make it a site incident.
      local sameDevice = false
      for _, value in ipairs(redis.call('HVALS', devKey)) do
        if string.lower(string.match(value, '^%d|%d+|([^|]*)|') or '') == string.lower(hostname) then sameDevice = true end
      end
      redis.call('HSET', devKey, fp, member)
      if not sameDevice then redis.call('HSET', incKey, 'kind', 'site') end
      notified(nil); touch(openTtl); saveFp(incId)
      return finish('update', sameDevice and 'device_check_added' or 'site_device_added', incId, flapping, pc, nil)
    end
  end
end

incId = newId
incKey = P .. incId
devKey = incKey .. ':devices'
redis.call('HSET', incKey, 'id', incId, 'kind', 'device', 'status', 'open', 'site', site, 'title', title, 'severity', severity,
  'openedAt', tostring(now), 'noticeAt', tostring(now), 'flapNoticeAt', flapping and tostring(now) or '0', 'alertCount', '0',
  'claim', claimToken, 'claimUntil', tostring(now + claimTtl))
redis.call('HSET', devKey, fp, member)
redis.call('ZADD', openKey, now, incId)
holdSite()
touch(openTtl); saveFp(incId)
return finish('new', kind == 'reminder' and 'reminder_without_incident' or 'first_alert', incId, flapping, pc, claimToken)
`;

/**
 * KEYS: 1 incident. ARGV: now, token, claim ms, fresh ms.
 * Returns { 'missing' } | { 'fresh', diagnosedAt } | { 'held', claimUntil } | { 'claimed', claimUntil }.
 */
export const CLAIM_DIAGNOSIS_LUA = `
local now, token, ttl, fresh = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local rec = redis.call('HMGET', KEYS[1], 'status', 'diagnosedAt', 'claim', 'claimUntil')
if not rec[1] then return { 'missing', '' } end
local diagnosedAt = tonumber(rec[2])
if diagnosedAt and now - diagnosedAt < fresh then return { 'fresh', rec[2] } end
local claimUntil = tonumber(rec[4])
if rec[3] and rec[3] ~= '' and claimUntil and claimUntil > now then return { 'held', rec[4] } end
redis.call('HSET', KEYS[1], 'claim', token, 'claimUntil', tostring(now + ttl))
return { 'claimed', tostring(now + ttl) }
`;

/**
 * KEYS: 1 incident. ARGV: token, now, diagnosis text.
 * Only the claim's holder saves (even just after its claim lapsed, as long as nobody else claimed).
 */
export const SAVE_DIAGNOSIS_LUA = `
local rec = redis.call('HMGET', KEYS[1], 'status', 'claim')
if not rec[1] then return 'missing' end
if rec[2] ~= ARGV[1] then return 'not_holder' end
redis.call('HSET', KEYS[1], 'diagnosis', ARGV[3], 'diagnosedAt', ARGV[2], 'claim', '', 'claimUntil', '')
return 'saved'
`;

/** -1: no such record; 0: linked now; else the ticket id linked before (the first one stays). */
export const LINK_TICKET_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HSETNX', KEYS[1], 'ticketId', ARGV[1]) == 1 then return 0 end
return tonumber(redis.call('HGET', KEYS[1], 'ticketId'))
`;

/** KEYS: 1 incident. ARGV: token. Only the holder gives its claim back; the diagnosis stays as it was. */
export const RELEASE_DIAGNOSIS_LUA = `
local rec = redis.call('HMGET', KEYS[1], 'status', 'claim')
if not rec[1] then return 'missing' end
if rec[2] ~= ARGV[1] then return 'not_holder' end
redis.call('HSET', KEYS[1], 'claim', '', 'claimUntil', '')
return 'released'
`;
