import { Coordination } from '../../core/redis/coordination';
import { dropPrefix, freePort, REDIS_HOST, REDIS_PORT, spawnRedis, testPrefix, type SpawnedRedis } from '../support/redis';
import { loadWorkflow, N8nHarness, outputItems } from './harness';

/**
 * Our packed package inside a real n8n 2.41.1, with the node types production uses
 * (`n8n-nodes-widip.redisHelper`, `n8n-nodes-widip.llmMutex`), against real Redis servers.
 */
describe('Redis Helper and LLM Mutex in real n8n', () => {
	const prefix = testPrefix('e2e');
	const wrongPassword = 'Wr0ng-e2e-password';
	let harness: N8nHarness;
	let probe: Coordination;
	let secured: SpawnedRedis;
	let offPort: number;

	beforeAll(async () => {
		secured = await spawnRedis(['--requirepass', 'Right-e2e-password']);
		offPort = await freePort();
		probe = await Coordination.connect({ host: REDIS_HOST, port: REDIS_PORT, keyPrefix: prefix });
		harness = await N8nHarness.create();
		const redis = (id: string, name: string, data: object) => ({
			id,
			name,
			type: 'widipRedisApi',
			data: { host: REDIS_HOST, port: REDIS_PORT, database: 0, tls: false, keyPrefix: prefix, timeoutMs: 3000, ...data },
		});
		await harness.importCredentials([
			redis('widipE2eRedis001', 'WIDIP Redis (e2e)', {}),
			redis('widipE2eRedisBad', 'WIDIP Redis wrong password (e2e)', { port: secured.port, password: wrongPassword }),
			redis('widipE2eRedisOff', 'WIDIP Redis unreachable (e2e)', { port: offPort, timeoutMs: 1500 }),
		]);
		await harness.importWorkflows(
			['redis-and-mutex.json', 'mutex-timeout.json', 'wrong-password.json', 'unreachable.json'].map(loadWorkflow),
		);
	}, 40 * 60_000);

	afterAll(async () => {
		await dropPrefix(probe);
		await probe.close();
		await secured?.stop();
		harness?.dispose();
	});

	it('runs Set → Get → Set If Not Exists → Acquire → Release and leaves the expected state in Redis', async () => {
		const result = await harness.execute('widipE2eRedisMtx');
		expect(result.error).toBeUndefined();
		expect(result.ok).toBe(true);

		expect(outputItems(result, 'Set')).toEqual([{ success: true, message: 'Key "e2e_site" set (expires in 120 s)' }]);
		expect(outputItems(result, 'Get')).toEqual([
			{ success: true, exists: true, value: { site: 'EHPAD-Bellevue', device: 'EHPAD-Bellevue-RTR01' } },
		]);
		expect(outputItems(result, 'Set If Not Exists')).toEqual([
			{ success: false, message: 'Key "e2e_site" already exists; value unchanged' },
		]);
		expect(outputItems(result, 'Claim Once')[0]).toMatchObject({ success: true });

		// what n8n wrote is really in Redis, in the credential prefix's cache namespace, with its TTL
		expect(JSON.parse((await probe.redis.get(`${prefix}cache:e2e_site`))!)).toEqual({
			site: 'EHPAD-Bellevue',
			device: 'EHPAD-Bellevue-RTR01',
		});
		const ttl = await probe.redis.ttl(`${prefix}cache:e2e_site`);
		expect(ttl).toBeGreaterThan(100);
		expect(ttl).toBeLessThanOrEqual(120);
		expect(await probe.redis.exists(`${prefix}cache:e2e_claim`)).toBe(0); // deleted by the last node

		const [acquired] = outputItems(result, 'Acquire', 0);
		expect(acquired).toMatchObject({ acquired: true, lockName: 'gpu', token: expect.stringMatching(/^[0-9a-f]{32}$/) });
		expect(acquired.fencingToken).toBe(Number(await probe.redis.get(probe.keys.lock('gpu').fence)));
		expect(outputItems(result, 'Acquire', 1)).toEqual([]);
		expect(result.runData['Timed Out Branch']).toBeUndefined();
		expect(outputItems(result, 'Release')).toEqual([{ released: true, lockName: 'gpu', message: 'Lock "gpu" released' }]);
		expect(outputItems(result, 'Release Again')[0]).toMatchObject({ released: false });
		expect((await probe.locks.inspect('gpu')).holder).toBeNull();
	}, 180_000);

	it('an Acquire that waits out its timeout leaves by the Timed Out output; a later run gets the lock', async () => {
		const held = await probe.locks.acquire('gpu-busy', { ttlMs: 60_000, waitTimeoutMs: 0 });
		const blocked = await harness.execute('widipE2eMutexTmo');
		expect(blocked.ok).toBe(true);
		expect(outputItems(blocked, 'Acquire', 0)).toEqual([]);
		expect(outputItems(blocked, 'Acquire', 1)[0]).toMatchObject({ acquired: false, lockName: 'gpu-busy' });
		expect(outputItems(blocked, 'Timed Out Branch')[0]).toMatchObject({ acquired: false });
		expect(blocked.runData['Got It']).toBeUndefined();
		expect((await probe.locks.inspect('gpu-busy')).holder).toBe(held!.token);
		expect((await probe.locks.inspect('gpu-busy')).queue).toEqual([]);

		await probe.locks.release('gpu-busy', held!.token);
		const free = await harness.execute('widipE2eMutexTmo');
		expect(outputItems(free, 'Got It')[0]).toMatchObject({ acquired: true, fencingToken: held!.fence + 1 });
		await probe.locks.release('gpu-busy', outputItems(free, 'Got It')[0].token as string);
	}, 180_000);

	it('a wrong Redis password fails the node with a clear message and the password nowhere', async () => {
		const result = await harness.execute('widipE2eWrongPwd');
		expect(result.ok).toBe(false);
		expect(result.error?.message).toBe(`Redis at ${REDIS_HOST}:${secured.port} rejected the username or password`);
		expect(result.error?.node?.name).toBe('Get');
		expect(result.output).not.toContain(wrongPassword);
	}, 180_000);

	it('an unreachable Redis fails within the credential timeout; continueOnFail turns it into an error item', async () => {
		const result = await harness.execute('widipE2eUnreach1');
		expect(result.ok).toBe(false);
		const message = `Redis at ${REDIS_HOST}:${offPort} refused the connection (is it running?)`;
		expect(outputItems(result, 'Get (continue on fail)')).toEqual([{ error: message, details: { kind: 'unavailable', service: 'redis' } }]);
		expect(result.error?.message).toBe(message);
		expect(result.error?.message).not.toMatch(/\n\s+at /);
		expect(result.runData.Get[0].executionStatus).toBe('error');
	}, 180_000);
});
