import { siteDeviceId, type ObserviumSimulator } from '../../sandbox/simulators/observium';
import { SITES } from '../../sandbox/simulators/seed-data';
import { PASSWORD, rawApi, startSimulator } from './support';

/** The simulator answers as Observium's API is documented (refs/services.md §2), not as our client would like. */
describe('Observium simulator', () => {
	let simulator: ObserviumSimulator;

	beforeAll(async () => {
		simulator = await startSimulator();
	});
	afterAll(async () => {
		await simulator.stop();
	});

	it('collections are objects keyed by id, with string values and a count', async () => {
		const body = await rawApi(simulator, 'devices/');
		expect(body.status).toBe('ok');
		expect(body.count).toBe(Object.keys(body.devices).length);
		expect(body.count).toBe(SITES.length * 3 + 2);
		for (const [key, device] of Object.entries(body.devices as Record<string, Record<string, unknown>>)) {
			expect(device.device_id).toBe(key);
			for (const value of Object.values(device)) expect(value === null || typeof value === 'string').toBe(true);
		}
		const router = body.devices[String(siteDeviceId(0, 'RTR'))];
		expect(router).toMatchObject({ hostname: 'EHPAD-Bellevue-RTR01', status: '0', status_type: 'ping', ip: SITES[0].wanIp });
	});

	it('an empty collection is [] (PHP), a single entity is {"device": …}, an unknown id is 404', async () => {
		expect(await rawApi(simulator, 'ports/?device_id=999999')).toEqual({ status: 'ok', count: 0, ports: [] });
		expect((await rawApi(simulator, 'devices/EHPAD-Les-Mimosas-SW01/')).device).toMatchObject({
			hostname: 'EHPAD-Les-Mimosas-SW01',
			status: '1',
		});
		const missing = await fetch(`${simulator.url}/api/v0/devices/999999/`, {
			headers: { Authorization: `Basic ${Buffer.from(`${simulator.username}:${PASSWORD}`).toString('base64')}` },
		});
		expect(missing.status).toBe(404);
		expect(await missing.json()).toEqual({ status: 'failed', message: 'Device does not exist' });
	});

	it('filters as the web UI does: hostname by substring, device_id, status, fields', async () => {
		const tilleuls = await rawApi(simulator, 'devices/?hostname=tilleuls');
		expect(Object.values(tilleuls.devices).map((device: any) => device.hostname)).toEqual([
			'EHPAD-Les-Tilleuls-RTR01',
			'EHPAD-Les-Tilleuls-SW01',
			'EHPAD-Les-Tilleuls-AP01',
		]);
		const down = await rawApi(simulator, 'devices/?status=0&fields=hostname');
		expect(down.count).toBe(9);
		expect(Object.values(down.devices)[0]).toEqual({ hostname: 'EHPAD-Bellevue-RTR01', device_id: '101' });
		const failing = await rawApi(simulator, 'alerts/?status=failed');
		expect(Object.values(failing.alerts).every((alert: any) => alert.alert_status === '0')).toBe(true);
		expect(failing.count).toBe(9 + 1);
	});

	it('refuses wrong or missing credentials with 401 and a Basic challenge', async () => {
		for (const headers of [{}, { Authorization: `Basic ${Buffer.from(`${simulator.username}:nope`).toString('base64')}` }]) {
			const response = await fetch(`${simulator.url}/api/v0/devices/`, { headers });
			expect(response.status).toBe(401);
			expect(response.headers.get('www-authenticate')).toBe('Basic realm="Observium API"');
		}
	});

	it('a device set down over the control route shows as down, with a failed alert and log entries', async () => {
		const control = await fetch(`${simulator.url}/__sim/observium/device-status`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ device: 'Clinique-Saint-Joseph-RTR01', status: 'up' }),
		});
		expect(control.status).toBe(200);
		const { device } = await rawApi(simulator, 'devices/Clinique-Saint-Joseph-RTR01/');
		expect(device).toMatchObject({ status: '1', status_type: 'ok' });
		const log = await rawApi(simulator, `alert_log/?device_id=${device.device_id}`);
		const types = Object.values(log.alert_log).map((entry: any) => entry.log_type);
		expect(types.slice(-2)).toEqual(['OK', 'RECOVER_NOTIFY']);
		const alerts = await rawApi(simulator, `alerts/?device_id=${device.device_id}&status=failed`);
		expect(alerts).toEqual({ status: 'ok', count: 0, alerts: [] });
	});
});
