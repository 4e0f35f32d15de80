import { randomBytes } from 'node:crypto';

import type Redis from 'ioredis';

import type { RedisKeys } from '../redis/keys';
import { type Circuit, failOpenCircuit } from './circuit';
import { breakerKeys } from './keys';
import { CHECK, RECORD, STATUS } from './scripts';
import { parseBreakerSettings, type BreakerSettingsInput } from './settings';

export type BreakerState = 'closed' | 'open' | 'half_open';
export type BreakerOutcome = 'success' | 'failure';
/** `normal`: closed, call away. `probe`: half-open, this caller alone tries. `rejected`: do not call. */
export type BreakerRole = 'normal' | 'probe' | 'rejected';
export type BreakerTransition = 'opened' | 'reopened' | 'closed' | null;
/** The health flag as a view of the breaker: `unknown` when nobody reported within healthTtlSeconds. */
export type HealthView = 'ok' | 'down' | 'unknown';

export interface BreakerCheck {
	allowed: boolean;
	role: BreakerRole;
	/** `unknown` only when Redis could not be asked (see `redis`). */
	state: BreakerState | 'unknown';
	/** Given with role `probe`: pass it to record(), which alone may close or re-open the breaker. */
	probeToken?: string;
	/** When rejected: milliseconds until a call may be allowed again (end of the open period or probe lease). */
	retryAfterMs?: number;
	/** Epoch ms the outage began (first opening), when not closed. */
	openedAt?: number;
	/** Set by a circuit that failed open: Redis did not answer, the call went ahead unguarded. */
	redis?: 'unreachable';
}

export interface BreakerReport {
	state: BreakerState;
	/** What this report did: opened it, re-opened it (failed probe), closed it (successful probe), or nothing. */
	transition: BreakerTransition;
	/** True for exactly one reporter when it opens, then at most once per alertIntervalSeconds while down. */
	notifyDown: boolean;
	/** Failures within the window, counted while closed (0 once open). */
	failures: number;
	openedAt?: number;
	openUntil?: number;
}

export interface BreakerStatus {
	service: string;
	state: BreakerState;
	healthy: HealthView;
	/** Failures within `windowSeconds` (only counted while closed). */
	failures: number;
	windowSeconds: number;
	openedAt?: number;
	/** While open or half-open with a probe under way: ms until a call may be allowed. */
	retryAfterMs?: number;
	probeInFlight: boolean;
	lastReportAt?: number;
	lastOutcome?: BreakerOutcome;
	/** When the "service down" alert last went out, while its anti-spam flag lives. */
	downAlertSentAt?: string;
}

type BreakerCommands = Redis & {
	widipBreakerCheck(...args: (string | number)[]): Promise<[BreakerRole, BreakerState, number, number]>;
	widipBreakerRecord(...args: (string | number)[]): Promise<[BreakerState, string, number, number, number, number]>;
	widipBreakerStatus(...args: (string | number)[]): Promise<[BreakerState, number, number, number, number, string, number, string, string, number]>;
};

function defineBreakerCommands(redis: Redis): BreakerCommands {
	const commands = redis as BreakerCommands;
	if (typeof commands.widipBreakerCheck !== 'function') {
		// EVALSHA, falling back to EVAL after a Redis restart flushed the scripts
		redis.defineCommand('widipBreakerCheck', { numberOfKeys: 1, lua: CHECK });
		redis.defineCommand('widipBreakerRecord', { numberOfKeys: 4, lua: RECORD });
		redis.defineCommand('widipBreakerStatus', { numberOfKeys: 4, lua: STATUS });
	}
	return commands;
}

const positive = (value: number) => (value > 0 ? value : undefined);

/**
 * Shared circuit breakers, one per service, in Redis: closed → (failureThreshold failures within
 * windowSeconds) → open → (openSeconds later) half-open → one probe → closed on success, open
 * again on failure. Every transition is one Lua script on Redis's clock (scripts.ts), so any
 * number of workers, processes and runtime replicas agree on one state.
 *
 * The health flag and the anti-spam flag are views of it: every report writes
 * `health:<service>:status` (`ok` while closed, `down` while open or half-open, expiring after
 * healthTtlSeconds so a dead Health-Check leaves `unknown`, never a stale `ok`), and the report
 * that opens the breaker — or, while it stays down, the first one after alertIntervalSeconds —
 * takes `health:<service>:down_alert_sent` and is told notifyDown.
 *
 * Redis unreachable: these methods reject (operations turn that into a clear error); a client's
 * circuit (`circuit()`) fails open instead, so a Redis outage never blocks service calls by itself.
 */
