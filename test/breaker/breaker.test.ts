import { catalogue } from '../../core/catalogue';
import { WidipError } from '../../core/errors';
import type { BreakerSettingsInput } from '../../core/breaker/settings';
import type { Coordination } from '../../core/redis/coordination';
import { connectTest, dropPrefix } from '../support/redis';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('shared circuit breaker (real Redis)', () => {
	let coordination: Coordination;
	let n = 0;
	/** A fresh service name per test: every test starts from a closed breaker. */
	const fresh = () => `svc-${++n}`;

	beforeAll(async () => {
		coordination = await connectTest('breaker');
	});
	afterAll(async () => {
		await dropPrefix(coordination);
		await coordination.close();
	});

	const fail = (service: string, settings: BreakerSettingsInput, token?: string) => coordination.breakers.record(service, 'failure', settings, token);
	const succeed = (service: string, settings: BreakerSettingsInput, token?: string) => coordination.breakers.record(service, 'success', settings, token);

	it('opens after failureThreshold failures within the window; failures older than the window do not count', async () => {
		const service = fresh();
		const settings = { failureThreshold: 3, windowSeconds: 0.4, openSeconds: 30 };
		expect(await fail(service, settings)).toMatchObject({ state: 'closed', transition: null, failures: 1 });
		expect(await fail(service, settings)).toMatchObject({ state: 'closed', transition: null, failures: 2 });
		await sleep(450); // both fall out of the window
		expect(await fail(service, settings)).toMatchObject({ state: 'closed', failures: 1 });
		// successes do not reset the count: failures within the window do
		expect(await succeed(service, settings)).toMatchObject({ state: 'closed', failures: 1 });
		expect(await fail(service, settings)).toMatchObject({ state: 'closed', failures: 2 });
		const opened = await fail(service, settings);
		expect(opened).toMatchObject({ state: 'open', transition: 'opened', notifyDown: true });
		expect(opened.openUntil! - opened.openedAt!).toBe(30_000);
		expect(await coordination.breakers.status(service)).toMatchObject({ state: 'open', healthy: 'down', openedAt: opened.openedAt });
	});

	it('open: every check is rejected with the time left; after openSeconds exactly one caller gets the probe', async () => {
		const service = fresh();
		const settings = { failureThreshold: 1, openSeconds: 0.3 };
		const opened = await fail(service, settings);
		const rejected = await coordination.breakers.check(service, settings);
		expect(rejected).toMatchObject({ allowed: false, role: 'rejected', state: 'open', openedAt: opened.openedAt });
		expect(rejected.retryAfterMs).toBeGreaterThan(150);
		expect(rejected.retryAfterMs).toBeLessThanOrEqual(300);
		expect(rejected.probeToken).toBeUndefined();
		await sleep(320);
		const checks = await Promise.all(Array.from({ length: 10 }, () => coordination.breakers.check(service, settings)));
		const probes = checks.filter((check) => check.role === 'probe');
		expect(probes).toHaveLength(1);
		expect(probes[0]).toMatchObject({ allowed: true, state: 'half_open', probeToken: expect.stringMatching(/^[0-9a-f]{32}$/) });
		for (const other of checks.filter((check) => check.role !== 'probe')) expect(other).toMatchObject({ allowed: false, state: 'half_open' });
		expect(await coordination.breakers.status(service)).toMatchObject({ state: 'half_open', probeInFlight: true, healthy: 'down' });
	});

	it('a successful probe closes it, resets the failures and the down alert; the next outage alerts again', async () => {
		const service = fresh();
		const settings = { failureThreshold: 2, openSeconds: 0.1 };
		await fail(service, settings);
		expect(await fail(service, settings)).toMatchObject({ transition: 'opened', notifyDown: true });
		await sleep(120);
		const probe = await coordination.breakers.check(service, settings);
		expect(probe.role).toBe('probe');
		expect(await succeed(service, settings, probe.probeToken)).toMatchObject({ state: 'closed', transition: 'closed', notifyDown: false });
		expect(await coordination.breakers.status(service)).toMatchObject({ state: 'closed', failures: 0, healthy: 'ok', probeInFlight: false });
		expect(await coordination.redis.exists(coordination.keys.downAlertSent(service))).toBe(0);
		expect(await coordination.breakers.check(service, settings)).toEqual({ allowed: true, role: 'normal', state: 'closed' });
		// the count started again from zero: one failure does not re-open it, two do, with a new alert
		expect(await fail(service, settings)).toMatchObject({ state: 'closed', failures: 1 });
		expect(await fail(service, settings)).toMatchObject({ transition: 'opened', notifyDown: true });
	});

	it('a failed probe re-opens it for openSeconds, keeping when the outage began', async () => {
		const service = fresh();
		const settings = { failureThreshold: 1, openSeconds: 0.2 };
		const opened = await fail(service, settings);
		await sleep(220);
		const probe = await coordination.breakers.check(service, settings);
		const reopened = await fail(service, settings, probe.probeToken);
		expect(reopened).toMatchObject({ state: 'open', transition: 'reopened', openedAt: opened.openedAt });
		expect(reopened.openUntil! - reopened.openedAt!).toBeGreaterThanOrEqual(400);
		expect(await coordination.breakers.check(service, settings)).toMatchObject({ role: 'rejected', state: 'open' });
		await sleep(220);
		expect(await coordination.breakers.check(service, settings)).toMatchObject({ role: 'probe' });
	});

	it("a crashed probe's lease lapses after probeTtlSeconds and another caller probes; the late report changes nothing", async () => {
		const service = fresh();
		const settings = { failureThreshold: 1, openSeconds: 0.05, probeTtlSeconds: 0.3 };
		await fail(service, settings);
		await sleep(60);
		const crashed = await coordination.breakers.check(service, settings);
		expect(crashed.role).toBe('probe');
		const waiting = await coordination.breakers.check(service, settings);
		expect(waiting).toMatchObject({ role: 'rejected', state: 'half_open' });
		expect(waiting.retryAfterMs).toBeLessThanOrEqual(300);
		await sleep(320);
		const next = await coordination.breakers.check(service, settings);
		expect(next.role).toBe('probe');
		expect(next.probeToken).not.toBe(crashed.probeToken);
		// the crashed caller's report arrives late: its token is no longer the probe's
		expect(await succeed(service, settings, crashed.probeToken)).toMatchObject({ state: 'half_open', transition: null });
		expect(await succeed(service, settings, next.probeToken)).toMatchObject({ state: 'closed', transition: 'closed' });
	});

	it('while half-open, reports from callers without the probe token change nothing', async () => {
		const service = fresh();
		const settings = { failureThreshold: 1, openSeconds: 0.05 };
		await fail(service, settings);
		await sleep(60);
		const probe = await coordination.breakers.check(service, settings);
		for (let i = 0; i < 5; i++) expect(await fail(service, settings)).toMatchObject({ state: 'half_open', transition: null });
		expect(await succeed(service, settings)).toMatchObject({ state: 'half_open', transition: null });
		expect(await succeed(service, settings, 'f'.repeat(32))).toMatchObject({ state: 'half_open', transition: null });
		expect(await coordination.breakers.status(service)).toMatchObject({ state: 'half_open', probeInFlight: true });
		expect(await succeed(service, settings, probe.probeToken)).toMatchObject({ transition: 'closed' });
	});

	it('notifyDown: one of many concurrent reporters when it opens, then once per alertIntervalSeconds while it stays down', async () => {
		const service = fresh();
		const settings = { failureThreshold: 3, openSeconds: 60, alertIntervalSeconds: 0.4 };
		const reports = await Promise.all(Array.from({ length: 12 }, () => fail(service, settings)));
		expect(reports.filter((report) => report.transition === 'opened')).toHaveLength(1);
		expect(reports.filter((report) => report.notifyDown)).toHaveLength(1);
		expect(reports.find((report) => report.notifyDown)?.transition).toBe('opened');
		expect(await coordination.redis.pttl(coordination.keys.downAlertSent(service))).toBeGreaterThan(300);
		// still down: failures reported within the interval alert nobody
		expect((await Promise.all(Array.from({ length: 5 }, () => fail(service, settings)))).some((r) => r.notifyDown)).toBe(false);
		await sleep(420);
		const again = await Promise.all(Array.from({ length: 8 }, () => fail(service, settings)));
		expect(again.filter((report) => report.notifyDown)).toHaveLength(1);
		expect(again.every((report) => report.state === 'open' && report.transition === null)).toBe(true);
		// a success reported while open (not the probe) alerts nobody and changes nothing
		expect(await succeed(service, settings)).toMatchObject({ state: 'open', notifyDown: false });
	});

	it('healthy is a view of the breaker: ok while closed, down while open, unknown once nobody reported for healthTtlSeconds', async () => {
		const service = fresh();
		const settings = { failureThreshold: 2, openSeconds: 60, healthTtlSeconds: 0.3 };
		expect((await coordination.breakers.status(service)).healthy).toBe('unknown');
		expect(await coordination.health.get(service)).toBe('unknown');
		await succeed(service, settings);
		expect((await coordination.breakers.status(service)).healthy).toBe('ok');
		// one failure under the threshold: calls still go through
		await fail(service, settings);
		expect(await coordination.breakers.status(service)).toMatchObject({ healthy: 'ok', failures: 1, lastOutcome: 'failure' });
		await fail(service, settings);
		expect((await coordination.breakers.status(service)).healthy).toBe('down');
		// the legacy health flag reads the same key
		expect(await coordination.health.get(service)).toBe('down');
		expect(await coordination.redis.get(coordination.keys.healthStatus(service))).toBe('down');
		await sleep(320); // the Health-Check died: no stale answer
		const stale = await coordination.breakers.status(service);
		expect(stale).toMatchObject({ healthy: 'unknown', state: 'open' });
		expect(await coordination.health.get(service)).toBe('unknown');
	});

	it('invalid settings and service names fail with a clear error naming the field, before touching Redis', async () => {
		const service = fresh();
		const cases: Array<[BreakerSettingsInput, RegExp]> = [
			[{ windowSeconds: 0.01 }, /windowSeconds: /],
			[{ failureThreshold: 0 }, /failureThreshold: /],
			[{ failureThreshold: 2.5 }, /failureThreshold: /],
			[{ openSeconds: -1 }, /openSeconds: /],
			[{ probeTtlSeconds: 601 }, /probeTtlSeconds: /],
			[{ alertIntervalSeconds: Number.NaN }, /alertIntervalSeconds: /],
			[{ windowSecs: 5 } as BreakerSettingsInput, /windowSecs/],
		];
		for (const [settings, field] of cases) {
			const error = await coordination.breakers.record(service, 'failure', settings).catch((e: unknown) => e);
			expect(error).toBeInstanceOf(WidipError);
			expect(error).toMatchObject({ kind: 'bad_request', message: expect.stringMatching(/^Invalid circuit breaker settings: /) });
			expect((error as Error).message).toMatch(field);
		}
		await expect(coordination.breakers.check('glpi:status', {})).rejects.toThrow(/Invalid service name "glpi:status"/);
		await expect(coordination.breakers.status('')).rejects.toThrow(/Invalid service name/);
		expect(await coordination.redis.exists(`${coordination.config.keyPrefix}breaker:${service}`)).toBe(0);
		expect(() => catalogue.parseInput('breaker.record', { service: 'glpi', outcome: 'failure', windowSeconds: 0 })).toThrow(/windowSeconds: /);
		expect(() => catalogue.parseInput('breaker.status', { service: 'a b' })).toThrow(/service: use 1–64 letters/);
		expect(() => catalogue.parseInput('breaker.record', { service: 'glpi', outcome: 'maybe' })).toThrow(/outcome: /);
	});

	it('keys: state hash and failures under <prefix>breaker:, health keys under <prefix>health:, all with a TTL', async () => {
		const service = fresh();
		const prefix = coordination.config.keyPrefix;
		await fail(service, { failureThreshold: 3 });
		expect(await coordination.redis.hget(`${prefix}breaker:${service}`, 'state')).toBeNull(); // closed is the absence of state
		expect(await coordination.redis.zcard(`${prefix}breaker:${service}:failures`)).toBe(1);
		for (const key of [`${prefix}breaker:${service}`, `${prefix}breaker:${service}:failures`, `${prefix}health:${service}:status`]) {
			expect(await coordination.redis.pttl(key)).toBeGreaterThan(0);
		}
		expect(await coordination.redis.pttl(`${prefix}health:${service}:status`)).toBeLessThanOrEqual(120_000);
	});

	describe('operations', () => {
		const run = (id: string, args: unknown) => catalogue.run(id, args, { breaker: coordination }) as Promise<Record<string, any>>;

		it('breaker.status is L0 and readable by agents; check and record are L1 and workflow-only', () => {
			expect(catalogue.get('breaker.status')).toMatchObject({ level: 0, resource: 'circuit breaker' });
			expect(catalogue.get('breaker.status').workflowOnly).toBeFalsy();
			for (const id of ['breaker.check', 'breaker.record']) expect(catalogue.get(id)).toMatchObject({ level: 1, workflowOnly: true, resource: 'circuit breaker' });
			expect(catalogue.parseInput('breaker.record', { outcome: 'success' })).toEqual({
				service: 'glpi',
				outcome: 'success',
				probeToken: '',
				failureThreshold: 5,
				windowSeconds: 60,
				openSeconds: 30,
				alertIntervalSeconds: 300,
				healthTtlSeconds: 120,
			});
		});

		it('a workflow runs check → call → record through the operations, ISO times and a message for technicians', async () => {
			const service = fresh();
			const settings = { failureThreshold: 2, openSeconds: 0.1 };
			expect(await run('breaker.check', { service })).toMatchObject({ allowed: true, role: 'normal', state: 'closed', probeToken: null });
			await run('breaker.record', { service, outcome: 'failure', ...settings });
			const opened = await run('breaker.record', { service, outcome: 'failure', ...settings });
			expect(opened).toMatchObject({ state: 'open', transition: 'opened', notifyDown: true, openedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
			expect(opened.message).toMatch(/circuit opened after 2 failures within 60 s; calls are refused for 0.1 s; send the "service down" alert/);
			expect(await run('breaker.status', { service })).toMatchObject({ state: 'open', healthy: 'down', downAlertSentAt: expect.any(String) });
			const rejected = await run('breaker.check', { service });
			expect(rejected).toMatchObject({ allowed: false, role: 'rejected', retryAfterSeconds: expect.any(Number) });
			expect(rejected.message).toMatch(/do not call, retry in \d+ s/);
			await sleep(120);
			const probe = await run('breaker.check', { service });
			expect(probe).toMatchObject({ allowed: true, role: 'probe', probeToken: expect.stringMatching(/^[0-9a-f]{32}$/) });
			const closed = await run('breaker.record', { service, outcome: 'success', probeToken: probe.probeToken, ...settings });
			expect(closed).toMatchObject({ state: 'closed', transition: 'closed', notifyDown: false });
			expect(await run('breaker.status', { service })).toMatchObject({ state: 'closed', healthy: 'ok', openedAt: null, downAlertSentAt: null });
		});
	});
});
