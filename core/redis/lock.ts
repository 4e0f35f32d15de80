import { randomBytes } from 'node:crypto';

import type Redis from 'ioredis';

import { WidipError } from '../errors';
import type { LockKeys, RedisKeys } from './keys';
import { ABANDON, ACQUIRE, CLAIM_WINDOW_MS, REFRESH, RELEASE } from './lock-scripts';

export { CLAIM_WINDOW_MS };

export interface AcquireOptions {
	/** How long the lock lives unless refreshed or released. */
	ttlMs: number;
	/** How long to wait in line before giving up (0 = try once). */
	waitTimeoutMs: number;
	/**
	 * How long a waiter keeps its place without a sign of life. A waiter re-confirms every half
	 * lease, so a crashed waiter blocks the line for at most this long.
	 */
	waiterLeaseMs?: number;
}

export interface LockGrant {
	name: string;
	/** Random 128-bit owner token: only its bearer can release or refresh. */
	token: string;
	/** Strictly increasing across all holders of this lock: pass it to the protected resource. */
	fence: number;
	/** Local clock estimate of when the lock expires unless refreshed. */
	expiresAt: number;
	/** Milliseconds spent in line. */
	waitedMs: number;
}

type LockCommands = Redis & {
	widipLockAcquire(...args: (string | number)[]): Promise<[number, number, number]>;
	widipLockRelease(...args: (string | number)[]): Promise<number>;
	widipLockAbandon(...args: (string | number)[]): Promise<number>;
	widipLockRefresh(...args: (string | number)[]): Promise<number>;
};

interface Waiter {
	channel: string;
	/** Look at the lock now: claim an offer, or learn when to look next. */
	poke(): void;
}

const DEFAULT_WAITER_LEASE_MS = 10_000;

/**
 * One id per process, recorded with each of its waiters: when an offer to one of them lapses (the
 * process died), its other waiters leave the line with it instead of costing a claim window each.
 */
const PROCESS_ID = randomBytes(8).toString('hex');

/** The offer record's key: `<prefix>lock:{<name>}:offer` (same hash slot as the others). */
function offerKey(keys: LockKeys): string {
	return `${keys.holder}:offer`;
}

function defineLockCommands(redis: Redis): LockCommands {
	const commands = redis as LockCommands;
	if (typeof commands.widipLockAcquire !== 'function') {
		// defineCommand uses EVALSHA and falls back to EVAL after a Redis restart flushed the scripts.
		redis.defineCommand('widipLockAcquire', { numberOfKeys: 5, lua: ACQUIRE });
		redis.defineCommand('widipLockRelease', { numberOfKeys: 5, lua: RELEASE });
		redis.defineCommand('widipLockAbandon', { numberOfKeys: 5, lua: ABANDON });
		redis.defineCommand('widipLockRefresh', { numberOfKeys: 1, lua: REFRESH });
	}
	return commands;
}

/**
 * Mutual exclusion over Redis with FIFO waiters that are woken by a push.
 *
 * The holder, a line of waiters and a fencing counter live in Redis and change only inside Lua
 * scripts. Release offers the lock directly to the first waiter and publishes its token; the
 * waiter claims it with one script call and only then holds it for its TTL — no polling. An offer
 * not claimed within the claim window (min(TTL, 1 s): the waiter's process died) lapses, and the
 * dead process's other waiters leave the line with it. A holder that dies loses the lock at its
 * TTL; waiters look again exactly when that TTL ends. So a crash costs at most TTL + one claim
 * window (see lock-scripts.ts for why).
 */
export class Locks {
	private readonly redis: LockCommands;
	private readonly waiters = new Map<string, Waiter>();
	/** Per channel: the offer to another process's waiter we look after if no claim is announced. */
	private readonly watches = new Map<string, { token: string; timer: NodeJS.Timeout }>();
	private readonly subscribed = new Map<string, Promise<void>>();
	private subscriber?: Promise<Redis>;
	private closed = false;

	constructor(
		redis: Redis,
		private readonly keys: RedisKeys,
		private readonly openSubscriber: () => Promise<Redis>,
	) {
		this.redis = defineLockCommands(redis);
	}

