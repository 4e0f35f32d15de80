import { catalogue } from '../../core/catalogue';
import { PhibeeClient } from '../../core/phibee/client';
import { SimulatorServer, type Fault } from '../../sandbox/simulators/base';
import { createPhibeeSimulator, type PhibeeSimulator } from '../../sandbox/simulators/phibee';
import { freePort } from '../support/redis';
import { captureLogger as capturingLogger } from '../support/capture-logger';
import { timed } from '../support/timed';

const API_KEY = 'phibee-failure-key-77ab';
const TIMEOUT_MS = 1500;
/** Scheduling slack on top of the configured timeout. */
const SLACK_MS = 400;


/** Every Phibee operation with arguments that succeed when the simulator behaves. */
const CALLS: Array<[string, object, string]> = [
	['phibee.diagnose_outage', { clientId: 'PHB-BELLEVUE' }, '/api/v1/diagnostics/outage'],
	[
		'phibee.test_link_status',
		{ linkId: 'LNK-TILLEULS-01' },
		'/api/v1/links/LNK-TILLEULS-01/status',
	],
	['phibee.get_link_info', { linkId: 'LNK-GLYCINES-01' }, '/api/v1/links/LNK-GLYCINES-01'],
	[
		'phibee.get_client_incidents',
		{ clientId: 'PHB-MIMOSAS' },
		'/api/v1/clients/PHB-MIMOSAS/incidents',
	],
];

