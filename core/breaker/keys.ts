import type { RedisKeyDoc, RedisKeys } from '../redis/keys';
import { validateServiceName } from './settings';

export interface BreakerKeys {
	state: string;
	failures: string;
	/** The health view, `<prefix>health:<service>:status` (also HealthFlags'). */
	status: string;
	/** The anti-spam flag, `<prefix>health:<service>:down_alert_sent` (also HealthFlags'). */
	alert: string;
}

/** A service's breaker keys; the service name is checked first, so no name can leave its key. */
export function breakerKeys(keys: RedisKeys, service: string): BreakerKeys {
	const name = validateServiceName(service);
	return {
		state: `${keys.prefix}breaker:${name}`,
		failures: `${keys.prefix}breaker:${name}:failures`,
		status: keys.healthStatus(name),
		alert: keys.downAlertSent(name),
	};
}

/**
 * README's key table rows for the breakers' keys. The two health keys the breaker also writes are
 * documented with the core's rows (core/redis/keys.ts), where HealthFlags' are.
 */
export const BREAKER_KEY_TABLE: readonly RedisKeyDoc[] = [
	{
		key: '`<prefix>breaker:<service>`',
		type: 'hash',
		ttl: '24 h after the last write',
		writtenBy: 'circuit breaker: Coordination Check / Record, the runtime\'s GLPI client',
		meaning:
			'Shared circuit breaker of one service (e.g. `widip:breaker:glpi`): `state` closed / open / half_open, `opened_at` (ms, start of the outage), `open_until` (ms), `probe` + `probe_until` (the one probe\'s token and lease), `last_at` / `last_outcome` (last report). Changed only by Lua scripts on Redis\'s clock. Redis unreachable: the runtime\'s clients call the service anyway (fail open), the Coordination node\'s operations fail with a clear error',
	},
	{
		key: '`<prefix>breaker:<service>:failures`',
		type: 'sorted set',
		ttl: '1 h (the longest window)',
		writtenBy: 'circuit breaker: failure reports while closed',
		meaning: 'Failure id → time (ms) of recent failures, newest 1,000 kept; `failureThreshold` of them within `windowSeconds` open the breaker; emptied when it opens or closes',
	},
];
