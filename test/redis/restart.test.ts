import { Coordination } from '../../core/redis/coordination';
import { spawnRedis, type SpawnedRedis } from '../support/redis';

/** A long-lived process (runtime, worker) must ride out a Redis restart without hanging. */
describe('Redis restart', () => {
	let redis: SpawnedRedis;

	afterEach(async () => {
		await redis?.stop();
	});

	it('a waiting Acquire survives a Redis restart and gets the lock afterwards; the cache works again', async () => {
		redis = await spawnRedis();
		const port = redis.port;
		const config = { host: '127.0.0.1', port, keyPrefix: 'restart:', timeoutMs: 1000, reconnect: true };
		const holder = await Coordination.connect(config);
		const waiterSide = await Coordination.connect(config);
		await holder.locks.acquire('gpu', { ttlMs: 1500, waitTimeoutMs: 0 });
		const waiting = waiterSide.locks.acquire('gpu', { ttlMs: 5000, waitTimeoutMs: 15_000, waiterLeaseMs: 2000 });
		await new Promise((resolve) => setTimeout(resolve, 100));

		await redis.stop(); // everything in Redis is gone: holder, line, scripts
		await new Promise((resolve) => setTimeout(resolve, 300));
		redis = await spawnRedis([], port);

		const grant = await waiting;
		expect(grant).not.toBeNull();
		expect((await waiterSide.locks.inspect('gpu')).holder).toBe(grant!.token);
		// the Lua scripts were reloaded transparently (EVALSHA → NOSCRIPT → EVAL)
		expect(await waiterSide.locks.release('gpu', grant!.token)).toBe(true);
		await holder.cache.set('after', 'restart');
		expect(await waiterSide.cache.get('after')).toBe('restart');
		await holder.close();
		await waiterSide.close();
	}, 30_000);
});
