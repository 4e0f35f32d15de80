import { CIRCUIT_REDIS_BUDGET_MS, type Circuit } from '../../core/breaker/circuit';
import { catalogue } from '../../core/catalogue';
import { WidipError } from '../../core/errors';
import { GlpiClient } from '../../core/glpi/client';
import { Coordination } from '../../core/redis/coordination';
import { Coordination as CoordinationNode } from '../../nodes/Coordination/Coordination.node';
import { APP_TOKEN, glpiHarness, USER_TOKEN } from '../glpi/support';
import { fakeExecuteContext } from '../support/n8n-context';
import { spawnRedis, type SpawnedRedis } from '../support/redis';

/**
 * Documented behaviour when the breaker's Redis is unreachable: a service client's circuit fails
 * open (the call goes to GLPI unguarded, at once), while the breaker and claim operations fail
 * with a clear error naming Redis.
 */
describe('circuit breaker with its Redis stopped (private redis-server)', () => {
	const h = glpiHarness();
	let redis: SpawnedRedis;
	let coordination: Coordination;
	let glpi: GlpiClient;
	let circuit: Circuit;

	beforeEach(async () => {
		redis = await spawnRedis();
		// as the runtime connects: reconnecting, offline queue on
		coordination = await Coordination.connect({ host: '127.0.0.1', port: redis.port, keyPrefix: 'widip:', timeoutMs: 1000, reconnect: true });
		circuit = coordination.breakers.circuit('glpi', { failureThreshold: 1, openSeconds: 60 });
		glpi = new GlpiClient({ url: h.url, userToken: USER_TOKEN, appToken: APP_TOKEN, timeZone: 'UTC', retries: 0, timeoutMs: 3000 }, undefined, { circuit });
	});
	afterEach(async () => {
		await glpi.close();
		await coordination.close();
		await redis.stop();
	});

	it('GLPI calls go through at once, unguarded; the circuit says Redis is unreachable', async () => {
		// Redis up: one 500 opens the breaker, the next call fails fast
		h.sim.fault({ fault: { mode: 'status', status: 500 }, times: 1 });
		await expect(h.run('glpi.get_ticket', { ticketId: 1 }, glpi)).rejects.toThrow(/HTTP 500/);
		await expect(h.run('glpi.get_ticket', { ticketId: 1 }, glpi)).rejects.toThrow(/circuit open since/);

		await redis.stop();
		// the first look may be a command on its way as the connection drops: it waits at most the budget
		let checked = Date.now();
		expect(await circuit.check()).toEqual({ allowed: true, role: 'normal', state: 'unknown', redis: 'unreachable' });
		expect(Date.now() - checked).toBeLessThan(CIRCUIT_REDIS_BUDGET_MS + 300);
		// once the connection knows it is down, nothing is even sent
		checked = Date.now();
		expect(await circuit.check()).toEqual({ allowed: true, role: 'normal', state: 'unknown', redis: 'unreachable' });
		expect(await circuit.record('failure')).toBeUndefined();
		expect(Date.now() - checked).toBeLessThan(50);

		const before = h.sim.requests.length;
		const started = Date.now();
		expect((await h.run('glpi.get_ticket', { ticketId: 1 }, glpi)).id).toBe(1);
		expect(Date.now() - started).toBeLessThan(1000);
		expect(h.sim.requests.length).toBeGreaterThan(before);
		// a failing GLPI is reported by GLPI's own error, every time: nothing can open a breaker now
		h.sim.fault({ fault: { mode: 'status', status: 500 } });
		for (let i = 0; i < 3; i++) await expect(h.run('glpi.get_ticket', { ticketId: 1 }, glpi)).rejects.toThrow(/HTTP 500/);
	}, 20_000);

	it('breaker and claim operations fail with a clear error naming Redis, from the runtime and from the node', async () => {
		await redis.stop();
		for (const [id, args] of [
			['breaker.status', { service: 'glpi' }],
			['breaker.check', { service: 'glpi' }],
			['breaker.record', { service: 'glpi', outcome: 'failure' }],
			['claim.claim_ticket', { ticketId: 1 }],
		] as const) {
			const error = await catalogue.run(id, args, { breaker: coordination, claim: coordination }).catch((e: unknown) => e);
			expect(error).toBeInstanceOf(WidipError);
			expect((error as WidipError).message).toMatch(new RegExp(`^Redis at 127\\.0\\.0\\.1:${redis.port} `));
		}
		const started = Date.now();
		const error = await new CoordinationNode().execute
			.call(
				fakeExecuteContext({
					type: 'n8n-nodes-widip.coordination',
					credentials: { host: '127.0.0.1', port: redis.port, keyPrefix: 'widip:', timeoutMs: 1000 },
					params: [{ operation: 'breaker.check', service: 'glpi', probeTtlSeconds: 30 }],
				}),
			)
			.catch((e: Error) => e);
		expect((error as Error).message).toBe(`Redis at 127.0.0.1:${redis.port} refused the connection (is it running?)`);
		expect(Date.now() - started).toBeLessThan(1500);
	}, 20_000);

	it('once Redis is back, the circuit guards calls again (the breaker starts closed: Redis kept nothing)', async () => {
		const port = redis.port;
		await redis.stop();
		expect((await circuit.check()).redis).toBe('unreachable');
		redis = await spawnRedis([], port);
		const deadline = Date.now() + 5000;
		while (coordination.redis.status !== 'ready' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
		expect(await circuit.check()).toEqual({ allowed: true, role: 'normal', state: 'closed' });
		h.sim.fault({ fault: { mode: 'status', status: 500 }, times: 1 });
		await expect(h.run('glpi.get_ticket', { ticketId: 1 }, glpi)).rejects.toThrow(/HTTP 500/);
		await expect(h.run('glpi.get_ticket', { ticketId: 1 }, glpi)).rejects.toThrow(/circuit open since/);
	}, 20_000);
});
