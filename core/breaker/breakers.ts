import type Redis from 'ioredis';

import type { RedisKeys } from '../redis/keys';

/** Shared circuit breakers, one per service, in Redis (filled in by the breaker work). */
export class Breakers {
	constructor(
		readonly redis: Redis,
		readonly keys: RedisKeys,
	) {}
}
