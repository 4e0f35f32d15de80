import { z } from 'zod/v4';

import { WidipError } from '../errors';

/** A service's breaker name: the same rule as the health keys' `<service>` (core/redis/keys.ts). */
export const SERVICE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Shortest time setting: below it, Redis round trips and timers blur the state machine. */
export const MIN_SECONDS = 0.05;

/** The longest failure window any caller may ask for; failure timestamps are kept this long. */
export const MAX_WINDOW_SECONDS = 3600;

/** The highest threshold: the breaker keeps at most this many failure timestamps per service. */
export const MAX_FAILURE_THRESHOLD = 1000;

const seconds = (max: number) => z.number().min(MIN_SECONDS).max(max);

/**
 * A breaker's settings, given on every call (the state in Redis is shared, the settings are not):
 * every caller of one service should pass the same ones. Seconds may be fractional (tests use
 * 0.2 s); the Lua scripts get whole milliseconds.
 */
export const breakerSettingsSchema = z.strictObject({
	/** This many failures within windowSeconds open the breaker. */
	failureThreshold: z.number().int().min(1).max(MAX_FAILURE_THRESHOLD).default(5),
	windowSeconds: seconds(MAX_WINDOW_SECONDS).default(60),
	/** How long an opened breaker rejects every call before one probe may try. */
	openSeconds: seconds(3600).default(30),
	/** How long a probe may take before its lease lapses and another caller may probe. */
	probeTtlSeconds: seconds(600).default(30),
	/** While the service stays down, the "service down" alert goes out at most once per this. */
	alertIntervalSeconds: seconds(86_400).default(300),
	/** The health view (`ok`/`down`) lives this long after the last report, then reads unknown. */
	healthTtlSeconds: seconds(86_400).default(120),
});

export type BreakerSettings = z.output<typeof breakerSettingsSchema>;
export type BreakerSettingsInput = z.input<typeof breakerSettingsSchema>;

/** Settings in whole milliseconds, as the scripts take them. */
export interface BreakerMs {
	failureThreshold: number;
	windowMs: number;
	openMs: number;
	probeTtlMs: number;
	alertIntervalMs: number;
	healthTtlMs: number;
}

/** Validates settings; a bad one is a `bad_request` naming each field, e.g. `windowSeconds: …`. */
export function parseBreakerSettings(input: BreakerSettingsInput = {}): BreakerMs {
	const result = breakerSettingsSchema.safeParse(input);
	if (!result.success) {
		const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(settings)'}: ${issue.message}`);
		throw new WidipError('bad_request', `Invalid circuit breaker settings: ${problems.join('; ')}`, { service: 'breaker' });
	}
	const s = result.data;
	const ms = (value: number) => Math.max(1, Math.round(value * 1000));
	return {
		failureThreshold: s.failureThreshold,
		windowMs: ms(s.windowSeconds),
		openMs: ms(s.openSeconds),
		probeTtlMs: ms(s.probeTtlSeconds),
		alertIntervalMs: ms(s.alertIntervalSeconds),
		healthTtlMs: ms(s.healthTtlSeconds),
	};
}

export function validateServiceName(service: string): string {
	if (typeof service !== 'string' || !SERVICE_NAME.test(service)) {
		throw new WidipError('bad_request', `Invalid service name "${String(service).slice(0, 70)}": use 1–64 letters, digits, _ or -`, {
			service: 'breaker',
		});
	}
	return service;
}
