/**
 * Lock recovery after a crash: an n8n worker is SIGKILLed while one of its executions holds the
 * lock (kept alive) and more of its executions wait in line, ahead of and behind a live waiter of
 * another process. Measured: kill → the live waiter holds the lock, beside the lock's TTL.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

import { Coordination } from '../core/redis/coordination';
import { sleep } from './stats';

const HOST = process.env.WIDIP_TEST_REDIS_HOST ?? '127.0.0.1';
const PORT = Number(process.env.WIDIP_TEST_REDIS_PORT ?? 6379);
const CONTENDER = path.join(__dirname, '../test/support/lock-contender.ts');
const TTL_MS = 1500;
const RUNS = 5;

/** Starts a worker in the contender's 'crash' mode; resolves its output lines as they come. */
function crashWorker(keyPrefix: string, name: string) {
	const child = spawn(
		process.execPath,
		['--import', 'tsx', CONTENDER, keyPrefix, name, '3', String(TTL_MS), 'crash', '2'],
		{
			stdio: ['ignore', 'pipe', 'inherit'],
		},
	);
	let out = '';
	child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
	const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
	const line = async (index: number) => {
		while (out.split('\n').length <= index + 1) {
			if (child.exitCode !== null) throw new Error('lock contender exited early');
			await sleep(5);
		}
		return out.split('\n')[index];
	};
	return { line, exited, kill: () => child.kill('SIGKILL') };
}

async function oneRecovery(live: Coordination, round: number): Promise<number> {
	const name = `bench-recovery-${round}`;
	const worker = crashWorker(live.config.keyPrefix, name);
	await worker.line(0); // holds, 3 waiters of its own in line
	const waiting = live.locks.acquire(name, { ttlMs: 5000, waitTimeoutMs: 60_000 });
	await worker.line(1); // 2 more of its own behind ours
	worker.kill();
	const killedAt = Date.now();
	await worker.exited;
	const grant = await waiting;
	const tookMs = Date.now() - killedAt;
	if (!grant) throw new Error('the live waiter timed out');
	await live.locks.release(name, grant.token);
	return tookMs;
}

export async function benchLockRecovery(): Promise<void> {
	const keyPrefix = `widip-bench:${randomBytes(4).toString('hex')}:`;
	const live = await Coordination.connect({ host: HOST, port: PORT, keyPrefix });
	try {
		const samples: number[] = [];
		for (let round = 0; round < RUNS; round++) samples.push(await oneRecovery(live, round));
		const sorted = [...samples].sort((a, b) => a - b);
		const median = sorted[Math.floor(sorted.length / 2)];
		const max = sorted[sorted.length - 1];
		console.log(
			'\nLock recovery: worker SIGKILLed holding the lock, 5 of its waiters in line around a live one',
		);
		console.log(
			`  TTL ${TTL_MS} ms   kill → live waiter holds: median ${median} ms   max ${max} ms   (n=${RUNS}: ${samples.join(', ')} ms)`,
		);
		console.log(
			`  → max ${max - TTL_MS >= 0 ? '+' : ''}${max - TTL_MS} ms beyond the TTL (bound: TTL + claim window min(TTL, 1 s))`,
		);
	} finally {
		const keys = await live.redis.keys(`${keyPrefix}*`);
		if (keys.length) await live.redis.del(...keys);
		await live.close();
	}
}

if (require.main === module) {
	benchLockRecovery().catch((error) => {
		console.error(error);
		process.exit(1);
	});
}
