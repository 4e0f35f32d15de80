import { catalogue } from '../../core/catalogue';
import { normalizeAlert } from '../../core/observium/alert-webhook';
import { ObserviumClient } from '../../core/observium/client';
import { createObserviumSimulator, type ObserviumSimulator } from '../../sandbox/simulators/observium';
import { loadWorkflow, N8nHarness, outputItems } from './harness';

/**
 * The `n8n-nodes-widip.observium` node from our packed package inside a real n8n 2.41.1, every
 * operation against the Observium simulator over HTTP; results must equal what the catalogue
 * returns when called directly.
 */
describe('WIDIP Observium in real n8n', () => {
	const password = 'E2e-Observium-S3cret';
	const wrongPassword = 'E2e-Observium-Wr0ng';
	let simulator: ObserviumSimulator;
	let direct: ObserviumClient;
	let harness: N8nHarness;

	const expected = (id: string, args: object) =>
		catalogue.run(id, args, { observium: direct }) as Promise<Record<string, unknown>>;

	beforeAll(async () => {
		simulator = createObserviumSimulator({ password });
		await simulator.start(0, '127.0.0.1');
		const url = `${simulator.url}/api/v0`;
		direct = new ObserviumClient({ baseUrl: url, username: simulator.username, password });
		harness = await N8nHarness.create();
		const credential = (id: string, name: string, secret: string) => ({
			id,
			name,
			type: 'widipObserviumApi',
			data: { url, username: simulator.username, password: secret, timeoutMs: 5000, timeZone: 'UTC' },
		});
		await harness.importCredentials([
			credential('widipE2eObsCred1', 'WIDIP Observium (e2e)', password),
			credential('widipE2eObsBadPw', 'WIDIP Observium wrong password (e2e)', wrongPassword),
		]);
		await harness.importWorkflows(['observium-operations.json', 'observium-failures.json'].map(loadWorkflow));
	}, 40 * 60_000);

	afterAll(async () => {
		await simulator?.stop();
		harness?.dispose();
	});

	it('runs status, metrics, alerts, history and normalize from the node, with the catalogue answers', async () => {
		simulator.requests.splice(0);
		const result = await harness.execute('widipE2eObsOps01');
		expect(result.error).toBeUndefined();
		expect(result.ok).toBe(true);

		expect(outputItems(result, 'Status')).toEqual([
			await expected('observium.device_status', { device: 'EHPAD-Les-Tilleuls-RTR01' }),
		]);
		expect(outputItems(result, 'Status')[0]).toMatchObject({ status: 'down', downReason: 'ping' });

		expect(outputItems(result, 'Metrics')).toEqual([
			await expected('observium.device_metrics', { device: 'Residence-Les-Glycines-SW01' }),
		]);
		expect(outputItems(result, 'Metrics')[0]).toMatchObject({ totals: { portsWithErrors: 1 } });

		const [alerts] = outputItems(result, 'Alerts');
		expect(alerts).toEqual(await expected('observium.device_alerts', { device: '132', status: 'failed' }));
		expect(alerts).toMatchObject({ hostname: 'Residence-Les-Glycines-SW01', failedCount: 1 });

		// The window ends "now", so minutes and % move between the two runs; the events do not.
		const [history] = outputItems(result, 'History');
		const reference = await expected('observium.device_history', { device: 'EHPAD-Les-Tilleuls-RTR01', hours: 24 });
		expect(history).toMatchObject({ hostname: 'EHPAD-Les-Tilleuls-RTR01', hours: 24, isUp: false, downEpisodes: 4 });
		expect(history.events).toEqual(reference.events);
		expect(history.downtimeMinutes).toBeCloseTo(reference.downtimeMinutes as number, -1);

		const [alert] = outputItems(result, 'Normalize Alert');
		const workflow = loadWorkflow('observium-operations.json') as {
			nodes: Array<{ name: string; parameters: { payload?: string } }>;
		};
		const payload = JSON.parse(workflow.nodes.find((node) => node.name === 'Normalize Alert')!.parameters.payload!);
		expect(alert).toEqual(normalizeAlert(payload));
		expect(alert).toMatchObject({ alertId: 25, state: 'ALERT', time: '2023-11-14T22:13:20.000Z' });

		// n8n's node really talked to the simulator, with basic auth (a 401 would have failed the run).
		expect(simulator.seen('GET', '/api/v0/devices/EHPAD-Les-Tilleuls-RTR01/').length).toBeGreaterThanOrEqual(2);
		expect(simulator.seen('GET', '/api/v0/alert_log/').length).toBeGreaterThanOrEqual(2);
		expect(result.output).not.toContain(password);
	}, 180_000);

	it('an unknown device becomes an error item with continueOnFail; a wrong password fails the node clearly', async () => {
		const result = await harness.execute('widipE2eObsFail1');
		expect(result.ok).toBe(false);
		expect(outputItems(result, 'Unknown Device (continue on fail)')).toEqual([
			{ error: 'Observium (observium.device_status): no device with hostname or id "EHPAD-Nowhere-RTR01"', details: { kind: 'not_found', service: 'observium' } },
		]);
		expect(result.error?.node?.name).toBe('Wrong Password');
		expect(result.error?.message).toBe(
			"Observium (observium.device_status): authentication refused (HTTP 401 Authentication failed: check the Observium credential's username and password)",
		);
		expect(result.error?.message).not.toMatch(/\n\s+at /);
		expect(result.output).not.toContain(wrongPassword);
		expect(result.output).not.toContain(password);
	}, 180_000);
});
