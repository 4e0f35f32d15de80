import type { INodeExecutionData } from 'n8n-workflow';

import { Coordination } from '../../core/redis/coordination';
import { LlmMutex } from '../../nodes/LlmMutex/LlmMutex.node';
import { RedisHelper } from '../../nodes/RedisHelper/RedisHelper.node';
import { fakeExecuteContext } from '../support/n8n-context';
import { dropPrefix, freePort, REDIS_HOST, REDIS_PORT, testPrefix } from '../support/redis';

describe('Redis Helper and LLM Mutex nodes (real Redis)', () => {
	const prefix = testPrefix('nodes');
	const credentials = { host: REDIS_HOST, port: REDIS_PORT, keyPrefix: prefix, timeoutMs: 2000 };
	let probe: Coordination;

	beforeAll(async () => {
		probe = await Coordination.connect({ host: REDIS_HOST, port: REDIS_PORT, keyPrefix: prefix });
	});
	afterAll(async () => {
		await dropPrefix(probe);
		await probe.close();
	});

	it('runs one operation per item and pairs every output with its input', async () => {
		const result = await new RedisHelper().execute.call(
			fakeExecuteContext({
				type: 'n8n-nodes-widip.redisHelper',
				credentials,
				params: [
					{ operation: 'redis.set', key: 'a', value: '{"n":1}', ttlSeconds: 30 },
					{ operation: 'redis.get', key: 'a', parseJson: true },
					{ operation: 'redis.set_if_not_exists', key: 'a', value: 'other', ttlSeconds: 0 },
					{ operation: 'redis.delete', key: 'a' },
				],
			}),
		);
		expect(result).toHaveLength(1);
		expect(result[0].map((item: INodeExecutionData) => item.pairedItem)).toEqual([0, 1, 2, 3].map((item) => ({ item })));
		expect(result[0][0].json).toEqual({ success: true, message: 'Key "a" set (expires in 30 s)' });
		expect(result[0][1].json).toEqual({ success: true, value: { n: 1 }, exists: true });
		expect(result[0][2].json).toEqual({ success: false, message: 'Key "a" already exists; value unchanged' });
		expect(result[0][3].json).toEqual({ success: true, deleted: true, message: 'Key "a" deleted' });
		expect(await probe.cache.get('a')).toBeNull();
	});

	it('routes a timed-out Acquire to the "Timed Out" output, a granted one to "Done"', async () => {
		const held = await probe.locks.acquire('gpu', { ttlMs: 10_000, waitTimeoutMs: 0 });
		const mutex = new LlmMutex();
		const [done, timedOut] = await mutex.execute.call(
			fakeExecuteContext({
				type: 'n8n-nodes-widip.llmMutex',
				credentials,
				params: [{ operation: 'redis.mutex_acquire', lockName: 'gpu', ttlSeconds: 10, waitTimeoutSeconds: 0.3 }],
			}),
		);
		expect(done).toEqual([]);
		expect(timedOut[0].json).toMatchObject({ acquired: false, lockName: 'gpu' });
		await probe.locks.release('gpu', held!.token);

		const [granted] = await mutex.execute.call(
			fakeExecuteContext({
				type: 'n8n-nodes-widip.llmMutex',
				credentials,
				params: [{ operation: 'redis.mutex_acquire', lockName: 'gpu', ttlSeconds: 10, waitTimeoutSeconds: 1 }],
			}),
		);
		expect(granted[0].json).toMatchObject({ acquired: true, fencingToken: expect.any(Number) });
		const token = granted[0].json.token as string;
		const [released] = await mutex.execute.call(
			fakeExecuteContext({
				type: 'n8n-nodes-widip.llmMutex',
				credentials,
				params: [
					{ operation: 'redis.mutex_release', lockName: 'gpu', token },
					{ operation: 'redis.mutex_release', lockName: 'gpu', token },
				],
			}),
		);
		expect(released.map((item: INodeExecutionData) => item.json.released)).toEqual([true, false]);
		expect(released[1].json.message).toMatch(/not held by this token.*nothing changed/);
	});

	it('as an AI tool, a timed-out Acquire is answered on output 0 (the only one an agent reads)', async () => {
		const held = await probe.locks.acquire('tool', { ttlMs: 10_000, waitTimeoutMs: 0 });
		const [first, second] = await new LlmMutex().execute.call(
			fakeExecuteContext({
				type: 'n8n-nodes-widip.llmMutexTool',
				credentialsByType: { widipRedisApi: credentials, widipSafeguardApi: credentials },
				// Acquire is Safeguard L1: an agent sure enough (≥ 80) runs it without a person.
				params: [{ operation: 'redis.mutex_acquire', lockName: 'tool', ttlSeconds: 10, waitTimeoutSeconds: 0, safeguardConfidence: '90' }],
			}),
		);
		expect(first[0].json).toMatchObject({ acquired: false });
		expect(second).toEqual([]);
		await probe.locks.release('tool', held!.token);
	});

	it('invalid input fails with the field named and the item index; continueOnFail keeps going', async () => {
		const params = [{ operation: 'redis.set', key: 'k', value: 'v', ttlSeconds: -1 }, { operation: 'redis.get', key: 'k' }];
		await expect(
			new RedisHelper().execute.call(fakeExecuteContext({ type: 'n8n-nodes-widip.redisHelper', credentials, params })),
		).rejects.toMatchObject({ message: expect.stringMatching(/Invalid input for redis\.set: ttlSeconds/), context: { itemIndex: 0 } });

		const [items] = await new RedisHelper().execute.call(
			fakeExecuteContext({ type: 'n8n-nodes-widip.redisHelper', credentials, params, continueOnFail: true }),
		);
		expect(items[0].json.error).toMatch(/ttlSeconds/);
		expect(items[0].pairedItem).toEqual({ item: 0 });
		expect(items[1].json).toMatchObject({ success: true, exists: false });
	});

	it('an unreachable Redis is a clean node error within the timeout', async () => {
		const port = await freePort();
		const started = Date.now();
		const error = await new RedisHelper().execute
			.call(
				fakeExecuteContext({
					type: 'n8n-nodes-widip.redisHelper',
					credentials: { ...credentials, port, timeoutMs: 1000 },
					params: [{ operation: 'redis.get', key: 'k' }],
				}),
			)
			.catch((e: Error) => e);
		expect(Date.now() - started).toBeLessThan(1500);
		expect((error as Error).message).toBe(`Redis at ${REDIS_HOST}:${port} refused the connection (is it running?)`);
		expect((error as Error).message).not.toMatch(/\n\s+at /);
	});

	it('with continueOnFail, an unreachable Redis yields one error item per input item', async () => {
		const port = await freePort();
		const [items] = await new RedisHelper().execute.call(
			fakeExecuteContext({
				type: 'n8n-nodes-widip.redisHelper',
				credentials: { ...credentials, port, timeoutMs: 1000 },
				params: [{ operation: 'redis.get', key: 'a' }, { operation: 'redis.get', key: 'b' }],
				continueOnFail: true,
			}),
		);
		// The kind of failure rides along, so a workflow can tell a service down from a refused request.
		expect(items).toEqual([0, 1].map((item) => ({
			json: { error: `Redis at ${REDIS_HOST}:${port} refused the connection (is it running?)`, details: { kind: 'unavailable', service: 'redis' } },
			pairedItem: { item },
		})));
	});

	it('the credential test reports success and a clear failure', async () => {
		const helper = new RedisHelper();
		const test = helper.methods.credentialTest.widipRedisConnectionTest;
		const ok = await test.call({} as never, { id: '1', name: 'r', type: 'widipRedisApi', data: credentials });
		expect(ok).toEqual({ status: 'OK', message: 'Connection successful' });
		const port = await freePort();
		const bad = await test.call({} as never, { id: '1', name: 'r', type: 'widipRedisApi', data: { ...credentials, port } });
		expect(bad).toEqual({ status: 'Error', message: `Redis at ${REDIS_HOST}:${port} refused the connection (is it running?)` });
	});
});
