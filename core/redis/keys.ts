import { BREAKER_KEY_TABLE } from '../breaker/keys';
import { CLAIM_KEY_TABLE } from '../claim/keys';
import { INCIDENT_KEY_TABLE } from '../incident/keys';

/**
 * Every Redis key we write, in one place. README's key table is generated from REDIS_KEY_TABLE
 * (`npm run docs`), and a test fails when the README drifts from it.
 *
 * Layout under the prefix: `cache:` holds the keys workflows and agents choose (Redis Helper);
 * everything else is the platform's (Safeguard, locks, GPU slots, health flags…), and no key name an
 * operation accepts can reach it.
 */

/** The sub-namespace of the free-form keys chosen by workflows and agents (Redis Helper). */
export const CACHE_NAMESPACE = 'cache:';

/**
 * Sub-prefixes the WIDIP platform owns, under the key prefix. Operations refuse key names that start
 * with one (any case), and a key prefix may not contain one as a segment, so a workflow's key can
 * never be read as, or nested into, a platform key. Add a namespace here before writing keys under it.
 */
export const RESERVED_NAMESPACES = ['safeguard:', 'lock:', 'gpu:', 'incident:', 'breaker:', 'health:', 'claim:'] as const;

/** The reserved namespace `name` starts with (case-insensitive), or undefined. */
export function reservedNamespaceOf(name: string): string | undefined {
	const lower = name.toLowerCase();
	return RESERVED_NAMESPACES.find((namespace) => lower.startsWith(namespace));
}

function serviceName(service: string): string {
	if (!/^[A-Za-z0-9_-]{1,64}$/.test(service)) throw new Error(`Service name "${service}" must be 1–64 letters, digits, _ or -`);
	return service;
}

export class RedisKeys {
	constructor(readonly prefix: string) {}

	/**
	 * A Redis Helper / cache key chosen by a workflow or an agent: always inside `<prefix>cache:`,
	 * whatever the name, so it can never address a platform key.
	 */
	cache(key: string): string {
		return `${this.prefix}${CACHE_NAMESPACE}${key}`;
	}

	/** The braces make every key of one lock share a Redis Cluster hash slot (Lua needs that). */
	lock(name: string): LockKeys {
		if (/[{}]/.test(name)) throw new Error(`Lock name "${name}" must not contain braces`);
		const base = `${this.prefix}lock:{${name}}`;
		return {
			holder: base,
			queue: `${base}:queue`,
			waiters: `${base}:waiters`,
			fence: `${base}:fence`,
			channel: `${base}:grant`,
		};
	}

	healthStatus(service: string): string {
		return `${this.prefix}health:${serviceName(service)}:status`;
	}

	downAlertSent(service: string): string {
		return `${this.prefix}health:${serviceName(service)}:down_alert_sent`;
	}
}

export interface LockKeys {
	holder: string;
	queue: string;
	waiters: string;
	fence: string;
	/** Pub/sub channel, not a key: the releaser names the next holder on it. */
	channel: string;
}

export interface RedisKeyDoc {
	key: string;
	type: string;
	ttl: string;
	writtenBy: string;
	meaning: string;
}

