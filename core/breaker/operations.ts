import { z } from 'zod/v4';

import type { AnyOperation } from '../catalogue/operation';
import { defineOperation } from '../catalogue/operation';
import { breakerSettingsSchema, SERVICE_NAME } from './settings';

const service = z
	.string()
	.regex(SERVICE_NAME, 'use 1–64 letters, digits, _ or -')
	.default('glpi')
	.describe('The service the breaker protects, one breaker per name. Example: glpi')
	.meta({ title: 'Service', placeholder: 'glpi' });

const settings = breakerSettingsSchema.shape;
const failureThreshold = settings.failureThreshold
	.describe('This many failures within the window open the breaker. Use the same settings for one service everywhere')
	.meta({ title: 'Failure Threshold' });
const windowSeconds = settings.windowSeconds
	.describe('Failures older than this many seconds no longer count (fractions allowed, at least 0.05)')
	.meta({ title: 'Window (Seconds)' });
const openSeconds = settings.openSeconds
	.describe('Seconds an opened breaker rejects every call before one probe call may try again')
	.meta({ title: 'Open (Seconds)' });
const probeTtlSeconds = settings.probeTtlSeconds
	.describe('Seconds a probe may take: if its caller never reports (crashed), another caller may probe after this')
	.meta({ title: 'Probe Lease (Seconds)' });
const alertIntervalSeconds = settings.alertIntervalSeconds
	.describe('While the service stays down, notifyDown is true at most once per this many seconds')
	.meta({ title: 'Alert Interval (Seconds)' });
const healthTtlSeconds = settings.healthTtlSeconds
	.describe('Seconds the health view (ok/down) lasts after the last report; then it reads unknown, so a dead Health-Check never leaves a stale ok')
	.meta({ title: 'Health TTL (Seconds)' });

const state = z.enum(['closed', 'open', 'half_open']);
const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);
const secondsLeft = (ms: number | undefined) => (ms === undefined ? null : Math.max(0, Math.ceil(ms / 1000)));

export const breakerStatus = defineOperation({
	id: 'breaker.status',
	service: 'breaker',
	resource: 'circuit breaker',
	displayName: 'Status',
	summary: 'Read a service\'s circuit breaker without changing it.',
	description:
		'Read the shared circuit breaker of a service (e.g. glpi) without changing it: state closed (calls go through), open (calls are refused at once after repeated failures) or half_open (one probe call is testing the service); healthy ok, down, or unknown when nothing was reported recently; failures in the window, when the outage began (openedAt) and when calls may resume (retryAfterSeconds).',
	level: 0,
	input: z.strictObject({ service, windowSeconds }),
	output: z.object({
		service: z.string(),
		state,
		healthy: z.enum(['ok', 'down', 'unknown']),
		failures: z.number().int(),
		windowSeconds: z.number(),
		openedAt: z.string().nullable(),
		retryAfterSeconds: z.number().nullable(),
		probeInFlight: z.boolean(),
		lastReportAt: z.string().nullable(),
		lastOutcome: z.enum(['success', 'failure']).nullable(),
		downAlertSentAt: z.string().nullable(),
		message: z.string(),
	}),
	handler: async ({ service, windowSeconds }, coordination) => {
		const s = await coordination.guard('breaker.status', () => coordination.breakers.status(service, { windowSeconds }));
		const since = s.openedAt ? ` since ${iso(s.openedAt)}` : '';
		const message =
			s.state === 'closed'
				? `${service}: circuit closed, calls go through (${s.failures} failure(s) in the last ${s.windowSeconds} s); health ${s.healthy}`
				: s.state === 'open'
					? `${service}: circuit open${since}, calls are refused; a probe may try in ${secondsLeft(s.retryAfterMs)} s; health ${s.healthy}`
					: `${service}: circuit half-open${since}, ${s.probeInFlight ? 'a probe call is testing the service' : 'the next call will probe the service'}; health ${s.healthy}`;
		return {
			service,
			state: s.state,
			healthy: s.healthy,
			failures: s.failures,
			windowSeconds: s.windowSeconds,
			openedAt: iso(s.openedAt),
			retryAfterSeconds: secondsLeft(s.retryAfterMs),
			probeInFlight: s.probeInFlight,
			lastReportAt: iso(s.lastReportAt),
			lastOutcome: s.lastOutcome ?? null,
			downAlertSentAt: s.downAlertSentAt ?? null,
			message,
		};
	},
});