	async acquire(name: string, options: AcquireOptions): Promise<LockGrant | null> {
		validateLockName(name);
		const ttlMs = positiveInteger(options.ttlMs, 'ttlMs');
		const waitTimeoutMs = Math.max(0, Math.floor(options.waitTimeoutMs));
		const leaseMs = positiveInteger(options.waiterLeaseMs ?? DEFAULT_WAITER_LEASE_MS, 'waiterLeaseMs');
		const keys = this.keys.lock(name);
		const token = randomBytes(16).toString('hex');
		const started = Date.now();
		const deadline = started + waitTimeoutMs;

		if (waitTimeoutMs === 0) {
			const once = await this.tryAcquire(keys, token, ttlMs, leaseMs);
			if (once.fence) return this.toGrant(name, token, once.fence, once.ttlLeft, started);
			await this.abandon(keys, token);
			return null;
		}
		await this.subscribe(keys.channel);
		return await new Promise<LockGrant | null>((resolve, reject) => {
			let timer: NodeJS.Timeout | undefined;
			let settled = false;
			let leaving = false;
			let running = false;
			let again = false;
			const finish = (result: LockGrant | null | Error) => {
				if (settled) return;
				settled = true;
				clearTimeout(timer);
				this.waiters.delete(token);
				if (result instanceof Error) reject(result);
				else resolve(result);
			};
			// Not a polling loop: a waiter looks when a push names it (an offer to claim), when an
			// offer to another process's waiter was not claimed in its window, when the holder's TTL
			// ends (a crashed holder), or to renew its own lease.
			const schedule = (hintMs: number) => {
				const remaining = deadline - Date.now();
				if (remaining <= 0) return void giveUp();
				const delay = Math.max(1, Math.min(hintMs + 1, leaseMs / 2, remaining));
				timer = setTimeout(() => void look(), delay);
			};
			const look = async (): Promise<void> => {
				if (settled || leaving) return;
				if (running) {
					again = true; // a push came while a look was on its way: look once more after it
					return;
				}
				clearTimeout(timer);
				running = true;
				let attempt: Awaited<ReturnType<Locks['tryAcquire']>>;
				try {
					attempt = await this.tryAcquire(keys, token, ttlMs, leaseMs);
				} catch (error) {
					return finish(error as Error);
				} finally {
					running = false;
				}
				if (settled) return;
				if (attempt.fence) return finish(this.toGrant(name, token, attempt.fence, attempt.ttlLeft, started));
				if (again) {
					again = false;
					return look();
				}
				schedule(attempt.hintMs);
			};
			const giveUp = async () => {
				if (settled) return;
				leaving = true; // pushes from now on are ignored: ABANDON passes on any offer made to us
				try {
					await this.abandon(keys, token);
					finish(null);
				} catch (error) {
					finish(error as Error);
				}
			};
			// Registered before the first look, so an offer pushed right after we join the line is
			// never missed (a missed offer would lapse and cost this process its place in line).
			this.waiters.set(token, { channel: keys.channel, poke: () => void look() });
			void look();
		});
	}

	/** Releases only if `token` holds the lock; returns false (and changes nothing) otherwise. */
	async release(name: string, token: string): Promise<boolean> {
		validateLockName(name);
		const keys = this.keys.lock(name);
		const released = await this.redis.widipLockRelease(
			keys.holder,
			keys.queue,
			keys.waiters,
			keys.fence,
			offerKey(keys),
			token,
			keys.channel,
			PROCESS_ID,
		);
		return released === 1;
	}

	/** Extends the TTL of a lock `token` holds; false when it was lost (expired or taken over). */
	async refresh(name: string, token: string, ttlMs: number): Promise<boolean> {
		validateLockName(name);
		const keys = this.keys.lock(name);
		return (await this.redis.widipLockRefresh(keys.holder, token, positiveInteger(ttlMs, 'ttlMs'))) === 1;
	}

	/**
	 * Keeps a held lock alive by refreshing it every third of its TTL until stopped. `onLost` runs
	 * if the lock was lost anyway (the process stalled past the TTL): stop touching the resource.
	 */
	keepAlive(grant: LockGrant, ttlMs: number, onLost?: (error?: unknown) => void): () => void {
		const timer = setInterval(() => {
			this.refresh(grant.name, grant.token, ttlMs).then(
				(ok) => {
					if (!ok) {
						clearInterval(timer);
						onLost?.();
					}
				},
				(error) => onLost?.(error),
			);
		}, Math.max(10, Math.floor(ttlMs / 3)));
		timer.unref();
		return () => clearInterval(timer);
	}

