/**
 * Least-privilege Redis ACL users for WIDIP, in one place: docs/redis-acl.md shows exactly these
 * lines for the prefix `widip:` and a test runs every operation against a real redis-server with them.
 *
 * - `widip-agent`: the WIDIP Redis credential of the nodes agents use (Redis Helper, LLM Mutex). Keys
 *   `<prefix>cache:*` and `<prefix>lock:*` only, the lock's pub/sub channels, and only the commands
 *   those operations send (the LLM Mutex's Lua scripts included: Redis checks every command a script
 *   calls against the user running it).
 * - `widip-platform`: the runtime (`widip serve`) and the WIDIP Safeguard credential. Every key under
 *   the prefix, but only the commands WIDIP sends: no FLUSHALL, FLUSHDB, CONFIG, ACL, KEYS, DEBUG…
 *
 * Redis 7 or later. The prefix is checked by the config parser to hold no glob character, so it is
 * used as is in the key (`~`) and channel (`&`) patterns.
 */
import { CACHE_NAMESPACE } from './keys';

export const ACL_AGENT_USER = 'widip-agent';
export const ACL_PLATFORM_USER = 'widip-platform';

/**
 * What ioredis sends on connecting and closing (HELLO, CLIENT SETNAME, the INFO ready check, SELECT
 * for a database other than 0, QUIT) and the credential test's PING. ioredis also tries CLIENT
 * SETINFO on Redis 7.2+; it ignores the refusal, so it is not granted.
 */
const CONNECTION_COMMANDS = ['+hello', '+client|setname', '+info', '+select', '+ping', '+quit'];

/** Redis Helper (GET, SET [EX] [NX], DEL) and the LLM Mutex (its Lua scripts, the grant channel). */
const AGENT_COMMANDS = [
	...CONNECTION_COMMANDS,
	'+get',
	'+set',
	'+del',
	'+evalsha',
	'+eval',
	'+subscribe',
	'+publish',
	// called by the LLM Mutex's scripts
	'+lrange',
	'+rpush',
	'+lpop',
	'+lindex',
	'+lrem',
	'+hset',
	'+hget',
	'+hdel',
	'+incr',
	'+pexpire',
	'+pttl',
	'+time',
];

/**
 * Everything the runtime and Safeguard send (their Lua scripts included): cache and health flags,
 * locks, approvals (hashes, sorted-set indexes), the audit stream and its notice consumer groups,
 * GPU slots, circuit breakers and ticket claims. Read from the code and checked by recording what
 * their test suites send.
 */
const PLATFORM_COMMANDS = [
	...AGENT_COMMANDS,
	'+exists',
	'+ttl',
	'+pexpireat',
	'+hmget',
	'+hgetall',
	'+zadd',
	'+zrem',
	'+zcard',
	'+zscore',
	'+zrange',
	'+zrangebyscore',
	'+zrevrange',
	'+zrevrangebyscore',
	'+zremrangebyscore',
	// called by the incident engine's scripts (core/incident/scripts.ts)
	'+hincrby',
	'+hvals',
	'+hlen',
	// called by the circuit breaker's scripts (core/breaker/scripts.ts)
	'+zcount',
	'+zremrangebyrank',
	// called by the ticket claims' scripts (core/claim/scripts.ts)
	'+pexpiretime',
	'+xadd',
	'+xrange',
	'+xgroup|create',
	'+xreadgroup',
	'+xack',
	'+multi',
	'+exec',
];

export interface AclPasswords {
	agent: string;
	platform: string;
}

const PLACEHOLDERS: AclPasswords = { agent: '<agent-password>', platform: '<platform-password>' };

/** The rules of each user, without `ACL SETUSER <name>` / `user <name>` in front. */
export function aclUserRules(prefix: string, passwords: AclPasswords = PLACEHOLDERS): Record<string, string> {
	const agent = [
		'reset',
		'on',
		`>${passwords.agent}`,
		`~${prefix}${CACHE_NAMESPACE}*`,
		`~${prefix}lock:*`,
		'resetchannels',
		`&${prefix}lock:*`,
		'-@all',
		...AGENT_COMMANDS,
	];
	const platform = ['reset', 'on', `>${passwords.platform}`, `~${prefix}*`, 'resetchannels', `&${prefix}*`, '-@all', ...PLATFORM_COMMANDS];
	return { [ACL_AGENT_USER]: agent.join(' '), [ACL_PLATFORM_USER]: platform.join(' ') };
}

/** `ACL SETUSER` lines (redis-cli as an admin). Passwords default to placeholders to replace. */
export function aclRules(prefix: string, passwords: AclPasswords = PLACEHOLDERS): string[] {
	return Object.entries(aclUserRules(prefix, passwords)).map(([user, rules]) => `ACL SETUSER ${user} ${rules}`);
}

/** The same users as aclfile lines (`aclfile /etc/redis/users.acl` in redis.conf). */
export function aclFileLines(prefix: string, passwords: AclPasswords = PLACEHOLDERS): string[] {
	return Object.entries(aclUserRules(prefix, passwords)).map(([user, rules]) => `user ${user} ${rules}`);
}

