import path from 'node:path';

import type { Coordination } from '../../core/redis/coordination';
import { spawnTs, type LineChild } from '../support/child-lines';
import { connectTest, dropPrefix } from '../support/redis';
import { observiumAlert, T0 } from './support';

const WORKER = path.join(__dirname, '../support/incident-worker.ts');
const PROCESSES = 2;
const WORKERS_EACH = 6;

interface Outcome {
	decision: string;
	reason: string;
	incident: string | null;
	claim: boolean;
}

describe('incident intake under concurrency: 12 workers in 2 processes, real Redis', () => {
	let coordination: Coordination;
	const children: LineChild[] = [];

	beforeAll(async () => {
		coordination = await connectTest('incrace');
	});
	afterAll(async () => {
		for (const child of children) child.kill();
		await dropPrefix(coordination);
		await coordination.close();
	});

	/** Starts both processes, waits until all their connections are up, then says go to both at once. */
	async function race(alerts: unknown[], now: number): Promise<Outcome[]> {
		const started = Array.from({ length: PROCESSES }, (_, index) =>
			spawnTs(WORKER, [coordination.config.keyPrefix, String(WORKERS_EACH), JSON.stringify(alerts), String(now), String(index * WORKERS_EACH)]),
		);
		children.push(...started);
		await Promise.all(started.map((child) => child.line(0)));
		for (const child of started) child.send('go\n');
		const lines = await Promise.all(started.map((child) => child.line(1)));
		await Promise.all(started.map((child) => child.done));
		return lines.flatMap((line) => JSON.parse(line) as Outcome[]);
	}

	it('the same alert delivered to every worker at once: exactly one new incident, one diagnosis claim', async () => {
		const alert = observiumAlert({ host: 'EHPAD-Race-RTR01', location: 'EHPAD Race', at: T0 });
		const outcomes = await race([alert], T0);
		expect(outcomes).toHaveLength(PROCESSES * WORKERS_EACH);
		expect(outcomes.filter((outcome) => outcome.decision === 'new')).toHaveLength(1);
		expect(outcomes.filter((outcome) => outcome.claim)).toHaveLength(1);
		expect(outcomes.filter((outcome) => outcome.reason === 'duplicate_delivery')).toHaveLength(PROCESSES * WORKERS_EACH - 1);
		expect(new Set(outcomes.map((outcome) => outcome.incident)).size).toBe(1);
		expect(await coordination.redis.zcard(coordination.incidents.keys.open)).toBe(1);
	}, 60_000);

	it('the same problem reported by twelve distinct notifications at once (not re-deliveries): one new incident, eleven duplicates of it', async () => {
		const alerts = Array.from({ length: PROCESSES * WORKERS_EACH }, (_, i) =>
			observiumAlert({ host: 'EHPAD-Race-SW07', location: 'EHPAD Race 2', at: T0 - i * 1_000 }),
		);
		const outcomes = await race(alerts, T0);
		expect(outcomes.filter((outcome) => outcome.decision === 'new')).toHaveLength(1);
		expect(outcomes.filter((outcome) => outcome.reason === 'duplicate')).toHaveLength(alerts.length - 1);
		expect(new Set(outcomes.map((outcome) => outcome.incident)).size).toBe(1);
	}, 60_000);

	it('twelve devices of one site failing at the same instant: one site incident listing all twelve', async () => {
		const alerts = Array.from({ length: PROCESSES * WORKERS_EACH }, (_, i) =>
			observiumAlert({ host: `CLINIQUE-Storm-SW${String(i).padStart(2, '0')}`, location: 'Clinique Storm', alertId: 500 + i, at: T0 }),
		);
		const outcomes = await race(alerts, T0);
		expect(outcomes.filter((outcome) => outcome.decision === 'new')).toHaveLength(1);
		expect(outcomes.filter((outcome) => outcome.reason === 'site_device_added')).toHaveLength(alerts.length - 1);
		const ids = new Set(outcomes.map((outcome) => outcome.incident));
		expect(ids.size).toBe(1);
		const incident = await coordination.incidents.get([...ids][0]!, T0);
		expect(incident).toMatchObject({ kind: 'site', site: 'Clinique Storm' });
		expect(incident!.devices.map((device) => device.hostname).sort()).toEqual(alerts.map((alert) => alert.device.hostname).sort());
	}, 60_000);
});