	/** Current holder token, fencing number and line, for queue views and tests. */
	async inspect(name: string): Promise<{ holder: string | null; fence: number; queue: string[] }> {
		const keys = this.keys.lock(name);
		const [holder, fence, queue] = await Promise.all([
			this.redis.get(keys.holder),
			this.redis.get(keys.fence),
			this.redis.lrange(keys.queue, 0, -1),
		]);
		return { holder: holder ? holder.split(' ')[0] : null, fence: Number(fence ?? 0), queue };
	}

	async close(): Promise<void> {
		this.closed = true;
		for (const watch of this.watches.values()) clearTimeout(watch.timer);
		this.watches.clear();
		const subscriber = this.subscriber;
		this.subscriber = undefined;
		if (subscriber) {
			const connection = await subscriber.catch(() => undefined);
			connection?.disconnect();
		}
	}

	private async tryAcquire(keys: LockKeys, token: string, ttlMs: number, leaseMs: number) {
		const [held, fence, ms] = await this.redis.widipLockAcquire(
			keys.holder,
			keys.queue,
			keys.waiters,
			keys.fence,
			offerKey(keys),
			token,
			ttlMs,
			leaseMs,
			keys.channel,
			PROCESS_ID,
		);
		return held === 1 ? { fence: Number(fence), ttlLeft: Number(ms), hintMs: 0 } : { fence: 0, ttlLeft: 0, hintMs: Number(ms) };
	}

	private async abandon(keys: LockKeys, token: string): Promise<void> {
		await this.redis.widipLockAbandon(keys.holder, keys.queue, keys.waiters, keys.fence, offerKey(keys), token, keys.channel, PROCESS_ID);
	}

	/**
	 * Pushes on a lock's channel: `<token> <fence> <claim window ms>` offers the lock to a waiter,
	 * `<token> <fence> claimed` says it took it. Our own waiter claims its offer at once. An offer to
	 * someone else is watched: if no claim is announced within its window, one of our waiters on
	 * that lock looks, which passes the lapsed offer on (and drops the dead process's waiters).
	 */
	private onMessage(channel: string, message: string): void {
		const [token, , kind] = message.split(' ');
		const watch = this.watches.get(channel);
		if (kind === 'claimed') {
			if (watch?.token === token) {
				clearTimeout(watch.timer);
				this.watches.delete(channel);
			}
			return;
		}
		const own = this.waiters.get(token);
		if (own) return own.poke();
		const windowMs = Number(kind);
		if (!(windowMs > 0) || !this.waitsOn(channel)) return;
		if (watch) clearTimeout(watch.timer);
		const timer = setTimeout(() => {
			this.watches.delete(channel);
			for (const waiter of this.waiters.values()) {
				if (waiter.channel === channel) return waiter.poke();
			}
		}, windowMs + 1);
		this.watches.set(channel, { token, timer });
	}

	private waitsOn(channel: string): boolean {
		for (const waiter of this.waiters.values()) if (waiter.channel === channel) return true;
		return false;
	}

	private toGrant(name: string, token: string, fence: number, ttlLeftMs: number, started: number): LockGrant {
		const now = Date.now();
		return { name, token, fence, expiresAt: now + ttlLeftMs, waitedMs: now - started };
	}

	private async subscribe(channel: string): Promise<void> {
		if (this.closed) throw new WidipError('unavailable', 'Lock manager is closed', { service: 'redis' });
		let pending = this.subscribed.get(channel);
		if (!pending) {
			pending = this.connection().then(async (subscriber) => {
				await subscriber.subscribe(channel);
			});
			pending.catch(() => this.subscribed.delete(channel));
			this.subscribed.set(channel, pending);
		}
		await pending;
	}

	private connection(): Promise<Redis> {
		if (!this.subscriber) {
			const opening = this.openSubscriber().then((subscriber) => {
				subscriber.on('message', (channel: string, message: string) => this.onMessage(channel, message));
				return subscriber;
			});
			opening.catch(() => {
				if (this.subscriber === opening) this.subscriber = undefined;
			});
			this.subscriber = opening;
		}
		return this.subscriber;
	}
}

const LOCK_NAME = /^[A-Za-z0-9_.:\-/]{1,200}$/;

function validateLockName(name: string): void {
	if (!LOCK_NAME.test(name)) {
		throw new WidipError('bad_request', `Invalid lock name "${String(name).slice(0, 50)}": use 1–200 letters, digits or _ . : - /`, {
			service: 'redis',
		});
	}
}

function positiveInteger(value: number, field: string): number {
	if (!Number.isFinite(value) || value < 1) {
		throw new WidipError('bad_request', `${field} must be a positive number of milliseconds`, { service: 'redis' });
	}
	return Math.floor(value);
}
