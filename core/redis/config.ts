import Redis, { type RedisOptions } from 'ioredis';
import { z } from 'zod/v4';

import { WidipError } from '../errors';
import { CACHE_NAMESPACE, RESERVED_NAMESPACES } from './keys';

const PREFIX_EXAMPLE = 'e.g. "widip:" or "widip:site-a:"';

/** Segments a key prefix may not contain: one deployment's keys must never sit inside another's namespaces. */
const NAMESPACE_SEGMENTS = [CACHE_NAMESPACE, ...RESERVED_NAMESPACES].map((namespace) => namespace.slice(0, -1));

/**
 * What is wrong with a key prefix, or undefined. It must be non-empty: one or more segments of
 * letters, digits, `_`, `.`, `-`, each ending with ":", at most 64 characters. No glob character, so
 * it can be used as is in Redis ACL key patterns (`~widip:cache:*`); no segment named like a
 * namespace (`cache`, `safeguard`, `lock`…), so no prefix nests one deployment inside another's
 * cache or platform keys.
 */
export function keyPrefixProblem(prefix: string): string | undefined {
	if (prefix === '') return `must not be empty: every WIDIP key is written under it (${PREFIX_EXAMPLE})`;
	if (prefix.length > 64) return 'must be at most 64 characters';
	if (!/^(?:[A-Za-z0-9_.-]+:)+$/.test(prefix)) {
		return `must be letters, digits, "_", "." or "-" in segments each ending with ":" (${PREFIX_EXAMPLE})`;
	}
	const segment = prefix
		.toLowerCase()
		.split(':')
		.find((part) => NAMESPACE_SEGMENTS.includes(part));
	if (segment !== undefined) return `must not contain the segment "${segment}:", a namespace inside every prefix (${PREFIX_EXAMPLE})`;
	return undefined;
}

export const keyPrefixSchema = z.string().check((ctx) => {
	const problem = keyPrefixProblem(ctx.value);
	if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
});

/** One plain config object: n8n credentials and the runtime environment both produce it. */
export const redisConfigSchema = z.object({
	host: z.string().min(1).default('127.0.0.1'),
	port: z.coerce.number().int().min(1).max(65535).default(6379),
	username: z.string().optional(),
	password: z.string().optional(),
	db: z.coerce.number().int().min(0).max(15).default(0),
	tls: z.boolean().default(false),
	/** Every key we write starts with this, so several tenants or test runs can share one Redis. */
	keyPrefix: keyPrefixSchema.default('widip:'),
	/** Connection and per-command timeout. An unreachable Redis fails within this, never hangs. */
	timeoutMs: z.coerce.number().int().min(100).max(120_000).default(5000),
	/** Long-lived processes reconnect after a Redis restart; one-shot callers fail fast instead. */
	reconnect: z.boolean().default(false),
});

export type RedisConfig = z.output<typeof redisConfigSchema>;
export type RedisConfigInput = z.input<typeof redisConfigSchema>;

/** Throws zod's error (the runtime lists its issues); `Coordination.connect` turns it into a readable one. */
export function parseRedisConfig(input: RedisConfigInput): RedisConfig {
	return redisConfigSchema.parse(input);
}

/** Like parseRedisConfig, but a bad setting is a `bad_request` WidipError naming each field, e.g. `keyPrefix must not be empty…`. */
export function parseRedisConfigOrThrow(input: RedisConfigInput): RedisConfig {
	const result = redisConfigSchema.safeParse(input);
	if (result.success) return result.data;
	const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(settings)'} ${issue.message}`);
	throw new WidipError('bad_request', `Invalid Redis settings: ${problems.join('; ')}`, { service: 'redis', operation: 'connect' });
}

function describeTarget(config: RedisConfig): string {
	return `Redis at ${config.host}:${config.port}`;
}

/** Maps what ioredis throws into our hierarchy with a message a technician can act on. */
export function mapRedisError(error: unknown, config: RedisConfig, operation?: string): WidipError {
	if (error instanceof WidipError) return error;
	const err = error as NodeJS.ErrnoException & { message?: string };
	const message = String(err?.message ?? error);
	const target = describeTarget(config);
	const base = { service: 'redis', operation, cause: undefined };
	if (/WRONGPASS|NOAUTH|invalid password|without any password configured|NOPERM/i.test(message)) {
		const reason = /NOPERM/i.test(message) ? 'lacks permission for this command' : 'rejected the username or password';
		return new WidipError('auth', `${target} ${reason}`, base);
	}
	if (err?.code === 'ECONNREFUSED') return new WidipError('unavailable', `${target} refused the connection (is it running?)`, base);
	if (err?.code === 'ENOTFOUND' || err?.code === 'EAI_AGAIN') {
		return new WidipError('unavailable', `${target}: host name not found`, base);
	}
	if (/timed? ?out|ETIMEDOUT/i.test(message)) {
		return new WidipError('timeout', `${target} did not answer within ${config.timeoutMs} ms`, base);
	}
	if (/Connection is closed|ECONNRESET|EPIPE|max retries|Stream isn't writeable|enableOfflineQueue/i.test(message)) {
		return new WidipError('unavailable', `${target} is unreachable (${firstLine(message)})`, base);
	}
	if (/SSL|TLS|certificate|EPROTO/i.test(message)) {
		return new WidipError('unavailable', `${target}: TLS handshake failed (${firstLine(message)})`, base);
	}
	return new WidipError('bad_request', `${target}: ${firstLine(message)}`, base);
}

function firstLine(text: string): string {
	return text.split('\n')[0].slice(0, 200);
}

function ioredisOptions(config: RedisConfig): RedisOptions {
	return {
		host: config.host,
		port: config.port,
		username: config.username || undefined,
		password: config.password || undefined,
		db: config.db,
		tls: config.tls ? {} : undefined,
		lazyConnect: true,
		connectTimeout: config.timeoutMs,
		commandTimeout: config.timeoutMs,
		maxRetriesPerRequest: config.reconnect ? 2 : 0,
		enableOfflineQueue: config.reconnect,
		retryStrategy: config.reconnect ? (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000) : () => null,
	};
}

/**
 * Opens a connection and waits until Redis answers, or fails within `timeoutMs` with a mapped
 * error. ioredis's own 'error' events are captured so they never reach stderr as "Unhandled".
 */
export async function connectRedis(config: RedisConfig, role = 'client'): Promise<Redis> {
	const client = new Redis({ ...ioredisOptions(config), connectionName: `widip-${role}` });
	let lastError: unknown;
	client.on('error', (error) => {
		lastError = error;
	});
	let timer: NodeJS.Timeout | undefined;
	try {
		await Promise.race([
			client.connect(),
			new Promise((_, reject) => {
				timer = setTimeout(() => reject(new Error('connect timed out')), config.timeoutMs);
			}),
		]);
		return client;
	} catch (error) {
		client.disconnect();
		throw mapRedisError(lastError && !/timed out/.test(String(error)) ? lastError : error, config, 'connect');
	} finally {
		clearTimeout(timer);
	}
}

/** A second connection for blocking or subscribing, with the same settings. */
export async function duplicateRedis(client: Redis, config: RedisConfig, role: string): Promise<Redis> {
	const copy = client.duplicate({ connectionName: `widip-${role}` });
	copy.on('error', () => undefined);
	try {
		await copy.connect();
		return copy;
	} catch (error) {
		copy.disconnect();
		throw mapRedisError(error, config, 'connect');
	}
}
