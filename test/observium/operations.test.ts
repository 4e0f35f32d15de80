import { catalogue } from '../../core/catalogue';
import type { ObserviumClient } from '../../core/observium/client';
import { CHECKS, OBSERVIUM_SITES_DOWN, type ObserviumSimulator } from '../../sandbox/simulators/observium';
import { clientFor, rawApi, startSimulator } from './support';

/** Every Observium catalogue operation over real HTTP against the simulator. */
describe('Observium operations (simulator over HTTP)', () => {
	let simulator: ObserviumSimulator;
	let observium: ObserviumClient;
	const run = async (id: string, args: object): Promise<any> => {
		const result = await catalogue.run(id, args, { observium });
		// catalogue.run already checks the output; parsing again keeps the test honest if it stopped.
		expect(() => catalogue.get(id).output.parse(result)).not.toThrow();
		return result;
	};

	beforeAll(async () => {
		simulator = await startSimulator();
		observium = clientFor(simulator);
	});
	afterAll(async () => {
		await observium.close();
		await simulator.stop();
	});

	it('the catalogue holds the five Observium operations, all read-only (L0)', () => {
		expect(catalogue.list({ service: 'observium' }).map((operation) => [operation.id, operation.level])).toEqual([
			['observium.device_status', 0],
			['observium.device_metrics', 0],
			['observium.device_alerts', 0],
			['observium.device_history', 0],
			['observium.normalize_alert', 0],
		]);
	});

	describe('device_status', () => {
		it('converts Observium strings into numbers, booleans and ISO times', async () => {
			const { device: raw } = await rawApi(simulator, 'devices/EHPAD-Les-Mimosas-RTR01/');
			expect(typeof raw.uptime).toBe('string');
			const status = await run('observium.device_status', { device: 'EHPAD-Les-Mimosas-RTR01' });
			expect(status).toMatchObject({
				deviceId: Number(raw.device_id),
				hostname: 'EHPAD-Les-Mimosas-RTR01',
				status: 'up',
				isUp: true,
				downReason: null,
				disabled: false,
				uptimeSeconds: Number(raw.uptime),
				lastRebooted: new Date(Number(raw.last_rebooted) * 1000).toISOString(),
				lastPolled: new Date(`${raw.last_polled.replace(' ', 'T')}Z`).toISOString(),
				os: raw.os_text,
				hardware: raw.hardware,
				vendor: raw.vendor,
				location: raw.location,
			});
			expect(status.summary).toMatch(/^EHPAD-Les-Mimosas-RTR01 \(Cisco C1111-4P, EHPAD Les Mimosas, .*\) is UP, uptime \d+d/);
		});

		it('reports a site device that is down, with the reason', async () => {
			for (const hostname of ['EHPAD-Bellevue-RTR01', 'EHPAD-Les-Tilleuls-SW01', 'Clinique-Saint-Joseph-AP01']) {
				const status = await run('observium.device_status', { device: hostname });
				expect(status).toMatchObject({ hostname, status: 'down', isUp: false, downReason: 'ping', uptimeSeconds: null });
				expect(status.summary).toContain('is DOWN (ping check failing)');
			}
			expect(Object.keys(OBSERVIUM_SITES_DOWN)).toEqual(['BELLEVUE', 'TILLEULS', 'STJOSEPH']);
		});

		it('finds a device by numeric id, by hostname in any case, and by short name of an FQDN', async () => {
			const byName = await run('observium.device_status', { device: 'EHPAD-Bellevue-RTR01' });
			const byId = await run('observium.device_status', { device: String(byName.deviceId) });
			const byLowerCase = await run('observium.device_status', { device: '  ehpad-bellevue-rtr01 ' });
			expect(byId).toEqual(byName);
			expect(byLowerCase).toEqual(byName);
			const byShortName = await run('observium.device_status', { device: 'core-fw01.dc1' });
			expect(byShortName).toMatchObject({ hostname: 'core-fw01.dc1.widip.net', deviceId: 901, type: 'firewall' });
		});
	});

	describe('device_metrics', () => {
		it('returns every live port with rates in bit/s (octets × 8) and totals that add up', async () => {
			const metrics = await run('observium.device_metrics', { device: 'Residence-Les-Glycines-SW01' });
			const raw = await rawApi(simulator, `ports/?device_id=${metrics.deviceId}`);
			const rawPorts = Object.values(raw.ports as Record<string, Record<string, string>>);
			const live = rawPorts.filter((port) => port.deleted === '0');
			expect(live.length).toBeLessThan(rawPorts.length); // the simulator keeps a deleted port
			expect(metrics.ports.map((port: any) => port.portId)).toEqual(live.map((port) => Number(port.port_id)));
			for (const port of metrics.ports) {
				const source = live.find((candidate) => Number(candidate.port_id) === port.portId)!;
				expect(port.inBitsPerSecond).toBe(Number(source.ifInOctets_rate) * 8);
				expect(port.outBitsPerSecond).toBe(Number(source.ifOutOctets_rate) * 8);
				expect(port.speedMbps).toBe(Number(source.ifHighSpeed));
				expect(port.inErrorsPerSecond).toBeCloseTo(Number(source.ifInErrors_rate), 3);
				expect(typeof port.inUtilisationPercent).toBe('number');
			}
			const sum = (field: string) => metrics.ports.reduce((total: number, port: any) => total + port[field], 0);
			expect(metrics.totals).toMatchObject({
				ports: live.length,
				inBitsPerSecond: sum('inBitsPerSecond'),
				outBitsPerSecond: sum('outBitsPerSecond'),
				adminDown: live.filter((port) => port.ifAdminStatus === 'down').length,
				portsWithErrors: 1,
			});
			const infirmary = metrics.ports.find((port: any) => port.description === 'Infirmerie');
			expect(infirmary).toMatchObject({ name: '4', inErrorsPerSecond: 12.5 });
			expect(metrics.summary).toContain('errors on: 4');
		});

		it('notes that the figures of a down device are stale', async () => {
			const metrics = await run('observium.device_metrics', { device: 'EHPAD-Bellevue-RTR01' });
			expect(metrics.deviceUp).toBe(false);
			expect(metrics.ports.find((port: any) => port.name === 'Gi0/0/0').description).toBe('WAN Phibee LNK-BELLEVUE-01');
			expect(metrics.summary).toContain('device is DOWN, figures are from its last successful poll');
		});
	});

	describe('device_alerts', () => {
		it('lists the failing Device Down alert of a down router with its check, severity and since', async () => {
			const alerts = await run('observium.device_alerts', { device: 'EHPAD-Les-Tilleuls-RTR01', status: 'failed' });
			expect(alerts.failedCount).toBe(1);
			expect(alerts.alerts).toHaveLength(1);
			const raw = (await rawApi(simulator, `alerts/${alerts.alerts[0].alertId}/`)).alert;
			expect(alerts.alerts[0]).toEqual({
				alertId: Number(raw.alert_table_id),
				checkId: CHECKS.deviceDown,
				checkName: 'Device Down',
				severity: 'crit',
				status: 'failed',
				entityType: 'device',
				entityId: alerts.deviceId,
				entityName: 'EHPAD-Les-Tilleuls-RTR01',
				message: 'Checks failed',
				since: new Date(Number(raw.last_changed) * 1000).toISOString(),
				lastChecked: new Date(Number(raw.last_checked) * 1000).toISOString(),
				failedConditions: ['device_status equals 0'],
				metrics: { device_status: '0' },
			});
			expect(Date.now() - Date.parse(alerts.alerts[0].since)).toBeGreaterThanOrEqual(
				OBSERVIUM_SITES_DOWN.TILLEULS * 60_000 - 1000,
			);
		});

		it('"all" also lists the OK entries, failing ones first; a port alert names its port', async () => {
			const all = await run('observium.device_alerts', { device: 'Residence-Les-Glycines-SW01' });
			expect(all.alerts.length).toBeGreaterThan(2);
			expect(all.alerts[0]).toMatchObject({
				status: 'failed',
				checkName: 'Port Errors',
				entityType: 'port',
				entityName: '4',
				failedConditions: ['ifInErrors_rate gt 1'],
				metrics: { ifInErrors_rate: '12.5', ifOutErrors_rate: '0.0333' },
			});
			expect(all.alerts.slice(1).every((alert: any) => alert.status === 'ok')).toBe(true);
			expect(all.failedCount).toBe(1);
			const healthy = await run('observium.device_alerts', { device: 'EHPAD-Les-Mimosas-SW01', status: 'failed' });
			expect(healthy).toMatchObject({ failedCount: 0, alerts: [] });
			expect(healthy.summary).toContain('no failing alerts');
		});
	});

	describe('device_history', () => {
		it('counts the flapping router: 3 short outages + the current one in 24 h', async () => {
			const history = await run('observium.device_history', { device: 'EHPAD-Les-Tilleuls-RTR01', hours: 24 });
			const expectedMinutes = 3 + 6 + 4 + OBSERVIUM_SITES_DOWN.TILLEULS;
			expect(history).toMatchObject({ hours: 24, isUp: false, downEpisodes: 4 });
			expect(history.downtimeMinutes).toBeGreaterThanOrEqual(expectedMinutes);
			expect(history.downtimeMinutes).toBeLessThan(expectedMinutes + 1);
			expect(history.stabilityPercent).toBeCloseTo(100 * (1 - history.downtimeMinutes / (24 * 60)), 0);
			expect(Date.parse(history.to) - Date.parse(history.from)).toBe(24 * 3_600_000);
			const types = history.events.map((event: any) => event.type);
			expect(types.slice(0, 4)).toEqual(['FAIL', 'ALERT_NOTIFY', 'OK', 'RECOVER_NOTIFY']);
			expect(types[types.length - 1]).toBe('ALERT_NOTIFY');
			expect(history.eventCount).toBe(history.events.length);
			const times = history.events.map((event: any) => Date.parse(event.time));
			expect(times).toEqual([...times].sort((a, b) => a - b));
			expect(history.events[0]).toMatchObject({ checkName: 'Device Down', meaning: 'checks failed', entityType: 'device' });
		});

		it('the window matters: an outage 3 days ago counts over 168 h, not over 24 h', async () => {
			const day = await run('observium.device_history', { device: 'EHPAD-Bellevue-RTR01', hours: 24 });
			const week = await run('observium.device_history', { device: 'EHPAD-Bellevue-RTR01', hours: 168 });
			expect(day.downEpisodes).toBe(1);
			expect(week.downEpisodes).toBe(2);
			expect(week.downtimeMinutes - day.downtimeMinutes).toBeCloseTo(25, 0);
			expect(week.stabilityPercent).toBeGreaterThan(day.stabilityPercent);
		});

		it('a quiet device is 100 % stable; setting it down in the simulator shows in its history', async () => {
			const quiet = await run('observium.device_history', { device: 'EHPAD-Les-Mimosas-AP01' });
			expect(quiet).toMatchObject({
				isUp: true,
				downEpisodes: 0,
				downtimeMinutes: 0,
				stabilityPercent: 100,
				eventCount: 0,
				events: [],
			});

			simulator.setDeviceStatus('EHPAD-Les-Mimosas-AP01', 'down');
			const down = await run('observium.device_history', { device: 'EHPAD-Les-Mimosas-AP01' });
			expect(down).toMatchObject({ isUp: false, downEpisodes: 1 });
			expect(down.events.map((event: any) => event.type)).toEqual(['FAIL', 'ALERT_NOTIFY']);
			expect((await run('observium.device_alerts', { device: 'EHPAD-Les-Mimosas-AP01', status: 'failed' })).failedCount).toBe(1);

			simulator.setDeviceStatus('EHPAD-Les-Mimosas-AP01', 'up');
			const back = await run('observium.device_history', { device: 'EHPAD-Les-Mimosas-AP01' });
			expect(back).toMatchObject({ isUp: true, downEpisodes: 1 });
			expect(back.events.map((event: any) => event.type)).toEqual(['FAIL', 'ALERT_NOTIFY', 'OK', 'RECOVER_NOTIFY']);
		});

		it('sends the time window to Observium as server datetimes', async () => {
			simulator.requests.splice(0);
			await run('observium.device_history', { device: '151', hours: 2 });
			const [logCall] = simulator.seen('GET', '/alert_log/');
			expect(logCall.query).toMatchObject({ device_id: '151' });
			expect(String(logCall.query.timestamp_from)).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
		});
	});

	it('normalize_alert runs through the catalogue without any HTTP call', async () => {
		simulator.requests.splice(0);
		const alert = await run('observium.normalize_alert', {
			payload: { ALERT_STATE: 'ALERT', ALERT_ID: '25', ALERT_UNIXTIME: 1700000000, DEVICE_HOSTNAME: 'EHPAD-Les-Tilleuls-RTR01' },
		});
		expect(alert).toMatchObject({ alertId: 25, state: 'ALERT', time: '2023-11-14T22:13:20.000Z' });
		expect(simulator.requests).toEqual([]);
	});

	it('refuses invalid input before calling Observium', async () => {
		simulator.requests.splice(0);
		await expect(catalogue.run('observium.device_history', { device: 'x', hours: 0 }, { observium })).rejects.toThrow(
			/Invalid input for observium\.device_history: hours: /,
		);
		await expect(catalogue.run('observium.device_status', { device: '' }, { observium })).rejects.toThrow(/device: /);
		await expect(catalogue.run('observium.device_status', { device: '../alerts' }, { observium })).rejects.toThrow(
			'Invalid input for observium.device_status: device: use a hostname, an IP address or a numeric device id',
		);
		await expect(catalogue.run('observium.device_alerts', { device: 'x', status: 'open' }, { observium })).rejects.toThrow(
			/status: /,
		);
	});
});