const CORE_KEY_TABLE: readonly RedisKeyDoc[] = [
	{
		key: '`<prefix>cache:<key>`',
		type: 'string',
		ttl: 'as set (none when TTL is 0)',
		writtenBy: 'Redis Helper Set / Set If Not Exists',
		meaning: `Free-form value chosen by a workflow or an agent; \`<key>\` may not start with a reserved namespace (${RESERVED_NAMESPACES.map((namespace) => `\`${namespace}\``).join(', ')})`,
	},
	{
		key: '`<prefix>lock:{<name>}`',
		type: 'string',
		ttl: 'claim window while offered, then lock TTL, refreshed while held',
		writtenBy: 'LLM Mutex Acquire, runtime',
		meaning: '`<owner token> <fencing number>` of the current holder',
	},
	{
		key: '`<prefix>lock:{<name>}:queue`',
		type: 'list',
		ttl: '2 × waiter lease (20 s default)',
		writtenBy: 'LLM Mutex Acquire (waiting)',
		meaning: 'Owner tokens waiting, first in line first',
	},
	{
		key: '`<prefix>lock:{<name>}:waiters`',
		type: 'hash',
		ttl: '2 × waiter lease (20 s default)',
		writtenBy: 'LLM Mutex Acquire (waiting)',
		meaning: 'token → `<lease deadline ms> <requested TTL ms> <process id> <last seen ms>`; a waiter whose lease ends is dropped',
	},
	{
		key: '`<prefix>lock:{<name>}:fence`',
		type: 'integer',
		ttl: 'none (must never go back)',
		writtenBy: 'every grant of the lock',
		meaning: 'Fencing counter: each holder gets a strictly larger number',
	},
	{
		key: '`<prefix>lock:{<name>}:grant`',
		type: 'pub/sub channel',
		ttl: '—',
		writtenBy: 'LLM Mutex Release, lock expiry hand-over',
		meaning: '`<token> <fence> <claim window ms>` offers the lock to that waiter; `<token> <fence> claimed` when it took it',
	},
	{
		key: '`<prefix>lock:{<name>}:offer`',
		type: 'string',
		ttl: 'claim window (min(TTL, 1 s)) + 10 s',
		writtenBy: 'LLM Mutex hand-over (Release, lock expiry, timed-out waiter)',
		meaning: '`<token> <process id> <offered at ms>` of a hand-over not yet claimed; deleted by the claim. Unclaimed past its window: that process counts as dead and its waiters not seen since leave the line',
	},
	{
		key: '`<prefix>safeguard:approval:<id>`',
		type: 'hash',
		ttl: 'request expiry (60 min default) + 7 days',
		writtenBy: 'Safeguard',
		meaning: 'Approval request: operation, redacted arguments, requester and the binding it may be used by, status, approver; the argument digest (HMAC under the request\'s own random salt) and a Gate\'s resume URL stay here, never shown',
	},
	{
		key: '`<prefix>safeguard:pending:<requester hash>`',
		type: 'sorted set',
		ttl: 'latest expiry of its members',
		writtenBy: 'Safeguard (approval request), decisions and expiries',
		meaning: 'One requester\'s pending request ids, score = expiry (ms): the per-requester quota (`WIDIP_SAFEGUARD_MAX_PENDING`)',
	},
	{
		key: '`<prefix>safeguard:approvals`',
		type: 'sorted set',
		ttl: 'none (ids whose request is gone are dropped when listed)',
		writtenBy: 'Safeguard (approval request), runtime approval API',
		meaning: 'Index of approval request ids, score = creation time (ms): the technicians\' list, newest first',
	},
	{
		key: '`<prefix>safeguard:audit`',
		type: 'stream',
		ttl: 'none (capped near 100,000 entries)',
		writtenBy: 'Safeguard',
		meaning: 'Append-only audit of decisions, requests, approvals, rejections, expiries, executions; consumer groups `notices:webhook` and `notices:mail` send technicians\' notices from it',
	},
	{
		key: '`<prefix>gpu:{<backend>}:slots`',
		type: 'sorted set',
		ttl: '2 × lease (renewed while held)',
		writtenBy: 'GPU proxy replicas (`WIDIP_GPU_SHARED_SLOTS=true`)',
		meaning: 'Leases on a backend\'s generation slots: member = lease id, score = expiry (ms); a crashed replica\'s lease expires',
	},
	{
		key: '`<prefix>gpu:{<backend>}:freed`',
		type: 'pub/sub channel',
		ttl: '—',
		writtenBy: 'GPU proxy replicas',
		meaning: 'A slot was released: waiting replicas try at once',
	},
	{
		key: '`<prefix>safeguard:waiting`',
		type: 'sorted set',
		ttl: 'none (members leave once resumed)',
		writtenBy: 'Safeguard Gate, runtime resumer',
		meaning: 'Approval ids whose n8n execution waits, score = expiry (ms): the resumer\'s work list',
	},
	{
		key: '`<prefix>safeguard:policy`',
		type: 'string (JSON)',
		ttl: 'none',
		writtenBy: 'runtime (`widip serve`), at start and every 30 s',
		meaning: 'The Safeguard policy every node applies, signed: `{"v": 1, "policy": {l1MinConfidence, levels, allowLower, approvalTtlMinutes, maxPendingPerRequester}, "issuedAt", "mac"}` (HMAC-SHA256 with `WIDIP_SAFEGUARD_SECRET`); missing, unsigned or corrupt = the catalogue\'s levels',
	},
	{
		key: '`<prefix>health:<service>:status`',
		type: 'string',
		ttl: 'healthTtlSeconds of the last breaker report (120 s default); 60 s from `Coordination.health`',
		writtenBy: 'circuit breaker: every report (Coordination Record, the runtime\'s GLPI client, core/breaker); `Coordination.health` (core/redis/health.ts)',
		meaning:
			'The health flag as a view of the circuit breaker: `ok` (closed) or `down` (open or half-open) at the last report (e.g. `widip:health:glpi:status`); absent = unknown, so a dead Health-Check never leaves a stale `ok`',
	},
	{
		key: '`<prefix>health:<service>:down_alert_sent`',
		type: 'string',
		ttl: 'alertIntervalSeconds (300 s default)',
		writtenBy: 'circuit breaker: the report that opens it, or the first failure report per interval while it stays down; `Coordination.health` (claimDownAlert)',
		meaning: 'Anti-spam flag, value = when the "service down" mail went out: its taker alone is told notifyDown; deleted when the breaker closes (or the flag is set `ok`), so the next outage alerts again',
	},
];

/** Every key, in README order: the core's, then each platform service's own rows (kept beside its code). */
export const REDIS_KEY_TABLE: readonly RedisKeyDoc[] = [...CORE_KEY_TABLE, ...INCIDENT_KEY_TABLE, ...BREAKER_KEY_TABLE, ...CLAIM_KEY_TABLE];
