import type Redis from 'ioredis';

import { Breakers } from '../breaker/breakers';
import { TicketClaims } from '../claim/claims';
import { IncidentEngine } from '../incident/engine';
import { Cache } from './cache';
import { connectRedis, duplicateRedis, mapRedisError, parseRedisConfigOrThrow, type RedisConfig, type RedisConfigInput } from './config';
import { HealthFlags } from './health';
import { RedisKeys } from './keys';
import { Locks } from './lock';

/**
 * Everything WIDIP keeps in Redis, behind one connection: cache, locks, health flags, incidents,
 * circuit breakers, ticket claims.
 * Built from a plain config so n8n credentials and the runtime share this code.
 */
export class Coordination {
	readonly keys: RedisKeys;
	readonly cache: Cache;
	readonly locks: Locks;
	readonly health: HealthFlags;
	readonly incidents: IncidentEngine;
	readonly breakers: Breakers;
	readonly claims: TicketClaims;

	private constructor(
		readonly redis: Redis,
		readonly config: RedisConfig,
	) {
		this.keys = new RedisKeys(config.keyPrefix);
		this.cache = new Cache(redis, this.keys);
		this.health = new HealthFlags(redis, this.keys);
		this.incidents = new IncidentEngine(redis, this.keys);
		this.breakers = new Breakers(redis, this.keys);
		this.claims = new TicketClaims(redis, this.keys);
		this.locks = new Locks(redis, this.keys, () => duplicateRedis(redis, config, 'lock-subscriber'));
	}

	/** A bad setting (e.g. an empty key prefix) fails before connecting, with a message naming it. */
	static async connect(input: RedisConfigInput): Promise<Coordination> {
		const config = parseRedisConfigOrThrow(input);
		const redis = await connectRedis(config);
		return new Coordination(redis, config);
	}

	/** Round-trip check used by credential tests and health endpoints. */
	async ping(): Promise<void> {
		try {
			await this.redis.ping();
		} catch (error) {
			throw mapRedisError(error, this.config, 'ping');
		}
	}

	/** Runs `work`, turning any Redis failure into a clear, typed error. */
	async guard<T>(operation: string, work: () => Promise<T>): Promise<T> {
		try {
			return await work();
		} catch (error) {
			throw mapRedisError(error, this.config, operation);
		}
	}

	async close(): Promise<void> {
		await this.locks.close();
		try {
			await this.redis.quit();
		} catch {
			this.redis.disconnect();
		}
	}
}
