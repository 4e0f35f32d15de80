import { z } from 'zod/v4';

import { defineOperation } from '../catalogue/operation';
import { RESERVED_NAMESPACES, reservedNamespaceOf } from './keys';

/** Shown to a user or an agent, so a long key is shortened. */
function quoted(name: string): string {
	return JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
}

/**
 * The cache key: stored as `<prefix>cache:<key>`, so it can never address a platform key. Names that
 * start with a platform namespace are refused as well, so nobody believes they read or wrote one.
 */
const key = z
	.string()
	.min(1)
	.max(512)
	.refine((name) => reservedNamespaceOf(name) === undefined, {
		error: (issue) =>
			`${quoted(String(issue.input))} is reserved for the WIDIP platform (${RESERVED_NAMESPACES.join(', ')}); choose another name`,
	})
	.describe('Key name in the shared cache, without any prefix (stored as <prefix>cache:<key>). Example: site:EHPAD-Bellevue')
	.meta({ title: 'Key', placeholder: 'site:EHPAD-Bellevue' });

const ttlSeconds = z
	.number()
	.int()
	.min(0)
	.max(31_536_000)
	.default(0)
	.describe('Seconds before Redis deletes the key; 0 keeps it until deleted')
	.meta({ title: 'TTL (Seconds)' });

/** No braces or other characters: the name always stays inside `<prefix>lock:{<name>}` and its hash slot. */
const lockName = z
	.string()
	.regex(/^[A-Za-z0-9_.:\-/]{1,200}$/, 'use 1–200 letters, digits or _ . : - /')
	.default('gpu')
	.describe('Name of the lock: everyone using the same name is serialised. Example: gpu')
	.meta({ title: 'Lock Name' });

const messageOutput = z.object({ success: z.boolean(), message: z.string() });

export const redisGet = defineOperation({
	id: 'redis.get',
	service: 'redis',
	displayName: 'Get',
	summary: 'Read a value from the shared cache.',
	description:
		'Read a value from the shared Redis cache. Returns {success: true, value} where value is null when the key does not exist (or expired).',
	level: 0,
	input: z.strictObject({
		key,
		parseJson: z
			.boolean()
			.default(false)
			.describe('Parse the stored text as JSON and return the object')
			.meta({ title: 'Parse JSON' }),
	}),
	output: z.object({ success: z.boolean(), value: z.unknown(), exists: z.boolean() }),
	handler: async ({ key, parseJson }, redis) => {
		const raw = await redis.guard('redis.get', () => redis.cache.get(key));
		if (raw === null) return { success: true, value: null, exists: false };
		if (!parseJson) return { success: true, value: raw, exists: true };
		try {
			return { success: true, value: JSON.parse(raw) as unknown, exists: true };
		} catch {
			return { success: true, value: raw, exists: true };
		}
	},
});

export const redisSet = defineOperation({
	id: 'redis.set',
	service: 'redis',
	displayName: 'Set',
	summary: 'Store a value in the shared cache, optionally for a limited time.',
	description:
		'Store a text value in the shared Redis cache, optionally expiring after TTL seconds. Overwrites any previous value. Returns {success, message}.',
	level: 1,
	idempotent: true,
	input: z.strictObject({
		key,
		value: z.string().max(1_000_000).describe('Text to store (JSON.stringify objects first)').meta({ title: 'Value', rows: 3 }),
		ttlSeconds,
	}),
	output: messageOutput,
	handler: async ({ key, value, ttlSeconds }, redis) => {
		await redis.guard('redis.set', () => redis.cache.set(key, value, ttlSeconds));
		const expiry = ttlSeconds > 0 ? `expires in ${ttlSeconds} s` : 'no expiry';
		return { success: true, message: `Key "${key}" set (${expiry})` };
	},
});

export const redisDelete = defineOperation({
	id: 'redis.delete',
	service: 'redis',
	displayName: 'Delete',
	summary: 'Delete a key from the shared cache.',
	description: 'Delete a key from the shared Redis cache. Returns {success, message, deleted}; deleting a missing key is not an error.',
	level: 1,
	idempotent: true,
	input: z.strictObject({ key }),
	output: messageOutput.extend({ deleted: z.boolean() }),
	handler: async ({ key }, redis) => {
		const deleted = await redis.guard('redis.delete', () => redis.cache.delete(key));
		return { success: true, deleted, message: deleted ? `Key "${key}" deleted` : `Key "${key}" did not exist` };
	},
});

