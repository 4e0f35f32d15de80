import type { RedisKeyDoc } from '../redis/keys';

/** README's key table rows for the breakers' keys. */
export const BREAKER_KEY_TABLE: readonly RedisKeyDoc[] = [];
