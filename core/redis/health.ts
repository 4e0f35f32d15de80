import type Redis from 'ioredis';

import type { RedisKeys } from './keys';

export type HealthStatus = 'ok' | 'down' | 'unknown';

export const HEALTH_TTL_SECONDS = 60;
export const DOWN_ALERT_TTL_SECONDS = 300;

/**
 * Shared health flags (the seed's `glpi_health_status`, here `<prefix>health:glpi:status`) and the
 * anti-spam "alert sent" flag (`<prefix>health:glpi:down_alert_sent`). They are platform keys,
 * outside the Redis Helper's `cache:` namespace. A flag that was not refreshed within its TTL reads as
 * unknown, so a dead Health-Check never leaves a stale "ok" behind.
 *
 * The circuit breaker (core/breaker) now writes these same two keys as views of its state on every
 * report: `ok` while closed, `down` while open or half-open, and the alert flag taken by the report
 * told notifyDown. Prefer reporting to the breaker (`breakers.record`): set() here overrides the view
 * by hand until the next report, and claimDownAlert() shares the breaker's flag, so a mail sent
 * either way is never sent twice in one interval.
 */
export class HealthFlags {
	constructor(
		private readonly redis: Redis,
		private readonly keys: RedisKeys,
	) {}

	async set(service: string, status: 'ok' | 'down', ttlSeconds = HEALTH_TTL_SECONDS): Promise<void> {
		await this.redis.set(this.keys.healthStatus(service), status, 'EX', ttlSeconds);
		if (status === 'ok') await this.redis.del(this.keys.downAlertSent(service));
	}

	async get(service: string): Promise<HealthStatus> {
		const value = await this.redis.get(this.keys.healthStatus(service));
		return value === 'ok' || value === 'down' ? value : 'unknown';
	}

	/**
	 * Claims the right to send the "service down" alert: true for exactly one caller per window,
	 * however many workers see the outage at once.
	 */
	async claimDownAlert(service: string, ttlSeconds = DOWN_ALERT_TTL_SECONDS): Promise<boolean> {
		const result = await this.redis.set(this.keys.downAlertSent(service), new Date().toISOString(), 'EX', ttlSeconds, 'NX');
		return result === 'OK';
	}
}
