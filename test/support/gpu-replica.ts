/**
 * One GPU proxy replica in a process of its own, sharing its backend's slots through Redis, so a
 * test can SIGKILL it mid-request. Prints its URL on one line.
 *
 * argv: backend URL, Redis key prefix, lease ms
 */
import { Coordination } from '../../core/redis/coordination';
import { buildGpuProxy, startGpuProxy } from '../../runtime/gpu/proxy';

async function main(): Promise<void> {
	const [backendUrl, prefix, leaseMs] = process.argv.slice(2);
	const coordination = await Coordination.connect({
		host: process.env.WIDIP_TEST_REDIS_HOST ?? '127.0.0.1',
		port: Number(process.env.WIDIP_TEST_REDIS_PORT ?? 6379),
		keyPrefix: prefix,
		reconnect: true,
	});
	const proxy = buildGpuProxy(
		{
			backends: [{ name: 'gpu0', url: backendUrl, slots: 1 }],
			keys: [],
			defaultPriority: 'assist',
			scheduler: { queueLimit: 100, maxWaitMs: 60_000, agingMs: 30_000, affinityWindowMs: 0 },
			leaseMs: Number(leaseMs),
			modelRefreshMs: 60_000,
		},
		{ shared: { redis: coordination.redis, prefix } },
	);
	process.stdout.write(`${await startGpuProxy(proxy, '127.0.0.1', 0)}\n`);
}

main().catch((error: unknown) => {
	process.stderr.write(`${(error as Error).message}\n`);
	process.exit(1);
});
