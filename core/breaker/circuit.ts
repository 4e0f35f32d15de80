import { WidipError } from '../errors';
import type { BreakerCheck, BreakerOutcome, BreakerReport, Breakers } from './breakers';
import type { BreakerSettingsInput } from './settings';

/**
 * What a service client needs of a circuit breaker: ask before an operation, report after it.
 * Defined here so clients (core/glpi) depend on this shape, not on Redis.
 */
export interface Circuit {
	readonly service: string;
	/** Never rejects: when the breaker cannot be asked, the answer allows the call (`redis: 'unreachable'`). */
	check(): Promise<BreakerCheck>;
	/** Never rejects; undefined when the report could not be stored. */
	record(outcome: BreakerOutcome, probeToken?: string): Promise<BreakerReport | undefined>;
}

/** How long a client waits for the breaker's Redis before calling the service unguarded. */
export const CIRCUIT_REDIS_BUDGET_MS = 1000;

const UNREACHABLE: BreakerCheck = { allowed: true, role: 'normal', state: 'unknown', redis: 'unreachable' };

/** `work`, or undefined when it fails or takes longer than `ms` (its late answer is ignored). */
async function within<T>(ms: number, work: () => Promise<T>): Promise<T | undefined> {
	let timer: NodeJS.Timeout | undefined;
	const late = new Promise<undefined>((resolve) => {
		timer = setTimeout(() => resolve(undefined), ms);
		timer.unref();
	});
	try {
		return await Promise.race([work().catch(() => undefined), late]);
	} finally {
		clearTimeout(timer);
	}
}

/**
 * A circuit over the shared breaker that fails open. A connection that is not ready (Redis down,
 * reconnecting) is not even asked, so an outage costs no time; a slow Redis costs at most the
 * budget. A probe granted too late to be seen lapses after its lease, and another caller probes.
 */
export function failOpenCircuit(breakers: Breakers, service: string, settings?: BreakerSettingsInput, budgetMs = CIRCUIT_REDIS_BUDGET_MS): Circuit {
	const ready = () => breakers.redis.status === 'ready';
	return {
		service,
		check: async () => (ready() ? await within(budgetMs, () => breakers.check(service, settings)) : undefined) ?? UNREACHABLE,
		record: async (outcome, probeToken) => (ready() ? await within(budgetMs, () => breakers.record(service, outcome, settings, probeToken)) : undefined),
	};
}

/**
 * Whether a failed call counts against the service: it did not answer (connection refused or cut,
 * timeout) or answered 5xx / something that is not the service (an HTML page instead of JSON).
 * A 4xx — not found, refused, authentication, rate limited — is the service answering: not a failure.
 */
export function countsAsFailure(error: unknown): boolean {
	return error instanceof WidipError && (error.kind === 'unavailable' || error.kind === 'timeout');
}

export interface CircuitCall {
	/** "GLPI": named in the fail-fast error. */
	label: string;
	service: string;
	operation: string;
}

/**
 * Runs one service operation through a circuit: rejected at once, without any request, while the
 * breaker is open (or half-open with another caller's probe under way); otherwise run and
 * reported. `ignore()` true after a failure means "not the service's fault" (the client was closed
 * under the call): nothing is reported, and a probe's lease simply lapses.
 */
export async function throughCircuit<T>(circuit: Circuit | undefined, call: CircuitCall, work: () => Promise<T>, ignore?: () => boolean): Promise<T> {
	if (!circuit) return await work();
	const pass = await circuit.check();
	if (!pass.allowed) throw circuitOpenError(call, pass);
	let result: T;
	try {
		result = await work();
	} catch (error) {
		if (!ignore?.()) await circuit.record(countsAsFailure(error) ? 'failure' : 'success', pass.probeToken);
		throw error;
	}
	await circuit.record('success', pass.probeToken);
	return result;
}

/** `GLPI (glpi.get_ticket): circuit open since 2026-…Z after repeated failures; retry in 12 s (no request sent)`. */
export function circuitOpenError(call: CircuitCall, pass: BreakerCheck): WidipError {
	const retryAfterSeconds = Math.max(1, Math.ceil((pass.retryAfterMs ?? 0) / 1000));
	const since = pass.openedAt ? ` since ${new Date(pass.openedAt).toISOString()}` : '';
	const why =
		pass.state === 'half_open'
			? `circuit half-open${since}: another call is probing ${call.label}`
			: `circuit open${since} after repeated failures`;
	return new WidipError('unavailable', `${call.label} (${call.operation}): ${why}; retry in ${retryAfterSeconds} s (no request sent)`, {
		service: call.service,
		operation: call.operation,
		retryAfterSeconds,
	});
}
