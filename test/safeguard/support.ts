import type Redis from 'ioredis';

import type { Approvals } from '../../core/safeguard/approvals';

/**
 * Moves a request's expiry into the past, as if its lifetime (at least one minute on every face)
 * had gone by: the Lua steps read expiry from Redis, so this is what time passing looks like to them.
 */
export async function expireNow(redis: Redis, approvals: Approvals, id: string): Promise<void> {
	await redis.hset(approvals.key(id), 'expiresAtMs', String(Date.now() - 1));
}
