import { spawn } from 'node:child_process';
import path from 'node:path';

import type { Coordination } from '../../core/redis/coordination';
import { CLAIM_WINDOW_MS } from '../../core/redis/lock';
import { connectTest, dropPrefix } from '../support/redis';

const CONTENDER = path.join(__dirname, '../support/lock-contender.ts');

function runChild(args: string[]): { done: Promise<string>; kill(): void; firstLine: Promise<string>; line(index: number): Promise<string> } {
	// `node --import tsx` (not the tsx wrapper) so the pid we kill is the process holding the lock
	const child = spawn(process.execPath, ['--import', 'tsx', CONTENDER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	let err = '';
	const waiting: { index: number; resolve(line: string): void }[] = [];
	const deliver = () => {
		const lines = out.split('\n').slice(0, -1);
		for (const w of [...waiting]) {
			if (lines.length > w.index) {
				waiting.splice(waiting.indexOf(w), 1);
				w.resolve(lines[w.index]);
			}
		}
	};
	const line = (index: number) =>
		new Promise<string>((resolve) => {
			waiting.push({ index, resolve });
			deliver();
		});
	child.stdout.on('data', (chunk: Buffer) => {
		out += chunk.toString();
		deliver();
	});
	child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
	const done = new Promise<string>((resolve, reject) => {
		child.on('exit', (code, signal) => {
			if (code === 0) resolve(out);
			else reject(new Error(`contender exited ${code ?? signal}: ${err}`));
		});
	});
	return { done, firstLine: line(0), line, kill: () => child.kill('SIGKILL') };
}

describe('Redis lock', () => {
	let coordination: Coordination;

	beforeAll(async () => {
		coordination = await connectTest('mutex'); // not 'lock': a prefix may not contain the reserved segment lock:
	});
	afterAll(async () => {
		await dropPrefix(coordination);
		await coordination.close();
	});

	it('grants a free lock at once with a 128-bit token and a fencing number', async () => {
		const grant = await coordination.locks.acquire('basic', { ttlMs: 5000, waitTimeoutMs: 1000 });
		expect(grant).not.toBeNull();
		expect(grant!.token).toMatch(/^[0-9a-f]{32}$/);
		expect(grant!.fence).toBeGreaterThan(0);
		const ttl = await coordination.redis.pttl(coordination.keys.lock('basic').holder);
		expect(ttl).toBeGreaterThan(4000);
		expect(ttl).toBeLessThanOrEqual(5000);
		expect(await coordination.locks.release('basic', grant!.token)).toBe(true);
		expect((await coordination.locks.inspect('basic')).holder).toBeNull();
	});

	it('refuses release and refresh by a token that does not hold the lock, changing nothing', async () => {
		const grant = await coordination.locks.acquire('foreign', { ttlMs: 5000, waitTimeoutMs: 0 });
		const stranger = 'f'.repeat(32);
		expect(await coordination.locks.release('foreign', stranger)).toBe(false);
		expect(await coordination.locks.refresh('foreign', stranger, 60_000)).toBe(false);
		expect((await coordination.locks.inspect('foreign')).holder).toBe(grant!.token);
		expect(await coordination.redis.pttl(coordination.keys.lock('foreign').holder)).toBeLessThanOrEqual(5000);
		expect(await coordination.locks.release('foreign', grant!.token)).toBe(true);
		expect(await coordination.locks.release('foreign', grant!.token)).toBe(false);
	});

	it('refresh extends the TTL of a held lock', async () => {
		const grant = await coordination.locks.acquire('refresh', { ttlMs: 1000, waitTimeoutMs: 0 });
		expect(await coordination.locks.refresh('refresh', grant!.token, 30_000)).toBe(true);
		expect(await coordination.redis.pttl(coordination.keys.lock('refresh').holder)).toBeGreaterThan(20_000);
		await coordination.locks.release('refresh', grant!.token);
	});

	it('keepAlive holds a lock past its TTL until stopped', async () => {
		const grant = await coordination.locks.acquire('keepalive', { ttlMs: 300, waitTimeoutMs: 0 });
		const stop = coordination.locks.keepAlive(grant!, 300);
		await new Promise((resolve) => setTimeout(resolve, 900));
		expect((await coordination.locks.inspect('keepalive')).holder).toBe(grant!.token);
		stop();
		await new Promise((resolve) => setTimeout(resolve, 500));
		expect((await coordination.locks.inspect('keepalive')).holder).toBeNull();
	});

	it('serves waiters first come, first served, each woken by the release before it', async () => {
		const holder = await coordination.locks.acquire('fifo', { ttlMs: 10_000, waitTimeoutMs: 0 });
		const order: number[] = [];
		const waiters: Promise<void>[] = [];
		for (let i = 0; i < 6; i++) {
			waiters.push(
				coordination.locks.acquire('fifo', { ttlMs: 10_000, waitTimeoutMs: 10_000 }).then(async (grant) => {
					order.push(i);
					await coordination.locks.release('fifo', grant!.token);
				}),
			);
			// wait until this waiter is in line before starting the next, so arrival order is known
			while ((await coordination.locks.inspect('fifo')).queue.length < i + 1) await new Promise((r) => setTimeout(r, 2));
		}
		const started = Date.now();
		await coordination.locks.release('fifo', holder!.token);
		await Promise.all(waiters);
		expect(order).toEqual([0, 1, 2, 3, 4, 5]);
		// six push hand-overs, no TTL waits and no polling delay
		expect(Date.now() - started).toBeLessThan(1000);
	});

	it('gives up after the wait timeout, leaves the line and lets the next waiter through', async () => {
		const holder = await coordination.locks.acquire('timeout', { ttlMs: 10_000, waitTimeoutMs: 0 });
		const started = Date.now();
		const impatient = coordination.locks.acquire('timeout', { ttlMs: 10_000, waitTimeoutMs: 300 });
		const patient = coordination.locks.acquire('timeout', { ttlMs: 10_000, waitTimeoutMs: 5000 });
		expect(await impatient).toBeNull();
		const waited = Date.now() - started;
		expect(waited).toBeGreaterThanOrEqual(290);
		expect(waited).toBeLessThan(1500);
		expect((await coordination.locks.inspect('timeout')).queue).toHaveLength(1);
		await coordination.locks.release('timeout', holder!.token);
		const grant = await patient;
		expect(grant).not.toBeNull();
		await coordination.locks.release('timeout', grant!.token);
	});

	it('tries once and leaves no trace when the wait timeout is 0', async () => {
		const holder = await coordination.locks.acquire('once', { ttlMs: 10_000, waitTimeoutMs: 0 });
		expect(await coordination.locks.acquire('once', { ttlMs: 10_000, waitTimeoutMs: 0 })).toBeNull();
		expect((await coordination.locks.inspect('once')).queue).toEqual([]);
		await coordination.locks.release('once', holder!.token);
	});

	it('rejects lock names that could break out of the key scheme', async () => {
		await expect(coordination.locks.acquire('a}b', { ttlMs: 1000, waitTimeoutMs: 0 })).rejects.toThrow(/Invalid lock name/);
		await expect(coordination.locks.acquire('', { ttlMs: 1000, waitTimeoutMs: 0 })).rejects.toThrow(/Invalid lock name/);
	});

	it('keeps mutual exclusion for 24 contenders in 3 processes over 504 acquisitions, fences strictly increasing', async () => {
		const prefix = coordination.config.keyPrefix;
		const children = [0, 1, 2].map(() => runChild([prefix, 'contended', '8', '21', 'run']));
		const results = (await Promise.all(children.map((child) => child.done))).map((out) => JSON.parse(out.trim().split('\n').pop()!));
		const total = results.reduce((sum, r) => sum + r.acquisitions, 0);
		expect(total).toBe(504);
		expect(results.reduce((sum, r) => sum + r.overlaps, 0)).toBe(0);
		expect(results.reduce((sum, r) => sum + r.fenceViolations, 0)).toBe(0);
		expect(results.reduce((sum, r) => sum + r.timeouts, 0)).toBe(0);
		const fences: number[] = results.flatMap((r) => r.fences);
		expect(new Set(fences).size).toBe(504);
		// each process saw its own fences strictly increase too
		for (const r of results) {
			for (let i = 1; i < r.fences.length; i++) expect(r.fences[i]).toBeGreaterThan(r.fences[i - 1]);
		}
	}, 120_000);

	it('a holder killed with SIGKILL loses the lock at its TTL and the waiter gets it then', async () => {
		const ttlMs = 1500;
		const child = runChild([coordination.config.keyPrefix, 'killed', '1', String(ttlMs), 'hold']);
		const held = JSON.parse(await child.firstLine);
		expect(held.held).toBe(true);
		const heldAt = Date.now();
		const waiter = coordination.locks.acquire('killed', { ttlMs: 5000, waitTimeoutMs: 10_000 });
		child.kill();
		await child.done.catch(() => undefined);
		const grant = await waiter;
		const tookMs = Date.now() - heldAt;
		expect(grant).not.toBeNull();
		expect(grant!.fence).toBeGreaterThan(held.fence);
		// not before the TTL ran out, and promptly after it (a timer at the TTL, not a poll)
		expect(tookMs).toBeGreaterThanOrEqual(ttlMs - 100);
		expect(tookMs).toBeLessThan(ttlMs + 700);
		await coordination.locks.release('killed', grant!.token);
	}, 30_000);

	it('drops a crashed waiter from the line after its lease so the next waiter is served', async () => {
		const holder = await coordination.locks.acquire('deadwaiter', { ttlMs: 10_000, waitTimeoutMs: 0 });
		const keys = coordination.keys.lock('deadwaiter');
		// a waiter that died in line: first in the queue, its lease ending in 300 ms, never renewed
		await coordination.redis.rpush(keys.queue, 'd'.repeat(32));
		await coordination.redis.hset(keys.waiters, 'd'.repeat(32), `${Date.now() + 300} 10000`);
		const live = coordination.locks.acquire('deadwaiter', { ttlMs: 10_000, waitTimeoutMs: 5000 });
		while ((await coordination.locks.inspect('deadwaiter')).queue.length < 2) await new Promise((r) => setTimeout(r, 2));
		await new Promise((resolve) => setTimeout(resolve, 400));
		await coordination.locks.release('deadwaiter', holder!.token);
		const grant = await live;
		expect(grant).not.toBeNull();
		expect((await coordination.locks.inspect('deadwaiter')).holder).toBe(grant!.token);
		await coordination.locks.release('deadwaiter', grant!.token);
	});

	it('a process killed holding the lock with its own waiters first in line costs the live waiters TTL + claim window, no more', async () => {
		const ttlMs = 1500;
		const claimMs = Math.min(ttlMs, CLAIM_WINDOW_MS);
		for (let round = 0; round < 3; round++) {
			const name = `crashed-worker-${round}`;
			// the worker: holder + 3 waiters in line, then our first live waiter, then 2 more of its own
			const child = runChild([coordination.config.keyPrefix, name, '3', String(ttlMs), 'crash', '2']);
			const ready = JSON.parse(await child.line(0));
			const first = coordination.locks.acquire(name, { ttlMs: 5000, waitTimeoutMs: 30_000 });
			await child.line(1);
			const second = coordination.locks.acquire(name, { ttlMs: 5000, waitTimeoutMs: 30_000 });
			while ((await coordination.locks.inspect(name)).queue.length < 7) await new Promise((r) => setTimeout(r, 2));
			child.kill();
			const killedAt = Date.now();
			await child.done.catch(() => undefined);

			const grant = await first;
			const tookMs = Date.now() - killedAt;
			expect(grant).not.toBeNull();
			expect(grant!.fence).toBeGreaterThan(ready.fence);
			// never before the dead holder's TTL could have run out (keepAlive refreshed it every TTL/3)…
			expect(tookMs).toBeGreaterThanOrEqual(Math.floor((ttlMs * 2) / 3) - 50);
			// …and within TTL + one claim window (+ scheduling slack on a shared CI machine): the three dead
			// waiters ahead cost one lapsed offer together, not a waiter lease (10 s) each
			expect(tookMs).toBeLessThan(ttlMs + claimMs + 400);
			// the dead worker's waiters behind us are out of the line too: the next live waiter is served at once
			const releasedAt = Date.now();
			await coordination.locks.release(name, grant!.token);
			const next = await second;
			expect(next).not.toBeNull();
			expect(next!.fence).toBeGreaterThan(grant!.fence);
			expect(Date.now() - releasedAt).toBeLessThan(300);
			expect((await coordination.locks.inspect(name)).queue).toEqual([]);
			await coordination.locks.release(name, next!.token);
		}
	}, 90_000);

	it('a hand-over to a dead waiter lapses after the claim window and passes to the next live waiter', async () => {
		const holder = await coordination.locks.acquire('lapse', { ttlMs: 10_000, waitTimeoutMs: 0 });
		const keys = coordination.keys.lock('lapse');
		// a waiter that died in line a moment ago: first in the queue, its 10 s lease still running
		await coordination.redis.rpush(keys.queue, 'e'.repeat(32));
		await coordination.redis.hset(keys.waiters, 'e'.repeat(32), `${Date.now() + 10_000} 10000`);
		const live = coordination.locks.acquire('lapse', { ttlMs: 10_000, waitTimeoutMs: 15_000 });
		while ((await coordination.locks.inspect('lapse')).queue.length < 2) await new Promise((r) => setTimeout(r, 2));
		const releasedAt = Date.now();
		await coordination.locks.release('lapse', holder!.token);
		const grant = await live;
		const tookMs = Date.now() - releasedAt;
		expect(grant).not.toBeNull();
		// the dead waiter was offered the lock and did not claim it: one claim window, then ours
		expect(tookMs).toBeGreaterThanOrEqual(CLAIM_WINDOW_MS - 50);
		expect(tookMs).toBeLessThan(CLAIM_WINDOW_MS + 400);
		expect(grant!.fence).toBe(holder!.fence + 2);
		await coordination.locks.release('lapse', grant!.token);
	}, 30_000);
});