export const redisSetIfNotExists = defineOperation({
	id: 'redis.set_if_not_exists',
	service: 'redis',
	displayName: 'Set If Not Exists',
	summary: 'Store a value only if the key is not there yet, e.g. to do something once.',
	description:
		'Store a value only if the key does not exist yet (atomic SET NX), e.g. to claim a one-time action. Returns {success: true} only for the caller that created the key; {success: false} when it already existed.',
	level: 1,
	input: z.strictObject({
		key,
		value: z.string().max(1_000_000).describe('Text to store').meta({ title: 'Value', rows: 3 }),
		ttlSeconds,
	}),
	output: messageOutput,
	handler: async ({ key, value, ttlSeconds }, redis) => {
		const created = await redis.guard('redis.set_if_not_exists', () => redis.cache.setIfAbsent(key, value, ttlSeconds));
		return {
			success: created,
			message: created ? `Key "${key}" created` : `Key "${key}" already exists; value unchanged`,
		};
	},
});

export const mutexAcquire = defineOperation({
	id: 'redis.mutex_acquire',
	service: 'redis',
	displayName: 'Acquire Lock',
	summary: 'Wait your turn for an exclusive lock, e.g. the GPU.',
	description:
		'Wait in line (first come, first served) for an exclusive lock, e.g. the GPU. Returns {acquired: true, token, fencingToken} once held, or {acquired: false} if the wait timeout passed. Always Release with the token when done, also on errors; the lock frees itself after its TTL otherwise.',
	level: 1,
	input: z.strictObject({
		lockName,
		ttlSeconds: z
			.number()
			.min(1)
			.max(86_400)
			.default(120)
			.describe('Seconds after which the lock frees itself if never released (a crashed holder)')
			.meta({ title: 'TTL (Seconds)' }),
		waitTimeoutSeconds: z
			.number()
			.min(0)
			.max(3600)
			.default(60)
			.describe('Seconds to wait in line before giving up; 0 tries once')
			.meta({ title: 'Wait Timeout (Seconds)' }),
	}),
	output: z.object({
		acquired: z.boolean(),
		lockName: z.string(),
		token: z.string().optional(),
		fencingToken: z.number().int().optional(),
		expiresAt: z.string().optional(),
		waitedMs: z.number(),
		message: z.string(),
	}),
	handler: async ({ lockName, ttlSeconds, waitTimeoutSeconds }, redis) => {
		const started = Date.now();
		const grant = await redis.guard('redis.mutex_acquire', () =>
			redis.locks.acquire(lockName, { ttlMs: ttlSeconds * 1000, waitTimeoutMs: waitTimeoutSeconds * 1000 }),
		);
		if (!grant) {
			return {
				acquired: false,
				lockName,
				waitedMs: Date.now() - started,
				message: `Lock "${lockName}" still busy after ${waitTimeoutSeconds} s`,
			};
		}
		return {
			acquired: true,
			lockName,
			token: grant.token,
			fencingToken: grant.fence,
			expiresAt: new Date(grant.expiresAt).toISOString(),
			waitedMs: grant.waitedMs,
			message: `Lock "${lockName}" acquired`,
		};
	},
});

export const mutexRelease = defineOperation({
	id: 'redis.mutex_release',
	service: 'redis',
	displayName: 'Release Lock',
	summary: 'Give a lock back so the next in line gets it at once.',
	description:
		'Release a lock taken with Acquire, using its token; the next in line gets it at once. Releasing with a token that does not hold the lock (expired, already released) changes nothing and returns {released: false}.',
	level: 1,
	input: z.strictObject({
		lockName,
		token: z
			.string()
			.regex(/^[0-9a-f]{32}$/, 'expected the 32-character token returned by Acquire')
			.describe('The token returned by Acquire')
			.meta({ title: 'Token', n8nDefault: '={{ $json.token }}' }),
	}),
	output: z.object({ released: z.boolean(), lockName: z.string(), message: z.string() }),
	handler: async ({ lockName, token }, redis) => {
		const released = await redis.guard('redis.mutex_release', () => redis.locks.release(lockName, token));
		return {
			released,
			lockName,
			message: released
				? `Lock "${lockName}" released`
				: `Lock "${lockName}" is not held by this token (expired or already released); nothing changed`,
		};
	},
});

export const redisOperations = [redisGet, redisSet, redisDelete, redisSetIfNotExists, mutexAcquire, mutexRelease];
