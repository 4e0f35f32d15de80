import { catalogue } from '../../core/catalogue';
import { MySecretClient } from '../../core/mysecret/client';
import { SimulatorServer, type Fault } from '../../sandbox/simulators/base';
import { createMySecretSimulator, type MySecretSimulator } from '../../sandbox/simulators/mysecret';
import { freePort } from '../support/redis';
import { captureLogger as capturingLogger } from '../support/capture-logger';
import { timed } from '../support/timed';

const API_KEY = 'mysecret-failure-key-e41f';
const PAYLOAD = 'Reset-Pw-Tilleuls-93$kX';
const TIMEOUT_MS = 1500;
/** Scheduling slack on top of the configured timeout. */
const SLACK_MS = 400;


describe('MySecret failure paths: a create is a write, sent exactly once', () => {
	let simulator: MySecretSimulator;
	let mysecret: MySecretClient;
	const logger = capturingLogger();
	const create = () =>
		timed(catalogue.run('mysecret.create_secret', { payload: PAYLOAD }, { mysecret }));
	const posts = (since: number) =>
		simulator.requests.slice(since).filter((request) => request.method === 'POST').length;

	beforeAll(async () => {
		simulator = createMySecretSimulator({ apiKey: API_KEY });
		await simulator.start();
		// retries: 3 would apply to reads; the create must still be sent once.
		mysecret = new MySecretClient(
			{ baseUrl: simulator.url, apiKey: API_KEY, timeoutMs: TIMEOUT_MS, retries: 3, backoffMs: 50 },
			logger,
		);
	});
	afterEach(() => simulator.clearFaults());
	afterAll(async () => {
		await simulator.stop();
	});

	it('a lost answer: exactly one secret stored, one request sent, a clear error that says why it was not resent', async () => {
		const since = simulator.requests.length;
		const created = simulator.createdCount;
		simulator.fault({ fault: { mode: 'lose_response' }, times: 1, method: 'POST' });
		const { error, elapsedMs } = await create();
		expect(error?.kind).toBe('unavailable');
		expect(error?.operation).toBe('mysecret.create_secret');
		expect(error?.message).toMatch(
			/^MySecret \(mysecret\.create_secret\): http:\/\/127\.0\.0\.1:\d+ is unreachable \(.+\); not sent again because the secret may already exist — create a new link rather than reuse this one$/,
		);
		expect(simulator.createdCount - created).toBe(1);
		expect(posts(since)).toBe(1);
		expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
	});

	it.each<[string, Fault, string, string]>([
		['a server that went down', { mode: 'down' }, 'unavailable', 'is unreachable'],
		[
			'a server error (500)',
			{ mode: 'status', status: 500 },
			'unavailable',
			'server error (HTTP 500 simulated failure)',
		],
		[
			'a rate limit (429 + Retry-After)',
			{ mode: 'rate_limit', retryAfterSeconds: 1 },
			'rate_limited',
			'rate limited (HTTP 429 too many requests), retry after 1 s',
		],
	])('%s: a clear %s error, not retried, nothing stored', async (_label, fault, kind, detail) => {
		const since = simulator.requests.length;
		const created = simulator.createdCount;
		simulator.fault({ fault, times: 1, method: 'POST' });
		const { error, elapsedMs } = await create();
		expect(error?.kind).toBe(kind);
		expect(error?.message).toMatch(/^MySecret \(mysecret\.create_secret\): /);
		expect(error?.message).toContain(detail);
		expect(posts(since)).toBe(1);
		expect(simulator.createdCount).toBe(created);
		expect(elapsedMs).toBeLessThan(TIMEOUT_MS);
		// the fault was for one request only: the next create works
		expect((await create()).error).toBeUndefined();
	});

	it('a 429 keeps its Retry-After for the caller', async () => {
		simulator.fault({
			fault: { mode: 'rate_limit', retryAfterSeconds: 20 },
			times: 1,
			method: 'POST',
		});
		const { error } = await create();
		expect(error?.retryAfterSeconds).toBe(20);
	});

	it('a slow server: timeout within the configured timeout, sent once', async () => {
		const since = simulator.requests.length;
		simulator.fault({
			fault: { mode: 'slow', delayMs: TIMEOUT_MS + 500 },
			times: 1,
			method: 'POST',
		});
		const { error, elapsedMs } = await create();
		expect(error?.kind).toBe('timeout');
		expect(error?.message).toBe(
			`MySecret (mysecret.create_secret): no answer within ${TIMEOUT_MS} ms; not sent again because the secret may already exist — create a new link rather than reuse this one`,
		);
		expect(elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
		expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
		expect(posts(since)).toBe(1);
	});

	it('nothing listening on the port: unavailable within the timeout', async () => {
		const closed = new MySecretClient({
			baseUrl: `http://127.0.0.1:${await freePort()}`,
			apiKey: API_KEY,
			timeoutMs: TIMEOUT_MS,
		});
		const { error, elapsedMs } = await timed(
			catalogue.run('mysecret.create_secret', { payload: PAYLOAD }, { mysecret: closed }),
		);
		expect(error?.kind).toBe('unavailable');
		expect(error?.message).toMatch(
			/^MySecret \(mysecret\.create_secret\): http:\/\/127\.0\.0\.1:\d+ is unreachable \(ECONNREFUSED\)/,
		);
		expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
	});

	it('a server that echoes the secret in its error: the secret is cut out of our message', async () => {
		const echoing = new SimulatorServer('echoing-mysecret');
		echoing.app.post('/api/secrets', async (request, reply) =>
			reply
				.code(400)
				.send({
					error: {
						code: 'bad_request',
						message: `refused "${(request.body as { secret: string }).secret}"`,
					},
				}),
		);
		const client = new MySecretClient({
			baseUrl: await echoing.start(),
			apiKey: API_KEY,
			timeoutMs: TIMEOUT_MS,
		});
		const { error } = await timed(
			catalogue.run('mysecret.create_secret', { payload: PAYLOAD }, { mysecret: client }),
		);
		await echoing.stop();
		expect(error?.kind).toBe('bad_request');
		expect(error?.message).toBe(
			'MySecret (mysecret.create_secret): request refused (HTTP 400 refused "[redacted]")',
		);
	});

	it('an answer that breaks the contract is refused, and says nothing of the secret', async () => {
		const changed = new SimulatorServer('changed-mysecret');
		changed.app.post('/api/secrets', async (request, reply) =>
			reply.code(201).send({ link: 'x', echo: (request.body as { secret: string }).secret }),
		);
		const client = new MySecretClient({
			baseUrl: await changed.start(),
			apiKey: API_KEY,
			timeoutMs: TIMEOUT_MS,
		});
		const { error } = await timed(
			catalogue.run('mysecret.create_secret', { payload: PAYLOAD }, { mysecret: client }),
		);
		await changed.stop();
		expect(error?.kind).toBe('unavailable');
		expect(error?.message).toBe(
			'MySecret (mysecret.create_secret): unexpected answer (field id does not match our contract)',
		);
	});

	it('no captured log line holds the secret or the API key', () => {
		expect(logger.lines.length).toBeGreaterThan(5);
		for (const line of logger.lines) {
			expect(line).not.toContain(PAYLOAD);
			expect(line).not.toContain(API_KEY);
		}
	});
});
