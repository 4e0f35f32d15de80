import type { RedisKeyDoc } from '../redis/keys';

/** README's key table rows for the incident engine. */
export const INCIDENT_KEY_TABLE: readonly RedisKeyDoc[] = [];