describe('Phibee failure paths (faults injected into the simulator)', () => {
	let simulator: PhibeeSimulator;
	let phibee: PhibeeClient;
	const logger = capturingLogger();

	beforeAll(async () => {
		simulator = createPhibeeSimulator({ apiKey: API_KEY });
		await simulator.start();
		phibee = new PhibeeClient(
			{ baseUrl: simulator.url, apiKey: API_KEY, timeoutMs: TIMEOUT_MS, retries: 2, backoffMs: 50 },
			logger,
		);
	});
	afterEach(() => simulator.clearFaults());
	afterAll(async () => {
		await phibee.close();
		await simulator.stop();
		for (const line of logger.lines) expect(line).not.toContain(API_KEY);
	});

	function attempts(path: string, since: number): number {
		return simulator.requests.slice(since).filter((request) => request.path === path).length;
	}

	describe.each(CALLS)('%s', (id, args, path) => {
		const run = () => timed(catalogue.run(id, args, { phibee }));

		it.each<[string, Fault]>([
			['a server that went down', { mode: 'down' }],
			['a server error (500)', { mode: 'status', status: 500 }],
			['a lost answer', { mode: 'lose_response' }],
			['a rate limit with a short Retry-After', { mode: 'rate_limit', retryAfterSeconds: 0 }],
		])(
			'retries a read after %s once, then succeeds (the simulator saw 2 requests)',
			async (_label, fault) => {
				const since = simulator.requests.length;
				simulator.fault({ fault, times: 1, pathIncludes: path });
				const outcome = await run();
				expect(outcome.error).toBeUndefined();
				expect(catalogue.get(id).output.safeParse(outcome.result).success).toBe(true);
				expect(attempts(path, since)).toBe(2);
			},
		);

		it('a server that stays down: unavailable, naming Phibee and the operation, after retries within the timeout', async () => {
			const since = simulator.requests.length;
			simulator.fault({ fault: { mode: 'down' }, pathIncludes: path });
			const { error, elapsedMs } = await run();
			expect(error?.kind).toBe('unavailable');
			expect(error?.message).toMatch(
				new RegExp(
					`^Phibee \\(${id.replace('.', '\\.')}\\): http://127\\.0\\.0\\.1:\\d+ is unreachable \\(`,
				),
			);
			expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
			expect(attempts(path, since)).toBe(3);
		});

		it('a slow server: timeout within the configured timeout', async () => {
			simulator.fault({ fault: { mode: 'slow', delayMs: TIMEOUT_MS + 500 }, pathIncludes: path });
			const { error, elapsedMs } = await run();
			expect(error?.kind).toBe('timeout');
			expect(error?.message).toBe(`Phibee (${id}): no answer within ${TIMEOUT_MS} ms`);
			expect(elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
			expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
		});

		it('a persistent 500: unavailable with the server error, after retries', async () => {
			const since = simulator.requests.length;
			simulator.fault({ fault: { mode: 'status', status: 500 }, pathIncludes: path });
			const { error, elapsedMs } = await run();
			expect(error?.kind).toBe('unavailable');
			expect(error?.message).toBe(`Phibee (${id}): server error (HTTP 500 simulated failure)`);
			expect(attempts(path, since)).toBe(3);
			expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
		});

		it('a 429 whose Retry-After does not fit the timeout: rate_limited at once, saying when to retry', async () => {
			const since = simulator.requests.length;
			simulator.fault({ fault: { mode: 'rate_limit', retryAfterSeconds: 30 }, pathIncludes: path });
			const { error, elapsedMs } = await run();
			expect(error?.kind).toBe('rate_limited');
			expect(error?.retryAfterSeconds).toBe(30);
			expect(error?.message).toBe(
				`Phibee (${id}): rate limited (HTTP 429 too many requests), retry after 30 s`,
			);
			expect(attempts(path, since)).toBe(1);
			expect(elapsedMs).toBeLessThan(TIMEOUT_MS);
		});
	});

	it('waits out a Retry-After that fits the timeout, then succeeds', async () => {
		const patient = new PhibeeClient(
			{ baseUrl: simulator.url, apiKey: API_KEY, timeoutMs: 4000, backoffMs: 50 },
			logger,
		);
		const since = simulator.requests.length;
		simulator.fault({
			fault: { mode: 'rate_limit', retryAfterSeconds: 1 },
			times: 1,
			pathIncludes: '/status',
		});
		const { error, result, elapsedMs } = await timed(
			catalogue.run('phibee.test_link_status', { linkId: 'LNK-BELLEVUE-01' }, { phibee: patient }),
		);
		expect(error).toBeUndefined();
		expect(result).toMatchObject({ linkId: 'LNK-BELLEVUE-01', status: 'down' });
		expect(elapsedMs).toBeGreaterThanOrEqual(950);
		expect(attempts('/api/v1/links/LNK-BELLEVUE-01/status', since)).toBe(2);
	});

	it('nothing listening on the port: unavailable (connection refused) within the timeout', async () => {
		const closed = new PhibeeClient({
			baseUrl: `http://127.0.0.1:${await freePort()}`,
			apiKey: API_KEY,
			timeoutMs: TIMEOUT_MS,
			backoffMs: 50,
		});
		const { error, elapsedMs } = await timed(
			catalogue.run('phibee.get_link_info', { clientId: 'PHB-BELLEVUE' }, { phibee: closed }),
		);
		expect(error?.kind).toBe('unavailable');
		expect(error?.message).toMatch(
			/^Phibee \(phibee\.get_link_info\): http:\/\/127\.0\.0\.1:\d+ is unreachable \(ECONNREFUSED\)$/,
		);
		expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
	});

	it('an answer that breaks the contract is refused, not passed on half-read', async () => {
		const changedApi = new SimulatorServer('changed-phibee');
		changedApi.app.get('/api/v1/links/:link_id/status', async () => ({
			link_id: 'x',
			status: 'sideways',
		}));
		const broken = new PhibeeClient({
			baseUrl: await changedApi.start(),
			apiKey: API_KEY,
			timeoutMs: TIMEOUT_MS,
		});
		const { error } = await timed(
			catalogue.run('phibee.test_link_status', { linkId: 'LNK-BELLEVUE-01' }, { phibee: broken }),
		);
		await changedApi.stop();
		expect(error?.kind).toBe('unavailable');
		expect(error?.message).toBe(
			'Phibee (phibee.test_link_status): unexpected answer (field status does not match our contract)',
		);
	});
});