export class Breakers {
	readonly redis: BreakerCommands;

	constructor(
		redis: Redis,
		readonly keys: RedisKeys,
	) {
		this.redis = defineBreakerCommands(redis);
	}

	/** Asks before calling the service. Only `allowed` callers should call; a `probe` must report with its token. */
	async check(service: string, settings?: BreakerSettingsInput): Promise<BreakerCheck> {
		const keys = breakerKeys(this.keys, service);
		const { probeTtlMs } = parseBreakerSettings(settings);
		const token = randomBytes(16).toString('hex');
		const [role, state, retryMs, openedAt] = await this.redis.widipBreakerCheck(keys.state, token, probeTtlMs);
		return {
			allowed: role !== 'rejected',
			role,
			state,
			...(role === 'probe' ? { probeToken: token } : {}),
			...(role === 'rejected' ? { retryAfterMs: Math.max(0, Number(retryMs)) } : {}),
			...(positive(Number(openedAt)) ? { openedAt: Number(openedAt) } : {}),
		};
	}

	/** Reports a call's outcome. Failures count only while closed; while half-open only the probe's report counts. */
	async record(service: string, outcome: BreakerOutcome, settings?: BreakerSettingsInput, probeToken?: string): Promise<BreakerReport> {
		const keys = breakerKeys(this.keys, service);
		const ms = parseBreakerSettings(settings);
		if (outcome !== 'success' && outcome !== 'failure') throw new TypeError(`outcome must be "success" or "failure"`);
		const [state, transition, notify, failures, openedAt, openUntil] = await this.redis.widipBreakerRecord(
			keys.state,
			keys.failures,
			keys.status,
			keys.alert,
			outcome,
			probeToken ?? '',
			ms.failureThreshold,
			ms.windowMs,
			ms.openMs,
			ms.alertIntervalMs,
			ms.healthTtlMs,
			randomBytes(8).toString('hex'),
			new Date().toISOString(),
		);
		return {
			state,
			transition: transition === '' ? null : (transition as BreakerTransition),
			notifyDown: Number(notify) === 1,
			failures: Number(failures),
			...(positive(Number(openedAt)) ? { openedAt: Number(openedAt) } : {}),
			...(positive(Number(openUntil)) ? { openUntil: Number(openUntil) } : {}),
		};
	}

	/** Read-only view: state, failures within `windowSeconds` (default 60), the health view, the last report. */
	async status(service: string, settings?: Pick<BreakerSettingsInput, 'windowSeconds'>): Promise<BreakerStatus> {
		const keys = breakerKeys(this.keys, service);
		const { windowMs } = parseBreakerSettings(settings);
		const [state, openedAt, openUntil, probeUntil, lastAt, lastOutcome, failures, health, alert, now] = await this.redis.widipBreakerStatus(
			keys.state,
			keys.failures,
			keys.status,
			keys.alert,
			windowMs,
		);
		const retryAt = state === 'open' ? Number(openUntil) : Number(probeUntil);
		return {
			service,
			state,
			healthy: health === 'ok' || health === 'down' ? health : 'unknown',
			failures: Number(failures),
			windowSeconds: windowMs / 1000,
			...(positive(Number(openedAt)) ? { openedAt: Number(openedAt) } : {}),
			...(state !== 'closed' && retryAt > 0 ? { retryAfterMs: Math.max(0, retryAt - Number(now)) } : {}),
			probeInFlight: Number(probeUntil) > 0,
			...(positive(Number(lastAt)) ? { lastReportAt: Number(lastAt) } : {}),
			...(lastOutcome === 'success' || lastOutcome === 'failure' ? { lastOutcome } : {}),
			...(alert ? { downAlertSentAt: alert } : {}),
		};
	}

	/**
	 * The breaker as a service client's hook: check before each operation, report after it. It
	 * fails open — when Redis does not answer within `redisBudgetMs`, the call goes ahead unguarded
	 * and its outcome is not reported — so a Redis outage alone never stops calls to the service.
	 */
	circuit(service: string, settings?: BreakerSettingsInput, options: { redisBudgetMs?: number } = {}): Circuit {
		breakerKeys(this.keys, service);
		parseBreakerSettings(settings);
		return failOpenCircuit(this, service, settings, options.redisBudgetMs);
	}
}
