import path from 'node:path';

import type { BreakerCheck, BreakerReport } from '../../core/breaker/breakers';
import type { Coordination } from '../../core/redis/coordination';
import { spawnTs, type LineChild } from '../support/child-lines';
import { connectTest, dropPrefix } from '../support/redis';

const CONTENDER = path.join(__dirname, '../support/breaker-contender.ts');
const PROCESSES = 3;
const WORKERS = 5;
/** Every child started, killed at the end even if a test timed out while waiting for one. */
const started: LineChild[] = [];

/**
 * Runs PROCESSES child processes of WORKERS workers each (own Redis connection each), lets
 * `prepare` set the breaker up once all are connected, then starts them all at the same moment.
 */
async function hammer<T>(prefix: string, service: string, mode: 'check' | 'fail', each: number, settings: object, prepare: () => Promise<void>): Promise<T[][]> {
	const children: LineChild[] = Array.from({ length: PROCESSES }, () =>
		spawnTs(CONTENDER, [prefix, service, String(WORKERS), mode, String(each), JSON.stringify(settings)]),
	);
	started.push(...children);
	try {
		for (const child of children) expect(JSON.parse(await child.line(0))).toEqual({ ready: true });
		await prepare();
		const startAt = Date.now() + 150;
		for (const child of children) child.send(`${startAt}\n`);
		const outputs = await Promise.all(children.map((child) => child.done));
		return outputs.flatMap((out) => (JSON.parse(out.trim().split('\n').pop()!) as { results: T[][] }).results);
	} finally {
		for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.kill();
	}
}

describe(`circuit breaker under contention: ${PROCESSES} processes × ${WORKERS} workers at the same moment`, () => {
	let coordination: Coordination;

	beforeAll(async () => {
		coordination = await connectTest('breakerrace');
	});
	afterAll(async () => {
		for (const child of started) if (child.process.exitCode === null && child.process.signalCode === null) child.kill();
		await dropPrefix(coordination);
		await coordination.close();
	});

	it.each([1, 2, 3])('a half-open breaker grants exactly one probe across all processes (round %i)', async (round) => {
		const service = `halfopen-${round}`;
		const settings = { failureThreshold: 1, openSeconds: 0.05, probeTtlSeconds: 30 };
		const results = await hammer<BreakerCheck>(coordination.config.keyPrefix, service, 'check', 1, settings, async () => {
			expect(await coordination.breakers.record(service, 'failure', settings)).toMatchObject({ transition: 'opened' });
			await new Promise((resolve) => setTimeout(resolve, 60)); // open period over: half-open, no probe yet
		});
		const checks = results.flat();
		expect(checks).toHaveLength(PROCESSES * WORKERS);
		const probes = checks.filter((check) => check.role === 'probe');
		expect(probes).toHaveLength(1);
		expect(probes[0]).toMatchObject({ allowed: true, state: 'half_open', probeToken: expect.stringMatching(/^[0-9a-f]{32}$/) });
		for (const check of checks.filter((c) => c.role !== 'probe')) expect(check).toMatchObject({ allowed: false, role: 'rejected', state: 'half_open' });
		// the probe alone decides: its success closes the breaker for everyone
		expect(await coordination.breakers.record(service, 'success', settings, probes[0].probeToken)).toMatchObject({ transition: 'closed' });
	}, 60_000);

	it.each([1, 2, 3])('concurrent failures open it exactly once, and exactly one reporter is told to send the down alert (round %i)', async (round) => {
		const service = `storm-${round}`;
		const settings = { failureThreshold: 5, windowSeconds: 30, openSeconds: 30, alertIntervalSeconds: 300 };
		const results = await hammer<BreakerReport>(coordination.config.keyPrefix, service, 'fail', 3, settings, async () => undefined);
		const reports = results.flat();
		expect(reports).toHaveLength(PROCESSES * WORKERS * 3);
		expect(reports.filter((report) => report.transition === 'opened')).toHaveLength(1);
		expect(reports.filter((report) => report.notifyDown)).toHaveLength(1);
		expect(reports.find((report) => report.notifyDown)!.transition).toBe('opened');
		// the 5th failure opened it: exactly four reports saw it closed, counting 1, 2, 3, 4
		const closed = reports.filter((report) => report.state === 'closed');
		expect(closed.map((report) => report.failures).sort()).toEqual([1, 2, 3, 4]);
		expect(reports.filter((report) => report.state === 'open')).toHaveLength(PROCESSES * WORKERS * 3 - 4);
		expect(await coordination.breakers.status(service)).toMatchObject({ state: 'open', healthy: 'down', downAlertSentAt: expect.any(String) });
	}, 60_000);
});
