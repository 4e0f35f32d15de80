/**
 * A child process with several contenders for one lock. Each acquisition enters a critical
 * section that would detect overlap (a shared Redis counter above 1) or a fencing number that
 * does not exceed the last one seen. Prints one JSON summary line.
 *
 * argv: prefix, lockName, contenders, acquisitionsEach, mode ('run' | 'hold')
 */
import { Coordination } from '../../core/redis/coordination';

async function main(): Promise<void> {
	const [prefix, lockName, contenders, each, mode] = process.argv.slice(2);
	const coordination = await Coordination.connect({
		host: process.env.WIDIP_TEST_REDIS_HOST ?? '127.0.0.1',
		port: Number(process.env.WIDIP_TEST_REDIS_PORT ?? 6379),
		keyPrefix: prefix,
		timeoutMs: 5000,
	});
	const { redis, locks } = coordination;
	const inside = `${prefix}test:inside`;
	const lastFence = `${prefix}test:last-fence`;

	if (mode === 'hold') {
		const grant = await locks.acquire(lockName, { ttlMs: Number(each), waitTimeoutMs: 5000 });
		// Refresh for ever: only the death of this process can free the lock.
		locks.keepAlive(grant!, Number(each));
		process.stdout.write(`${JSON.stringify({ held: true, fence: grant?.fence, token: grant?.token })}\n`);
		setInterval(() => undefined, 1000);
		return;
	}

	let overlaps = 0;
	let fenceViolations = 0;
	let acquisitions = 0;
	let timeouts = 0;
	const fences: number[] = [];
	const contender = async () => {
		for (let i = 0; i < Number(each); i++) {
			const grant = await locks.acquire(lockName, { ttlMs: 10_000, waitTimeoutMs: 60_000 });
			if (!grant) {
				timeouts++;
				continue;
			}
			try {
				if ((await redis.incr(inside)) !== 1) overlaps++;
				const previous = Number((await redis.get(lastFence)) ?? 0);
				if (grant.fence <= previous) fenceViolations++;
				await redis.set(lastFence, String(grant.fence));
				await new Promise((resolve) => setTimeout(resolve, Math.random() * 2));
				await redis.decr(inside);
				acquisitions++;
				fences.push(grant.fence);
			} finally {
				await locks.release(lockName, grant.token);
			}
		}
	};
	await Promise.all(Array.from({ length: Number(contenders) }, contender));
	process.stdout.write(`${JSON.stringify({ acquisitions, overlaps, fenceViolations, timeouts, fences })}\n`);
	await coordination.close();
}

main().catch((error) => {
	process.stderr.write(`${String(error?.stack ?? error)}\n`);
	process.exit(1);
});
