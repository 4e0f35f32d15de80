import type { Coordination } from '../../core/redis/coordination';
import { ALERT } from '../observium/alert-fixture';
import { connectTest, dropPrefix, REDIS_HOST, REDIS_PORT } from '../support/redis';
import { loadWorkflow, N8nHarness } from './harness';

/**
 * In a real n8n 2.41.1, the first steps of Proactif: Observium's webhook → WIDIP Observium Normalize
 * Alert → WIDIP Incident Intake Alert, whose four outputs each answer the webhook with their name, so
 * the test sees where n8n routed each alert. State is checked in Redis.
 */
describe('Observium webhook → normalise → incident intake in real n8n', () => {
	let harness: N8nHarness;
	let probe: Coordination;

	beforeAll(async () => {
		probe = await connectTest('e2einc');
		harness = await N8nHarness.create();
		await harness.importCredentials([
			{
				id: 'widipE2eIncObs01',
				name: 'WIDIP Observium (incident e2e)',
				type: 'widipObserviumApi',
				// Normalize Alert never calls Observium; the node still names its credential.
				data: { url: 'http://127.0.0.1:9/api/v0', username: 'n8n', password: 'unused-Observium-pw', timeoutMs: 2000, timeZone: 'UTC' },
			},
			{
				id: 'widipE2eIncSgd01',
				name: 'WIDIP platform Redis (incident e2e)',
				type: 'widipSafeguardApi',
				data: { host: REDIS_HOST, port: REDIS_PORT, database: 0, tls: false, keyPrefix: probe.config.keyPrefix, timeoutMs: 3000, safeguardSecret: '' },
			},
		]);
		await harness.importWorkflows([loadWorkflow('incident-intake.json')]);
		await harness.publish('widipE2eIncident1');
		await harness.start();
	}, 40 * 60_000);

	afterAll(async () => {
		await harness?.stop();
		harness?.dispose();
		if (probe) {
			await dropPrefix(probe);
			await probe.close();
		}
	});

	/** Observium's webhook transport: its notification tags as a JSON body. */
	function tags(host: string, state: string, at: number, extra: Record<string, unknown> = {}) {
		return {
			...ALERT,
			ALERT_STATE: state,
			ALERT_STATUS: state === 'RECOVER' ? '1' : '0',
			ALERT_UNIXTIME: Math.floor(at / 1000),
			ALERT_TIMESTAMP: undefined,
			ALERT_ID: String(host.length * 1000 + host.charCodeAt(host.length - 1)),
			DEVICE_HOSTNAME: host,
			ENTITY_NAME: host,
			DEVICE_LOCATION: 'EHPAD Les Lilas, Villeurbanne',
			TITLE: `${state}: [${host}] [device] up/down`,
			...extra,
		};
	}

	async function post(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
		const deadline = Date.now() + 30_000;
		for (;;) {
			// n8n answers /healthz/readiness before it has registered published workflows' webhooks.
			const response = await fetch(`${harness.baseUrl}/webhook/widip-e2e-observium`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify(body),
			});
			if (response.status !== 404 || Date.now() > deadline) {
				const text = await response.text();
				let json: Record<string, unknown> = {};
				try {
					json = JSON.parse(text) as Record<string, unknown>;
				} catch {
					json = { text };
				}
				return { status: response.status, json };
			}
			await new Promise((resolve) => setTimeout(resolve, 250));
		}
	}

	it('routes a site\'s alerts to New Incident, Update, Suppressed and Recovered, one incident for the site', async () => {
		const now = Date.now() - 5_000;
		const router = await post(tags('EHPAD-Lilas-RTR01', 'ALERT', now));
		expect(router).toMatchObject({ status: 200, json: { route: 'new', decision: 'new', reason: 'first_alert', kind: 'device' } });
		const incident = router.json.incident as string;
		expect(incident).toMatch(/^inc-/);

		const reminder = await post(tags('EHPAD-Lilas-RTR01', 'ALERT REMINDER', now + 1_000));
		expect(reminder.json).toMatchObject({ route: 'suppressed', reason: 'reminder', incident });

		const again = await post(tags('EHPAD-Lilas-RTR01', 'ALERT REMINDER', now + 1_000));
		expect(again.json).toMatchObject({ route: 'suppressed', reason: 'duplicate_delivery' });

		const sw = await post(tags('EHPAD-Lilas-SW01', 'ALERT', now + 2_000));
		expect(sw.json).toMatchObject({ route: 'update', reason: 'site_device_added', incident, kind: 'site', devices: 2 });

		const printer = await post(tags('EHPAD-Lilas-PRN01', 'ALERT', now + 2_500));
		expect(printer.json).toMatchObject({ route: 'suppressed', reason: 'ignored_device', rule: '*-PRN*', incident: null });

		const swUp = await post(tags('EHPAD-Lilas-SW01', 'RECOVER', now + 3_000));
		expect(swUp.json).toMatchObject({ route: 'update', reason: 'partial_recovery', incident });
		const routerUp = await post(tags('EHPAD-Lilas-RTR01', 'RECOVER', now + 4_000));
		expect(routerUp.json).toMatchObject({ route: 'recovered', decision: 'recovered', incident });

		// What the technicians and the MCP server read: the same record, recovered, with both devices.
		const record = await probe.incidents.get(incident);
		expect(record).toMatchObject({ status: 'recovered', kind: 'site', likelyCause: null, alertCount: 5 });
		expect(record!.devices.map((device) => [device.hostname, device.state]).sort()).toEqual([
			['EHPAD-Lilas-RTR01', 'ok'],
			['EHPAD-Lilas-SW01', 'ok'],
		]);
	}, 120_000);

	it('a malformed webhook body fails the execution (HTTP 500) and creates nothing', async () => {
		const before = await probe.redis.keys(`${probe.config.keyPrefix}incident:*`);
		const answer = await post({ ALERT_STATE: 'ALERT', ALERT_ID: '7' });
		expect(answer.status).toBe(500);
		expect(await probe.redis.keys(`${probe.config.keyPrefix}incident:*`)).toEqual(expect.arrayContaining(before));
		expect((await probe.redis.keys(`${probe.config.keyPrefix}incident:*`)).length).toBe(before.length);
		expect(harness.log()).not.toContain('unused-Observium-pw');
	}, 60_000);
});
