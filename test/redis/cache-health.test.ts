import type { Coordination } from '../../core/redis/coordination';
import { connectTest, dropPrefix } from '../support/redis';

describe('Redis cache and health flags (real Redis)', () => {
	let coordination: Coordination;

	beforeAll(async () => {
		coordination = await connectTest('cache');
	});
	afterAll(async () => {
		await dropPrefix(coordination);
		await coordination.close();
	});

	it('writes every cache key under <prefix>cache:, never at the prefix itself', async () => {
		await coordination.cache.set('plain', 'v1');
		expect(await coordination.redis.get(`${coordination.config.keyPrefix}cache:plain`)).toBe('v1');
		expect(await coordination.redis.exists(`${coordination.config.keyPrefix}plain`)).toBe(0);
		expect(await coordination.redis.exists('plain')).toBe(0);
	});

	it('set with a TTL expires; set without keeps', async () => {
		await coordination.cache.set('short', 'x', 1);
		await coordination.cache.set('forever', 'y');
		expect(await coordination.cache.ttl('short')).toBeGreaterThan(0);
		expect(await coordination.cache.ttl('forever')).toBe(-1);
		await new Promise((resolve) => setTimeout(resolve, 1100));
		expect(await coordination.cache.get('short')).toBeNull();
		expect(await coordination.cache.get('forever')).toBe('y');
	});

	it('delete reports whether the key existed', async () => {
		await coordination.cache.set('gone', 'z');
		expect(await coordination.cache.delete('gone')).toBe(true);
		expect(await coordination.cache.delete('gone')).toBe(false);
	});

	it('set-if-not-exists lets exactly one of many concurrent callers create the key', async () => {
		const results = await Promise.all(
			Array.from({ length: 20 }, (_, i) => coordination.cache.setIfAbsent('claim', `caller-${i}`, 30)),
		);
		expect(results.filter(Boolean)).toHaveLength(1);
		const winner = results.indexOf(true);
		expect(await coordination.cache.get('claim')).toBe(`caller-${winner}`);
	});

	it('health flag reads ok/down, and unknown once its TTL passed without a refresh', async () => {
		expect(await coordination.health.get('glpi')).toBe('unknown');
		await coordination.health.set('glpi', 'down', 1);
		expect(await coordination.redis.get(`${coordination.config.keyPrefix}health:glpi:status`)).toBe('down');
		expect(await coordination.health.get('glpi')).toBe('down');
		await new Promise((resolve) => setTimeout(resolve, 1100));
		expect(await coordination.health.get('glpi')).toBe('unknown');
	});

	it('the down alert is claimed once per window, and recovery re-arms it', async () => {
		const claims = await Promise.all(Array.from({ length: 10 }, () => coordination.health.claimDownAlert('glpi')));
		expect(claims.filter(Boolean)).toHaveLength(1);
		expect(await coordination.redis.ttl(`${coordination.config.keyPrefix}health:glpi:down_alert_sent`)).toBeGreaterThan(290);
		await coordination.health.set('glpi', 'ok');
		expect(await coordination.health.claimDownAlert('glpi')).toBe(true);
	});
});
