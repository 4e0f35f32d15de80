import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { catalogue } from '../../core/catalogue';
import { WidipError } from '../../core/errors';
import { ObserviumClient } from '../../core/observium/client';
import type { ObserviumSimulator } from '../../sandbox/simulators/observium';
import { capturingLogger, clientFor, failure, PASSWORD, startSimulator } from './support';

/**
 * Failure paths against the simulator's injected faults: each ends in a WidipError of the right
 * kind, naming Observium and the operation, within the configured timeout. Reads retry.
 */
describe('Observium failures', () => {
	const TIMEOUT_MS = 1500;
	const MARGIN_MS = 400;
	let simulator: ObserviumSimulator;
	const status = (client: ObserviumClient, device = 'EHPAD-Les-Mimosas-RTR01') =>
		catalogue.run('observium.device_status', { device }, { observium: client });
	const deviceCalls = () => simulator.seen('GET', '/api/v0/devices/');

	beforeAll(async () => {
		simulator = await startSimulator();
	});
	afterAll(async () => {
		await simulator.stop();
	});
	beforeEach(() => {
		simulator.clearFaults();
		simulator.requests.splice(0);
	});

	it('an unknown device is a clear not_found naming the operation, by hostname and by id', async () => {
		const client = clientFor(simulator);
		const byName = await failure(status(client, 'EHPAD-Nowhere-RTR01'));
		expect(byName.error).toBeInstanceOf(WidipError);
		expect(byName.error).toMatchObject({ kind: 'not_found', service: 'observium', operation: 'observium.device_status' });
		expect(byName.error.message).toBe('Observium (observium.device_status): no device with hostname or id "EHPAD-Nowhere-RTR01"');
		const byId = await failure(catalogue.run('observium.device_metrics', { device: '4242' }, { observium: client }));
		expect(byId.error.message).toBe('Observium (observium.device_metrics): no device with hostname or id "4242"');
		expect(simulator.seen('GET', '/api/v0/ports/')).toEqual([]);
	});

	it('a short name shared by two devices asks for the full hostname', async () => {
		const { error } = await failure(status(clientFor(simulator), 'core-fw01'));
		expect(error).toMatchObject({ kind: 'bad_request', operation: 'observium.device_status' });
		expect(error.message).toContain('"core-fw01" matches several devices (core-fw01.dc1.widip.net, core-fw01.dc2.widip.net)');
	});

	it('a wrong password is an auth error, not retried, with the password nowhere in it', async () => {
		const wrong = 'Wrong-Obs-password-123';
		const client = clientFor(simulator, { password: wrong });
		const { error } = await failure(status(client));
		expect(error).toMatchObject({ kind: 'auth', service: 'observium', operation: 'observium.device_status' });
		expect(error.message).toBe(
			"Observium (observium.device_status): authentication refused (HTTP 401 Authentication failed: check the Observium credential's username and password)",
		);
		expect(error.message).not.toContain(wrong);
		expect(deviceCalls()).toHaveLength(1);
	});

	it('a server that cuts connections: unavailable after the retries, within the timeout', async () => {
		simulator.fault({ fault: { mode: 'down' } });
		const { error, elapsedMs } = await failure(status(clientFor(simulator, { timeoutMs: TIMEOUT_MS, retries: 2 })));
		expect(error).toMatchObject({ kind: 'unavailable', service: 'observium', operation: 'observium.device_status' });
		expect(error.message).toMatch(/^Observium \(observium\.device_status\): http:\/\/127\.0\.0\.1:\d+ is unreachable/);
		expect(elapsedMs).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
		expect(deviceCalls()).toHaveLength(3);
	});

	it('a slow server: timeout within the configured timeout, not later', async () => {
		simulator.fault({ fault: { mode: 'slow', delayMs: 1500 } });
		const { error, elapsedMs } = await failure(status(clientFor(simulator, { timeoutMs: 800 })));
		expect(error).toMatchObject({ kind: 'timeout', operation: 'observium.device_status' });
		expect(error.message).toBe('Observium (observium.device_status): no answer within 800 ms');
		expect(elapsedMs).toBeGreaterThanOrEqual(700);
		expect(elapsedMs).toBeLessThan(800 + MARGIN_MS);
	});

	it("HTTP 500 on every try: unavailable with Observium's message, after retrying", async () => {
		simulator.fault({ fault: { mode: 'status', status: 500 } });
		const { error, elapsedMs } = await failure(status(clientFor(simulator, { timeoutMs: TIMEOUT_MS })));
		expect(error).toMatchObject({ kind: 'unavailable', operation: 'observium.device_status' });
		expect(error.message).toBe('Observium (observium.device_status): server error (HTTP 500 Internal server error)');
		expect(elapsedMs).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
		expect(deviceCalls()).toHaveLength(3);
	});

	it.each([
		['HTTP 500', { mode: 'status', status: 500 } as const],
		['a cut connection', { mode: 'down' } as const],
	])('a read retries after %s on one request, and succeeds', async (_label, fault) => {
		simulator.fault({ fault, times: 1 });
		const result = (await status(clientFor(simulator, { timeoutMs: TIMEOUT_MS }))) as { hostname: string };
		expect(result.hostname).toBe('EHPAD-Les-Mimosas-RTR01');
		const calls = deviceCalls();
		expect(calls).toHaveLength(2);
		expect(calls[1].at).toBeGreaterThanOrEqual(calls[0].at);
	});

	it('429 with Retry-After: waits the announced time, then succeeds', async () => {
		simulator.fault({ fault: { mode: 'rate_limit', retryAfterSeconds: 1 }, times: 1 });
		const started = Date.now();
		const result = (await status(clientFor(simulator, { timeoutMs: 3000 }))) as { status: string };
		expect(result.status).toBe('up');
		const calls = deviceCalls();
		expect(calls).toHaveLength(2);
		expect(calls[1].at - calls[0].at).toBeGreaterThanOrEqual(950);
		expect(Date.now() - started).toBeLessThan(3000);
	});

	it('429 with a Retry-After beyond the timeout: rate_limited at once, saying when to retry', async () => {
		simulator.fault({ fault: { mode: 'rate_limit', retryAfterSeconds: 30 } });
		const { error, elapsedMs } = await failure(status(clientFor(simulator, { timeoutMs: TIMEOUT_MS })));
		expect(error).toMatchObject({ kind: 'rate_limited', operation: 'observium.device_status', retryAfterSeconds: 30 });
		expect(error.message).toBe(
			'Observium (observium.device_status): rate limited (HTTP 429 Too many requests), retry after 30 s',
		);
		expect(elapsedMs).toBeLessThan(TIMEOUT_MS);
		expect(deviceCalls()).toHaveLength(1);
	});

	it('a fault on a later call of the operation names that operation too', async () => {
		simulator.fault({ fault: { mode: 'status', status: 503 }, pathIncludes: '/alert_log/' });
		const { error } = await failure(
			catalogue.run(
				'observium.device_history',
				{ device: 'EHPAD-Bellevue-RTR01' },
				{ observium: clientFor(simulator, { timeoutMs: 1000 }) },
			),
		);
		expect(error).toMatchObject({ kind: 'unavailable', operation: 'observium.device_history' });
		expect(error.message).toMatch(/^Observium \(observium\.device_history\): server error \(HTTP 503/);
	});

	it('a URL that is not the API root is refused at configuration, naming the field only', () => {
		expect(() => new ObserviumClient({ baseUrl: `${simulator.url}/`, username: 'u', password: PASSWORD })).toThrow(
			'Invalid Observium configuration: baseUrl: must end with the API path, e.g. /api/v0',
		);
		expect(() => new ObserviumClient({ baseUrl: 'not a url', username: 'u', password: PASSWORD })).toThrow(/baseUrl: /);
		expect(() => new ObserviumClient({ baseUrl: `${simulator.url}/api/v0`, username: 'u', password: '' })).toThrow(/password: /);
		expect(
			() =>
				new ObserviumClient({ baseUrl: `${simulator.url}/api/v0`, username: 'u', password: PASSWORD, timeZone: 'Mars/Olympus' }),
		).toThrow(/timeZone: must be an IANA time zone/);
	});

	it('a web page instead of the API (wrong URL) is a clear error, not a crash', async () => {
		const web = createServer((_request, response) =>
			response.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>login</html>'),
		);
		await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
		const { port } = web.address() as AddressInfo;
		const client = new ObserviumClient({
			baseUrl: `http://127.0.0.1:${port}/observium/api/v0`,
			username: 'u',
			password: PASSWORD,
		});
		const { error } = await failure(status(client));
		expect(error).toMatchObject({ kind: 'bad_request', operation: 'observium.device_status' });
		expect(error.message).toContain("not the API's JSON: is the URL the API root");
		web.close();
	});

	it('the password appears in no log line, no output and no error', async () => {
		const logger = capturingLogger();
		const client = clientFor(simulator, { timeoutMs: TIMEOUT_MS }, logger);
		const outputs: unknown[] = [];
		for (const [id, args] of [
			['observium.device_status', { device: 'EHPAD-Bellevue-RTR01' }],
			['observium.device_metrics', { device: 'EHPAD-Bellevue-RTR01' }],
			['observium.device_alerts', { device: 'EHPAD-Bellevue-RTR01' }],
			['observium.device_history', { device: 'EHPAD-Bellevue-RTR01', hours: 48 }],
		] as const) {
			outputs.push(await catalogue.run(id, args, { observium: client }));
		}
		simulator.fault({ fault: { mode: 'status', status: 500 }, times: 1 });
		outputs.push(await catalogue.run('observium.device_status', { device: '101' }, { observium: client }));
		const errors = [
			(await failure(status(clientFor(simulator, { password: `${PASSWORD}-wrong` }, logger)))).error.message,
			(await failure(status(client, 'EHPAD-Nowhere-RTR01'))).error.message,
		];
		expect(logger.lines.length).toBeGreaterThan(5);
		const basic = Buffer.from(`${simulator.username}:${PASSWORD}`).toString('base64');
		for (const text of [...logger.lines, JSON.stringify(outputs), JSON.stringify(client), ...errors]) {
			expect(text).not.toContain(PASSWORD);
			expect(text).not.toContain(basic);
		}
	});
});
