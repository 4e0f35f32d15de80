import type Redis from 'ioredis';

import type { RedisKeys } from '../redis/keys';

/** Alert intake and incident records in Redis. */
export class IncidentEngine {
	constructor(
		readonly redis: Redis,
		readonly keys: RedisKeys,
	) {}
}
