/**
 * A child process with several contenders for one lock. Each acquisition enters a critical
 * section that would detect overlap (a shared Redis counter above 1) or a fencing number that
 * does not exceed the last one seen. Prints one JSON summary line.
 *
 * argv: prefix, lockName, contenders, acquisitionsEach, mode ('run' | 'hold')
 *       prefix, lockName, waitersBefore, ttlMs, 'crash', waitersAfter
 *
 * 'crash' is an n8n worker about to be killed with several executions: one holds the lock (kept
 * alive), `waitersBefore` more wait in line; it prints `{"ready":…}` then, once one foreign waiter
 * has joined the line, queues `waitersAfter` more behind it and prints `{"linedUp":…}`. The parent
 * SIGKILLs it then: every one of its waiters is dead, before and after the live one.
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

	if (mode === 'crash') {
		const ttlMs = Number(each);
		const before = Number(contenders);
		const after = Number(process.argv[7] ?? 0);
		const grant = await locks.acquire(lockName, { ttlMs, waitTimeoutMs: 5000 });
		locks.keepAlive(grant!, ttlMs);
		const queueAtLeast = async (length: number) => {
			// test scaffolding, not the lock's wake-up path: wait until the line is as long as expected
			while ((await locks.inspect(lockName)).queue.length < length) await new Promise((r) => setTimeout(r, 2));
		};
		const wait = () => void locks.acquire(lockName, { ttlMs, waitTimeoutMs: 60_000 }).catch(() => undefined);
		for (let i = 0; i < before; i++) wait();
		await queueAtLeast(before);
		process.stdout.write(`${JSON.stringify({ ready: true, fence: grant!.fence, token: grant!.token })}\n`);
		await queueAtLeast(before + 1);
		for (let i = 0; i < after; i++) wait();
		await queueAtLeast(before + 1 + after);
		process.stdout.write(`${JSON.stringify({ linedUp: true })}\n`);
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
