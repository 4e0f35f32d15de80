import { catalogue } from '../../core/catalogue';
import { ValidationError, type WidipError } from '../../core/errors';
import { MySecretClient } from '../../core/mysecret/client';
import { createMySecretSimulator, type MySecretSimulator } from '../../sandbox/simulators/mysecret';
import { captureLogger as capturingLogger } from '../support/capture-logger';

const API_KEY = 'mysecret-test-key-3c9d';
const PAYLOAD = 'Pw-Bellevue-7!qZ#e2e';
const DAY_MS = 24 * 60 * 60 * 1000;

async function reveal(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
	const response = await fetch(url);
	return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function rejection(promise: Promise<unknown>): Promise<WidipError> {
	try {
		await promise;
	} catch (error) {
		return error as WidipError;
	}
	throw new Error('expected the call to fail');
}

describe('MySecret create_secret against the simulator', () => {
	let simulator: MySecretSimulator;
	let mysecret: MySecretClient;
	const logger = capturingLogger();
	const create = (args: object) =>
		catalogue.run('mysecret.create_secret', args, { mysecret }) as Promise<Record<string, unknown>>;

	beforeAll(async () => {
		simulator = createMySecretSimulator({ apiKey: API_KEY });
		await simulator.start();
		mysecret = new MySecretClient(
			{ baseUrl: simulator.url, apiKey: API_KEY, timeoutMs: 3000 },
			logger,
		);
	});
	afterAll(async () => {
		await mysecret.close();
		await simulator.stop();
	});

	it('returns only the link, its expiry and views left (defaults: 7 days, 5 views)', async () => {
		const before = Date.now();
		const result = await create({ payload: PAYLOAD });
		expect(Object.keys(result).sort()).toEqual(['expiresAt', 'url', 'viewsLeft']);
		expect(catalogue.get('mysecret.create_secret').output.safeParse(result).success).toBe(true);
		expect(result.url).toMatch(new RegExp(`^${simulator.url}/s/[A-Za-z0-9_-]{16,}$`));
		expect(result.viewsLeft).toBe(5);
		const expiresAt = Date.parse(result.expiresAt as string);
		expect(expiresAt).toBeGreaterThanOrEqual(before + 7 * DAY_MS - 1000);
		expect(expiresAt).toBeLessThanOrEqual(Date.now() + 7 * DAY_MS + 1000);
		expect(JSON.stringify(result)).not.toContain(PAYLOAD);
	});

	it('the link really reveals the secret, counts views down, and stops after N views', async () => {
		const result = await create({ payload: PAYLOAD, expireAfterViews: 2, expireAfterDays: 1 });
		expect(result.viewsLeft).toBe(2);
		expect(await reveal(result.url as string)).toEqual({
			status: 200,
			body: { secret: PAYLOAD, views_left: 1 },
		});
		expect(await reveal(result.url as string)).toEqual({
			status: 200,
			body: { secret: PAYLOAD, views_left: 0 },
		});
		const third = await reveal(result.url as string);
		expect(third.status).toBe(404);
		expect(JSON.stringify(third.body)).not.toContain(PAYLOAD);
	});

	it('a link stops working after N days even if never opened', async () => {
		const result = await create({ payload: PAYLOAD, expireAfterDays: 2, expireAfterViews: 10 });
		simulator.advanceClock(2 * DAY_MS - 60_000);
		expect((await reveal(result.url as string)).status).toBe(200);
		simulator.advanceClock(120_000);
		expect((await reveal(result.url as string)).status).toBe(404);
	});

	it('each call makes a new link; a guessed link reveals nothing', async () => {
		const first = await create({ payload: PAYLOAD, expireAfterViews: 1 });
		const second = await create({ payload: PAYLOAD, expireAfterViews: 1 });
		expect(first.url).not.toBe(second.url);
		expect((await reveal(`${simulator.url}/s/AAAAAAAAAAAAAAAAAAAAAAAA`)).status).toBe(404);
	});

	it('refuses bad input before any request, without echoing the secret', async () => {
		const before = simulator.requests.length;
		for (const args of [
			{ payload: '' },
			{ payload: PAYLOAD, expireAfterViews: 0 },
			{ payload: PAYLOAD, expireAfterDays: 91 },
			{ payload: PAYLOAD, expireAfterDays: 1.5 },
			{ payload: PAYLOAD, extra: true },
		]) {
			const error = await rejection(create(args));
			expect(error).toBeInstanceOf(ValidationError);
			expect(error.message).toMatch(/^Invalid input for mysecret\.create_secret: /);
			expect(error.message).not.toContain(PAYLOAD);
		}
		expect(catalogue.parseInput('mysecret.create_secret', { payload: PAYLOAD })).toEqual({
			payload: PAYLOAD,
			expireAfterDays: 7,
			expireAfterViews: 5,
		});
		expect(simulator.requests.length).toBe(before);
	});

	it('a wrong API key is a clear auth error: nothing stored, no key or secret in the message', async () => {
		const wrongKey = 'mysecret-WRONG-key-0a1b';
		const wrong = new MySecretClient(
			{ baseUrl: simulator.url, apiKey: wrongKey, timeoutMs: 3000 },
			logger,
		);
		const created = simulator.createdCount;
		const error = await rejection(
			catalogue.run('mysecret.create_secret', { payload: PAYLOAD }, { mysecret: wrong }),
		);
		expect(error.kind).toBe('auth');
		expect(error.service).toBe('mysecret');
		expect(error.message).toBe(
			'MySecret (mysecret.create_secret): authentication refused (HTTP 401 missing or invalid API key)',
		);
		const everything = JSON.stringify({ ...error, message: error.message });
		expect(everything).not.toContain(wrongKey);
		expect(everything).not.toContain(PAYLOAD);
		expect(simulator.createdCount).toBe(created);
	});

	it('logged request facts, never the secret or the API key', () => {
		expect(logger.lines.some((line) => line.includes('POST /api/secrets'))).toBe(true);
		for (const line of logger.lines) {
			expect(line).not.toContain(PAYLOAD);
			expect(line).not.toContain(API_KEY);
			expect(line).not.toContain('mysecret-WRONG-key-0a1b');
		}
	});
});
