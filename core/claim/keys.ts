import type { RedisKeyDoc } from '../redis/keys';

/** README's key table rows for ticket claims. */
export const CLAIM_KEY_TABLE: readonly RedisKeyDoc[] = [];
