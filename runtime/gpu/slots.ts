import { randomBytes } from 'node:crypto';

import type Redis from 'ioredis';

export interface SlotLease {
	release(): void | Promise<void>;
}

/** The generation slots of one backend (default 1: the GPU is serial). */
export interface SlotPool {
	readonly size: number;
	/** A slot, or null when all are taken. Local pools answer synchronously (no idle gap). */
	tryAcquire(): SlotLease | null | Promise<SlotLease | null>;
	/** Called when a slot may have become free (released here, by another replica, or expired). */
	onFreed(listener: () => void): void;
	close(): Promise<void>;
}

/** Slots counted in this process: one proxy replica in front of its backends. */
export class LocalSlots implements SlotPool {
	private used = 0;
	private readonly listeners: Array<() => void> = [];

	constructor(readonly size: number) {}

	tryAcquire(): SlotLease | null {
		if (this.used >= this.size) return null;
		this.used++;
		let released = false;
		return {
			release: () => {
				if (released) return;
				released = true;
				this.used--;
				for (const listener of this.listeners) listener();
			},
		};
	}

	onFreed(listener: () => void): void {
		this.listeners.push(listener);
	}

	async close(): Promise<void> {
		// nothing held outside this process
	}
}

/** KEYS: slots zset. ARGV: lease id, lease ms, size. 1 = taken; else the earliest expiry (ms). */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
  return {1, 0}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tonumber(first[2]) - now}
`;

/** KEYS: slots zset. ARGV: lease id, lease ms. 1 = still ours and extended; 0 = lost. */
const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) < now then return 0 end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
return 1
`;

type SlotCommands = Redis & {
	widipSlotAcquire(key: string, id: string, leaseMs: string, size: string): Promise<[number, number]>;
	widipSlotRenew(key: string, id: string, leaseMs: string): Promise<number>;
};

export interface RedisSlotsOptions {
	/** A crashed replica's slot frees itself after this long; live holders renew every third of it. */
	leaseMs?: number;
	onLeaseLost?: (backend: string) => void;
}

/**
 * Slots shared by every proxy replica in front of one backend: a Redis sorted set of leases
 * (member = lease id, score = expiry). Taking and renewing are Lua steps; a release publishes on a
 * channel so waiting replicas try at once; a crashed replica's lease simply expires.
 */
export class RedisSlots implements SlotPool {
	private readonly redis: SlotCommands;
	private readonly listeners: Array<() => void> = [];
	private retryTimer?: NodeJS.Timeout;
	private readonly leaseMs: number;
	private subscriber?: Redis;

	constructor(
		redis: Redis,
		private readonly prefix: string,
		private readonly backend: string,
		readonly size: number,
		private readonly options: RedisSlotsOptions = {},
	) {
		this.redis = redis as SlotCommands;
		this.leaseMs = options.leaseMs ?? 10_000;
		if (typeof this.redis.widipSlotAcquire !== 'function') {
			redis.defineCommand('widipSlotAcquire', { numberOfKeys: 1, lua: ACQUIRE });
			redis.defineCommand('widipSlotRenew', { numberOfKeys: 1, lua: RENEW });
		}
	}

	get key(): string {
		return `${this.prefix}gpu:{${this.backend}}:slots`;
	}

	get channel(): string {
		return `${this.prefix}gpu:{${this.backend}}:freed`;
	}

	/** Subscribes to releases by other replicas. */
	async start(): Promise<void> {
		this.subscriber = this.redis.duplicate();
		this.subscriber.on('error', () => undefined);
		this.subscriber.on('message', () => this.notify());
		await this.subscriber.subscribe(this.channel);
	}

	async tryAcquire(): Promise<SlotLease | null> {
		const id = randomBytes(12).toString('base64url');
		const [taken, retryInMs] = await this.redis.widipSlotAcquire(this.key, id, String(this.leaseMs), String(this.size));
		if (taken !== 1) {
			// Nobody may publish (a crashed holder): look again when the oldest lease runs out.
			this.scheduleRetry(Math.max(5, Number(retryInMs) + 5));
			return null;
		}
		const renew = setInterval(() => {
			this.redis.widipSlotRenew(this.key, id, String(this.leaseMs)).then(
				(kept) => {
					if (kept !== 1) {
						clearInterval(renew);
						this.options.onLeaseLost?.(this.backend);
					}
				},
				() => undefined,
			);
		}, Math.max(50, Math.floor(this.leaseMs / 3)));
		renew.unref?.();
		let released = false;
		return {
			release: async () => {
				if (released) return;
				released = true;
				clearInterval(renew);
				await this.redis.multi().zrem(this.key, id).publish(this.channel, id).exec().catch(() => undefined);
				this.notify();
			},
		};
	}

	onFreed(listener: () => void): void {
		this.listeners.push(listener);
	}

	async close(): Promise<void> {
		clearTimeout(this.retryTimer);
		this.subscriber?.disconnect();
	}

	private scheduleRetry(delayMs: number): void {
		if (this.retryTimer) return;
		this.retryTimer = setTimeout(() => {
			this.retryTimer = undefined;
			this.notify();
		}, delayMs);
		this.retryTimer.unref?.();
	}

	private notify(): void {
		for (const listener of this.listeners) listener();
	}
}
