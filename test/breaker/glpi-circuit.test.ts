import type { Circuit } from '../../core/breaker/circuit';
import { catalogue } from '../../core/catalogue';
import { GlpiClient } from '../../core/glpi/client';
import { glpiConfigSchema, type GlpiConfigInput } from '../../core/glpi/config';
import { WidipError } from '../../core/errors';
import type { Coordination } from '../../core/redis/coordination';
import { ServiceHub } from '../../runtime/services';
import { APP_TOKEN, glpiHarness, sleep, USER_TOKEN } from '../glpi/support';
import { connectTest, dropPrefix } from '../support/redis';

async function failure(promise: Promise<unknown>): Promise<WidipError> {
	const error = await promise.then(
		() => undefined,
		(e: unknown) => e,
	);
	if (!(error instanceof WidipError)) throw new Error(`expected a WidipError, got ${String(error)}`);
	return error;
}

describe('GLPI client through the shared circuit breaker (GLPI simulator, real Redis)', () => {
	const h = glpiHarness();
	let coordination: Coordination;

	const made: GlpiClient[] = [];
	/** A GLPI client against the simulator, its operations going through `circuit`. */
	const client = (circuit: Circuit, extra: Partial<GlpiConfigInput> = {}) => {
		const glpi = new GlpiClient({ url: h.url, userToken: USER_TOKEN, appToken: APP_TOKEN, timeZone: 'UTC', timeoutMs: 3000, retries: 0, ...extra }, undefined, { circuit });
		made.push(glpi);
		return glpi;
	};

	beforeEach(async () => {
		coordination = await connectTest('glpicircuit');
	});
	afterEach(async () => {
		await Promise.all(made.splice(0).map((glpi) => glpi.close()));
		await dropPrefix(coordination);
		await coordination.close();
	});

	it('a failing GLPI opens the breaker; further calls fail fast with no request reaching GLPI; a probe closes it once GLPI is back', async () => {
		const settings = { failureThreshold: 3, windowSeconds: 30, openSeconds: 0.5 };
		const glpi = client(coordination.breakers.circuit('glpi', settings));
		h.sim.fault({ fault: { mode: 'status', status: 500 } });
		for (let i = 0; i < 3; i++) {
			const error = await failure(h.run('glpi.get_ticket', { ticketId: 1 }, glpi));
			expect(error.message).toMatch(/server error \(HTTP 500/);
		}
		expect(await coordination.breakers.status('glpi')).toMatchObject({ state: 'open', healthy: 'down' });

		const before = h.sim.requests.length;
		const started = Date.now();
		for (const [id, args] of [
			['glpi.get_ticket', { ticketId: 1 }],
			['glpi.search_client', { value: 'Dubois' }],
			['glpi.create_ticket', { title: 'Imprimante', content: 'Bourrage papier' }],
		] as const) {
			const error = await failure(h.run(id, args, glpi));
			expect(error).toMatchObject({ kind: 'unavailable', service: 'glpi', operation: id });
			expect(error.message).toMatch(new RegExp(`^GLPI \\(${id.replace('.', '\\.')}\\): circuit open since \\d{4}-\\d\\d-\\d\\dT[^ ]+Z after repeated failures; retry in 1 s \\(no request sent\\)$`));
			expect(error.retryAfterSeconds).toBe(1);
		}
		// the Health-Check's ping says down, without a request either
		expect(await h.run('glpi.health_ping', {}, glpi)).toMatchObject({ healthy: false, message: expect.stringMatching(/circuit open/) });
		expect(Date.now() - started).toBeLessThan(200);
		expect(h.sim.requests.length).toBe(before);

		// GLPI recovers; after openSeconds the next call is the probe, reaches GLPI and closes the breaker
		h.sim.clearFaults();
		await sleep(550);
		const ticket = await h.run('glpi.get_ticket', { ticketId: 1 }, glpi);
		expect(ticket.id).toBe(1);
		expect(h.sim.requests.length).toBeGreaterThan(before);
		expect(await coordination.breakers.status('glpi')).toMatchObject({ state: 'closed', healthy: 'ok', failures: 0 });
	});

	it('a failed probe re-opens it: one probe call reaches GLPI, the others keep failing fast', async () => {
		const settings = { failureThreshold: 1, openSeconds: 0.3 };
		const glpi = client(coordination.breakers.circuit('glpi', settings));
		h.sim.fault({ fault: { mode: 'status', status: 503 } });
		await failure(h.run('glpi.get_ticket', { ticketId: 1 }, glpi));
		await sleep(320);
		const before = h.sim.requests.length;
		const errors = await Promise.all(Array.from({ length: 5 }, () => failure(h.run('glpi.get_ticket', { ticketId: 1 }, glpi))));
		// one probe (initSession → 503), four rejected while it ran
		expect(errors.filter((error) => /HTTP 503/.test(error.message))).toHaveLength(1);
		expect(errors.filter((error) => /circuit half-open .*another call is probing GLPI/.test(error.message))).toHaveLength(4);
		expect(h.sim.requests.length - before).toBe(1);
		expect(await coordination.breakers.status('glpi')).toMatchObject({ state: 'open', probeInFlight: false });
	});

	it('timeouts and unreachable GLPI count as failures', async () => {
		const settings = { failureThreshold: 2, openSeconds: 30 };
		const glpi = client(coordination.breakers.circuit('glpi', settings), { timeoutMs: 300 });
		h.sim.fault({ fault: { mode: 'slow', delayMs: 2000 }, times: 1 });
		expect((await failure(h.run('glpi.get_ticket', { ticketId: 1 }, glpi))).kind).toBe('timeout');
		h.sim.fault({ fault: { mode: 'down' } });
		expect((await failure(h.run('glpi.get_ticket', { ticketId: 1 }, glpi))).kind).toBe('unavailable');
		expect(await coordination.breakers.status('glpi')).toMatchObject({ state: 'open' });
	});

	it('GLPI answering 404, 429 or refusing the credentials is GLPI up: the breaker stays closed', async () => {
		const settings = { failureThreshold: 2, openSeconds: 30 };
		const circuit = coordination.breakers.circuit('glpi', settings);
		const glpi = client(circuit);
		for (let i = 0; i < 3; i++) expect((await failure(h.run('glpi.get_ticket', { ticketId: 99_999 }, glpi))).kind).toBe('not_found');
		h.sim.fault({ fault: { mode: 'rate_limit', retryAfterSeconds: 60 } });
		for (let i = 0; i < 3; i++) expect((await failure(h.run('glpi.get_ticket', { ticketId: 1 }, glpi))).kind).toBe('rate_limited');
		h.sim.clearFaults();
		const wrong = client(circuit, { userToken: 'not-the-token' });
		for (let i = 0; i < 3; i++) expect((await failure(h.run('glpi.get_ticket', { ticketId: 1 }, wrong))).kind).toBe('auth');
		expect(await coordination.breakers.status('glpi')).toMatchObject({ state: 'closed', failures: 0, healthy: 'ok' });
		expect((await h.run('glpi.get_ticket', { ticketId: 1 }, glpi)).id).toBe(1);
	});

	it("the runtime's service hub gives its GLPI client the breaker (default settings: 5 failures open it)", async () => {
		const config = glpiConfigSchema.parse({ url: h.url, userToken: USER_TOKEN, appToken: APP_TOKEN, timeZone: 'UTC', timeoutMs: 3000, retries: 0 });
		const hub = new ServiceHub({ glpi: config }, { coordination });
		try {
			h.sim.fault({ fault: { mode: 'status', status: 500 } });
			for (let i = 0; i < 5; i++) await failure(catalogue.run('glpi.get_ticket', { ticketId: 1 }, hub.clients()));
			const before = h.sim.requests.length;
			const error = await failure(catalogue.run('glpi.get_ticket', { ticketId: 1 }, hub.clients()));
			expect(error.message).toMatch(/circuit open since .*; retry in (29|30) s \(no request sent\)$/);
			expect(h.sim.requests.length).toBe(before);
			expect(await catalogue.run('breaker.status', { service: 'glpi' }, hub.clients())).toMatchObject({ state: 'open', healthy: 'down' });
		} finally {
			await hub.close();
		}
	});
});
