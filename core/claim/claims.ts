import type Redis from 'ioredis';

import type { RedisKeys } from '../redis/keys';

/** Ticket claims for Assist (filled in by the claim work). */
export class TicketClaims {
	constructor(
		readonly redis: Redis,
		readonly keys: RedisKeys,
	) {}
}
