import type Redis from 'ioredis';

import type { RedisKeys } from './keys';

/** Key/value cache with TTL: the seed's Redis Helper, under our prefix. */
export class Cache {
	constructor(
		private readonly redis: Redis,
		private readonly keys: RedisKeys,
	) {}

	async get(key: string): Promise<string | null> {
		return await this.redis.get(this.keys.cache(key));
	}

	/** `ttlSeconds` of 0 or undefined keeps the value until deleted. */
	async set(key: string, value: string, ttlSeconds?: number): Promise<void> {
		const fullKey = this.keys.cache(key);
		if (ttlSeconds && ttlSeconds > 0) await this.redis.set(fullKey, value, 'EX', ttlSeconds);
		else await this.redis.set(fullKey, value);
	}

	/** Returns whether a key was there to delete. */
	async delete(key: string): Promise<boolean> {
		return (await this.redis.del(this.keys.cache(key))) > 0;
	}

	/** Atomic: returns true only for the one caller that created the key. */
	async setIfAbsent(key: string, value: string, ttlSeconds?: number): Promise<boolean> {
		const fullKey = this.keys.cache(key);
		const result =
			ttlSeconds && ttlSeconds > 0
				? await this.redis.set(fullKey, value, 'EX', ttlSeconds, 'NX')
				: await this.redis.set(fullKey, value, 'NX');
		return result === 'OK';
	}

	/** Remaining TTL in seconds; -1 without expiry, -2 when absent. */
	async ttl(key: string): Promise<number> {
		return await this.redis.ttl(this.keys.cache(key));
	}
}
