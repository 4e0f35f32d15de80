import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { catalogue } from '../../core/catalogue';
import { resolveSettings } from '../../core/incident/settings';
import { Coordination } from '../../core/redis/coordination';
import { isWidipError } from '../../core/errors';
import { Incident } from '../../nodes/Incident/Incident.node';
import { fakeExecuteContext } from '../support/n8n-context';
import { connectTest, dropPrefix, spawnRedis } from '../support/redis';
import { observiumAlert } from './support';

/** The WIDIP Incident node in a workflow and as an AI tool, and intake when Redis goes away. */
describe('WIDIP Incident node and its edges (real Redis)', () => {
	let coordination: Coordination;
	let credential: IDataObject;

	beforeAll(async () => {
		coordination = await connectTest('incnode');
		credential = { host: coordination.config.host, port: coordination.config.port, keyPrefix: coordination.config.keyPrefix, timeoutMs: 3000, safeguardSecret: '' };
	});
	afterAll(async () => {
		await dropPrefix(coordination);
		await coordination.close();
	});

	const run = (type: string, params: IDataObject[], continueOnFail = false) =>
		new Incident().execute.call(
			fakeExecuteContext({ type, name: 'Incident', credentialsByType: { widipSafeguardApi: credential }, params, continueOnFail }),
		) as Promise<INodeExecutionData[][]>;

	it('in a workflow, Intake Alert sends each item to the output of its decision, paired with its input item', async () => {
		const at = Date.now() - 1_000;
		const alert = (state: 'ALERT' | 'RECOVER', host = 'EHPAD-Node-SW01') => observiumAlert({ host, location: 'EHPAD Node', state, at: state === 'RECOVER' ? at + 500 : at });
		const outputs = await run('n8n-nodes-widip.incident', [
			{ operation: 'incident.intake', alert: alert('ALERT') },
			{ operation: 'incident.intake', alert: alert('ALERT') },
			{ operation: 'incident.intake', alert: alert('RECOVER') },
			{ operation: 'incident.intake', alert: alert('ALERT', 'EHPAD-Node-PRN01'), additionalFields: { ignoreDevices: '["*-PRN*"]' } },
		]);
		expect(outputs).toHaveLength(4);
		expect(outputs.map((output) => output.map((item) => [item.json.decision, item.pairedItem]))).toEqual([
			[['new', { item: 0 }]],
			[],
			[['recovered', { item: 2 }]],
			[['suppressed', { item: 1 }], ['suppressed', { item: 3 }]],
		]);
	});

	it('a bad alert fails with the field named, or with continueOnFail leaves an error item and goes on', async () => {
		const bad = { operation: 'incident.intake', alert: { state: 'ALERT' } };
		await expect(run('n8n-nodes-widip.incident', [bad])).rejects.toThrow(/alert\.alertId/);
		const [first] = await run('n8n-nodes-widip.incident', [bad, { operation: 'incident.list' }], true);
		expect(first[0].json.error).toMatch(/alert\.alertId/);
		expect(first[1].json).toMatchObject({ count: expect.any(Number) });
	});

	it('as an AI tool, only reads run: intake, review and the diagnosis claim are refused and write nothing', async () => {
		const before = await coordination.redis.keys(`${coordination.config.keyPrefix}*`);
		const alert = observiumAlert({ host: 'EHPAD-Agent-RTR01', at: Date.now() - 1_000 });
		for (const params of [
			{ operation: 'incident.intake', alert },
			{ operation: 'incident.review' },
			{ operation: 'incident.claim_diagnosis', incidentId: 'inc-abc-01234567', claimSeconds: 60 },
			{ operation: 'incident.save_diagnosis', incidentId: 'inc-abc-01234567', claimToken: '0'.repeat(32), diagnosis: 'nothing wrong' },
		]) {
			const [[answer]] = await run('n8n-nodes-widip.incidentTool', [params]);
			expect(answer.json).toMatchObject({ status: 'forbidden', message: expect.stringMatching(/workflows only.*Nothing was done/) });
		}
		expect((await coordination.redis.keys(`${coordination.config.keyPrefix}*`)).sort()).toEqual(before.sort());
		const [[listed]] = await run('n8n-nodes-widip.incidentTool', [{ operation: 'incident.list', status: 'open', limit: 5 }]);
		expect(listed.json).toMatchObject({ count: expect.any(Number), incidents: expect.any(Array) });
	});

	it('Redis lost: intake fails with a clear error naming Redis, writes nothing half; Redis back: intake works again', async () => {
		const redis = await spawnRedis();
		const lost = await Coordination.connect({ host: '127.0.0.1', port: redis.port, keyPrefix: 'widip:', timeoutMs: 1000, reconnect: true });
		try {
			const alert = observiumAlert({ host: 'EHPAD-Lost-RTR01', at: Date.now() - 1_000 });
			expect(await catalogue.run('incident.intake', { alert }, { incident: lost })).toMatchObject({ decision: 'new' });
			await redis.stop();
			const failure = await catalogue.run('incident.intake', { alert: { ...alert, alertId: 2, message: 'other' } }, { incident: lost }).catch((error: unknown) => error);
			expect(isWidipError(failure)).toBe(true);
			expect((failure as Error).message).toMatch(new RegExp(`Redis at 127\\.0\\.0\\.1:${redis.port} (is unreachable|refused the connection|did not answer)`));
			const again = await spawnRedis([], redis.port);
			try {
				// Redis came back empty (no persistence here): the alert is a new incident again, not an error.
				const deadline = Date.now() + 10_000;
				let result: unknown;
				while (Date.now() < deadline) {
					result = await catalogue.run('incident.intake', { alert }, { incident: lost }).catch(() => undefined);
					if (result) break;
					await new Promise((resolve) => setTimeout(resolve, 200));
				}
				expect(result).toMatchObject({ decision: 'new' });
				expect(await lost.incidents.review(resolveSettings())).toEqual({ reviewed: 0, changes: [] });
				await lost.close();
			} finally {
				await again.stop();
			}
		} finally {
			lost.redis.disconnect();
			await redis.stop();
		}
	}, 40_000);
});
