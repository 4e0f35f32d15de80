import { Coordination } from '../../core/redis/coordination';
import { WidipError } from '../../core/errors';
import { failure } from '../support/timed';
import { freePort, REDIS_HOST, REDIS_PORT, silentServer, spawnRedis, type SpawnedRedis } from '../support/redis';

describe('Redis connection failures', () => {
	let secured: SpawnedRedis;
	const password = 'S3cret-redis-pass!';

	beforeAll(async () => {
		secured = await spawnRedis(['--requirepass', password]);
	});
	afterAll(async () => {
		await secured.stop();
	});

	it('connects with the right password', async () => {
		const coordination = await Coordination.connect({ host: '127.0.0.1', port: secured.port, password, timeoutMs: 2000 });
		await coordination.ping();
		await coordination.close();
	});

	it('a wrong password is an auth error that names the server and never the password', async () => {
		const { error, elapsedMs: ms } = await failure(
			Coordination.connect({ host: '127.0.0.1', port: secured.port, password: 'wrong-pass-123', timeoutMs: 2000 }),
		);
		expect(error).toBeInstanceOf(WidipError);
		expect(error.kind).toBe('auth');
		expect(error.message).toBe(`Redis at 127.0.0.1:${secured.port} rejected the username or password`);
		expect(error.message).not.toContain('wrong-pass-123');
		expect(ms).toBeLessThan(2500);
	});

	it('a missing password against a protected Redis is an auth error too', async () => {
		const { error } = await failure(Coordination.connect({ host: '127.0.0.1', port: secured.port, timeoutMs: 2000 }));
		expect(error.kind).toBe('auth');
	});

	it('nothing listening is "unavailable" at once', async () => {
		const port = await freePort();
		const { error, elapsedMs: ms } = await failure(Coordination.connect({ host: '127.0.0.1', port, timeoutMs: 2000 }));
		expect(error.kind).toBe('unavailable');
		expect(error.message).toBe(`Redis at 127.0.0.1:${port} refused the connection (is it running?)`);
		expect(ms).toBeLessThan(1000);
	});

	it('a server that never answers fails within the configured timeout, no hang', async () => {
		const server = await silentServer();
		try {
			const { error, elapsedMs: ms } = await failure(Coordination.connect({ host: '127.0.0.1', port: server.port, timeoutMs: 800 }));
			expect(error.kind).toBe('timeout');
			expect(error.message).toBe(`Redis at 127.0.0.1:${server.port} did not answer within 800 ms`);
			expect(ms).toBeGreaterThanOrEqual(700);
			expect(ms).toBeLessThan(1800);
		} finally {
			await server.close();
		}
	});

	it('a Redis that dies mid-use gives a clear error on the next call instead of hanging', async () => {
		const doomed = await spawnRedis();
		const coordination = await Coordination.connect({ host: '127.0.0.1', port: doomed.port, timeoutMs: 1000 });
		await coordination.cache.set('k', 'v');
		await doomed.stop();
		const started = Date.now();
		await expect(coordination.guard('redis.get', () => coordination.cache.get('k'))).rejects.toMatchObject({
			kind: expect.stringMatching(/unavailable|timeout/),
			message: expect.stringContaining(`Redis at 127.0.0.1:${doomed.port}`),
		});
		expect(Date.now() - started).toBeLessThan(2000);
		await coordination.close();
	});

	it('the shared test Redis is reachable (sanity for the rest of the suite)', async () => {
		const coordination = await Coordination.connect({ host: REDIS_HOST, port: REDIS_PORT, timeoutMs: 2000 });
		await coordination.ping();
		await coordination.close();
	});
});
