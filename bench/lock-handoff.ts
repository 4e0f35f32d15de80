/**
 * Lock hand-over: time from the holder's Release to the next waiter holding the lock, for our
 * push-based FIFO lock and, in the same run, the seed's polling lock (SET NX + 100 ms sleep).
 */
import { randomBytes } from 'node:crypto';

import { Coordination } from '../core/redis/coordination';
import { nowMs, percentile, sleep, summary } from './stats';

const HOST = process.env.WIDIP_TEST_REDIS_HOST ?? '127.0.0.1';
const PORT = Number(process.env.WIDIP_TEST_REDIS_PORT ?? 6379);

async function pushLock(a: Coordination, b: Coordination, samples: number): Promise<number[]> {
	const name = 'bench-handoff';
	const results: number[] = [];
	let holder = a;
	let waiter = b;
	let grant = (await holder.locks.acquire(name, { ttlMs: 30_000, waitTimeoutMs: 0 }))!;
	for (let i = 0; i < samples + 5; i++) {
		let acquiredAt = 0;
		const next = waiter.locks.acquire(name, { ttlMs: 30_000, waitTimeoutMs: 10_000 }).then((g) => {
			acquiredAt = nowMs();
			return g!;
		});
		while ((await holder.locks.inspect(name)).queue.length === 0) await sleep(0);
		await sleep(Math.random() * 100); // same random release moment as the baseline gets
		const releasedAt = nowMs();
		await holder.locks.release(name, grant.token);
		grant = await next;
		if (i >= 5) results.push(acquiredAt - releasedAt); // first rounds warm up connections
		[holder, waiter] = [waiter, holder];
	}
	await holder.locks.release(name, grant.token);
	return results;
}

/** The seed's way: try SET NX, sleep 100 ms, try again; release with DEL. */
async function pollingLock(a: Coordination, b: Coordination, samples: number): Promise<number[]> {
	const key = `${a.config.keyPrefix}bench-polling`;
	const results: number[] = [];
	await a.redis.set(key, 'a', 'PX', 30_000, 'NX');
	let holder = a;
	let waiter = b;
	for (let i = 0; i < samples; i++) {
		let acquiredAt = 0;
		let polling = false;
		const next = (async () => {
			const me = randomBytes(8).toString('hex');
			for (;;) {
				polling = true;
				if ((await waiter.redis.set(key, me, 'PX', 30_000, 'NX')) === 'OK') {
					acquiredAt = nowMs();
					return;
				}
				await sleep(100);
			}
		})();
		while (!polling) await sleep(0);
		await sleep(Math.random() * 100);
		const releasedAt = nowMs();
		await holder.redis.del(key);
		await next;
		results.push(acquiredAt - releasedAt);
		[holder, waiter] = [waiter, holder];
	}
	await a.redis.del(key);
	return results;
}

export async function benchLockHandoff(): Promise<void> {
	const keyPrefix = `widip-bench:${randomBytes(4).toString('hex')}:`;
	const a = await Coordination.connect({ host: HOST, port: PORT, keyPrefix });
	const b = await Coordination.connect({ host: HOST, port: PORT, keyPrefix });
	try {
		const push = await pushLock(a, b, 200);
		const polling = await pollingLock(a, b, 40);
		const median = percentile(push, 50);
		const ratio = percentile(polling, 50) / median;
		console.log('\nLock hand-over: Release → next waiter holds the lock (two connections, loopback Redis)');
		console.log(`  widip FIFO lock (push)         ${summary(push)}`);
		console.log(`  seed polling (SET NX + 100 ms) ${summary(polling)}`);
		console.log(
			`  → ${ratio.toFixed(0)}× faster than the polling baseline (goal ≥ 20×: ${ratio >= 20 ? 'met' : 'NOT met'}); ` +
				`median ${median.toFixed(3)} ms (goal < 2 ms: ${median < 2 ? 'met' : 'NOT met'})`,
		);
	} finally {
		const keys = await a.redis.keys(`${keyPrefix}*`);
		if (keys.length) await a.redis.del(...keys);
		await a.close();
		await b.close();
	}
}