export const breakerCheck = defineOperation({
	id: 'breaker.check',
	service: 'breaker',
	resource: 'circuit breaker',
	displayName: 'Check',
	summary: 'Ask a service\'s circuit breaker whether to call the service now.',
	description:
		'Ask the shared circuit breaker before calling a service. Returns {allowed, role, state}: role normal (closed: call), probe (half-open: only you call, then Record with the probeToken returned here, success or failure) or rejected (open: do not call, retry after retryAfterSeconds). Exactly one caller gets the probe; its lease lapses after Probe Lease seconds if it never reports. Workflows only.',
	level: 1,
	workflowOnly: true,
	input: z.strictObject({ service, probeTtlSeconds }),
	output: z.object({
		service: z.string(),
		allowed: z.boolean(),
		role: z.enum(['normal', 'probe', 'rejected']),
		state,
		probeToken: z.string().nullable(),
		retryAfterSeconds: z.number().nullable(),
		openedAt: z.string().nullable(),
		message: z.string(),
	}),
	handler: async ({ service, probeTtlSeconds }, coordination) => {
		const c = await coordination.guard('breaker.check', () => coordination.breakers.check(service, { probeTtlSeconds }));
		const since = c.openedAt ? ` since ${iso(c.openedAt)}` : '';
		const message =
			c.role === 'normal'
				? `${service}: circuit closed, call the service`
				: c.role === 'probe'
					? `${service}: circuit half-open${since}; this call is the probe: call the service, then Record the outcome with this probeToken`
					: `${service}: circuit ${c.state === 'open' ? 'open' : 'half-open, another call is probing'}${since}; do not call, retry in ${secondsLeft(c.retryAfterMs)} s`;
		return {
			service,
			allowed: c.allowed,
			role: c.role,
			state: c.state === 'unknown' ? 'closed' : c.state,
			probeToken: c.probeToken ?? null,
			retryAfterSeconds: secondsLeft(c.retryAfterMs),
			openedAt: iso(c.openedAt),
			message,
		};
	},
});

export const breakerRecord = defineOperation({
	id: 'breaker.record',
	service: 'breaker',
	resource: 'circuit breaker',
	displayName: 'Record',
	summary: 'Tell a service\'s circuit breaker whether a call to the service worked.',
	description:
		'Report the outcome of a call to a service (or of the Health-Check ping) to its shared circuit breaker. Count only the service failing (5xx, timeout, unreachable) as failure, not a 4xx. Failure Threshold failures within the window open it; while half-open only the probe (pass its probeToken from Check) closes it (success) or re-opens it (failure). Returns {state, transition: opened | reopened | closed | null, notifyDown}: send the "service down" mail only when notifyDown is true (once when it opens, then at most once per Alert Interval). Workflows only.',
	level: 1,
	workflowOnly: true,
	input: z.strictObject({
		service,
		outcome: z.enum(['success', 'failure']).describe('What the call did: success (the service answered) or failure').meta({ title: 'Outcome' }),
		probeToken: z
			.string()
			.regex(/^(?:[0-9a-f]{32})?$/, 'expected the 32-character probeToken returned by Check, or nothing')
			.default('')
			.describe('The probeToken Check returned when its role was probe; leave empty otherwise. Without it a probe\'s outcome cannot close the breaker')
			.meta({ title: 'Probe Token' }),
		failureThreshold,
		windowSeconds,
		openSeconds,
		alertIntervalSeconds,
		healthTtlSeconds,
	}),
	output: z.object({
		service: z.string(),
		state,
		transition: z.enum(['opened', 'reopened', 'closed']).nullable(),
		notifyDown: z.boolean(),
		failures: z.number().int(),
		openedAt: z.string().nullable(),
		retryAfterSeconds: z.number().nullable(),
		message: z.string(),
	}),
	handler: async ({ service, outcome, probeToken, ...settings }, coordination) => {
		const r = await coordination.guard('breaker.record', () => coordination.breakers.record(service, outcome, settings, probeToken || undefined));
		const retry = r.openUntil ? secondsLeft(r.openUntil - Date.now()) : null;
		const alert = r.notifyDown ? '; send the "service down" alert (notifyDown)' : '';
		const message =
			r.transition === 'opened'
				? `${service}: circuit opened after ${settings.failureThreshold} failures within ${settings.windowSeconds} s; calls are refused for ${settings.openSeconds} s${alert}`
				: r.transition === 'reopened'
					? `${service}: the probe failed, circuit open again for ${settings.openSeconds} s${alert}`
					: r.transition === 'closed'
						? `${service}: the probe succeeded, circuit closed; calls go through again`
						: r.state === 'closed'
							? `${service}: ${outcome} recorded; circuit closed (${r.failures}/${settings.failureThreshold} failures in the window)`
							: `${service}: ${outcome} recorded; circuit stays ${r.state === 'open' ? 'open' : 'half-open'} (only the probe's report changes it)${alert}`;
		return {
			service,
			state: r.state,
			transition: r.transition,
			notifyDown: r.notifyDown,
			failures: r.failures,
			openedAt: iso(r.openedAt),
			retryAfterSeconds: r.state === 'open' ? retry : null,
			message,
		};
	},
});

export const breakerOperations: AnyOperation[] = [breakerStatus, breakerCheck, breakerRecord];
