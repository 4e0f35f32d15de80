import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { z } from 'zod/v4';

import { catalogue } from '../../core/catalogue';
import { ValidationError, WidipError } from '../../core/errors';
import { parseRedisConfig, parseRedisConfigOrThrow, redisConfigSchema } from '../../core/redis/config';
import { Coordination } from '../../core/redis/coordination';
import { RESERVED_NAMESPACES, RedisKeys } from '../../core/redis/keys';
import { redisConfigFromCredentials } from '../../nodes/shared/redis-connection';
import { loadConfig } from '../../runtime/config';
import { connectTest, dropPrefix, REDIS_HOST, REDIS_PORT } from '../support/redis';

const CACHE_OPERATIONS = [
	['redis.get', {}],
	['redis.set', { value: 'forged', ttlSeconds: 0 }],
	['redis.delete', {}],
	['redis.set_if_not_exists', { value: 'forged', ttlSeconds: 0 }],
] as const;

const reservedMessage = (key: string) =>
	`key: "${key}" is reserved for the WIDIP platform (safeguard:, lock:, gpu:, incident:, breaker:, health:, claim:); choose another name`;

describe('Redis Helper keys live in <prefix>cache: and platform namespaces are refused (real Redis)', () => {
	let coordination: Coordination;
	let prefix: string;
	const platformKeys = ['safeguard:policy', 'safeguard:audit', 'safeguard:approvals', 'lock:{gpu}', 'health:glpi:status'];

	beforeAll(async () => {
		coordination = await connectTest('namespaces');
		prefix = coordination.config.keyPrefix;
		for (const key of platformKeys) await coordination.redis.set(`${prefix}${key}`, 'platform value');
	});
	afterAll(async () => {
		await dropPrefix(coordination);
		await coordination.close();
	});

	it('lists the reserved namespaces once, each ending with ":"', () => {
		expect(RESERVED_NAMESPACES).toEqual(['safeguard:', 'lock:', 'gpu:', 'incident:', 'breaker:', 'health:', 'claim:']);
	});

	const cases = RESERVED_NAMESPACES.flatMap((namespace) =>
		CACHE_OPERATIONS.map(([id, extra]) => [id, `${namespace}policy`, extra] as const),
	);
	it.each(cases)('%s refuses the key "%s" as a bad argument naming the field', async (id, key, extra) => {
		expect(() => catalogue.parseInput(id, { key, ...extra })).toThrow(ValidationError);
		const error = (await catalogue.run(id, { key, ...extra }, { redis: coordination }).catch((e: unknown) => e)) as ValidationError;
		expect(error).toBeInstanceOf(ValidationError);
		expect(error.kind).toBe('bad_request');
		expect(error.issues).toEqual([reservedMessage(key)]);
		expect(error.message).toBe(`Invalid input for ${id}: ${reservedMessage(key)}`);
	});

	it('refuses a reserved namespace whatever its case, and the bare namespace itself', () => {
		for (const key of ['SafeGuard:policy', 'LOCK:{gpu}', 'lock:', 'Health:glpi:status']) {
			expect(() => catalogue.parseInput('redis.set', { key, value: 'x' })).toThrow(reservedMessage(key));
		}
	});

	it('left the platform keys untouched', async () => {
		for (const key of platformKeys) expect(await coordination.redis.get(`${prefix}${key}`)).toBe('platform value');
		expect(await coordination.redis.keys(`${prefix}cache:*`)).toEqual([]);
	});

	it('an ordinary key works through the catalogue and lands at <prefix>cache:<key>', async () => {
		const clients = { redis: coordination };
		expect(await catalogue.run('redis.set', { key: 'site:EHPAD-Bellevue', value: '{"a":1}', ttlSeconds: 60 }, clients)).toEqual({
			success: true,
			message: 'Key "site:EHPAD-Bellevue" set (expires in 60 s)',
		});
		expect(await coordination.redis.get(`${prefix}cache:site:EHPAD-Bellevue`)).toBe('{"a":1}');
		expect(await coordination.redis.exists(`${prefix}site:EHPAD-Bellevue`)).toBe(0);
		expect(await catalogue.run('redis.get', { key: 'site:EHPAD-Bellevue', parseJson: true }, clients)).toEqual({
			success: true,
			value: { a: 1 },
			exists: true,
		});
		expect(await catalogue.run('redis.set_if_not_exists', { key: 'claim-once', value: 'me' }, clients)).toMatchObject({ success: true });
		expect(await coordination.redis.get(`${prefix}cache:claim-once`)).toBe('me');
		expect(await catalogue.run('redis.delete', { key: 'claim-once' }, clients)).toMatchObject({ deleted: true });
		// a platform name further inside the key is an ordinary cache key
		await catalogue.run('redis.set', { key: 'x:safeguard:policy', value: 'mine' }, clients);
		expect(await coordination.redis.get(`${prefix}cache:x:safeguard:policy`)).toBe('mine');
		expect(await coordination.redis.get(`${prefix}safeguard:policy`)).toBe('platform value');
	});

	it('no accepted key name can address a key outside <prefix>cache:', () => {
		const keys = new RedisKeys('widip:');
		const key = catalogue.get('redis.set').input.shape.key as z.ZodType;
		for (const name of ['a', '../safeguard:policy', '\nsafeguard:policy', ' lock:{gpu}', '*', '{gpu}', 'cache:x', 'widip:safeguard:policy']) {
			if (key.safeParse(name).success) expect(keys.cache(name).startsWith('widip:cache:')).toBe(true);
		}
	});

	it('health flags are platform keys under <prefix>health:, outside the cache', () => {
		const keys = new RedisKeys('widip:');
		expect(keys.healthStatus('glpi')).toBe('widip:health:glpi:status');
		expect(keys.downAlertSent('glpi')).toBe('widip:health:glpi:down_alert_sent');
		expect(() => keys.healthStatus('glpi:status')).toThrow(/Service name/);
	});

	it('a lock name stays inside <prefix>lock:{<name>}: braces and other characters are refused', () => {
		for (const lockName of ['gpu}', '{gpu', 'a}:x{b', 'gpu name', 'gpu*', '', 'é']) {
			expect(() => catalogue.parseInput('redis.mutex_acquire', { lockName })).toThrow(/lockName: /);
			expect(() => catalogue.parseInput('redis.mutex_release', { lockName, token: 'a'.repeat(32) })).toThrow(/lockName: /);
		}
		expect(() => new RedisKeys('widip:').lock('a}b')).toThrow(/braces/);
		const keys = new RedisKeys('widip:').lock('../safeguard:policy');
		for (const key of Object.values(keys)) expect(key.startsWith('widip:lock:{../safeguard:policy}')).toBe(true);
	});
});

describe('the key prefix is required and well-formed', () => {
	it("refuses '' in config parsing, with a clear message", () => {
		const parsed = redisConfigSchema.safeParse({ keyPrefix: '' });
		expect(() => parseRedisConfig({ keyPrefix: '' })).toThrow(z.ZodError);
		expect(parsed.error!.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
			['keyPrefix', 'must not be empty: every WIDIP key is written under it (e.g. "widip:" or "widip:site-a:")'],
		]);
		expect(() => parseRedisConfigOrThrow({ keyPrefix: '' })).toThrow(
			new WidipError(
				'bad_request',
				'Invalid Redis settings: keyPrefix must not be empty: every WIDIP key is written under it (e.g. "widip:" or "widip:site-a:")',
				{ service: 'redis' },
			),
		);
	});

	it("the credential's '' prefix fails Coordination.connect before connecting", async () => {
		const input = redisConfigFromCredentials({ host: REDIS_HOST, port: REDIS_PORT, keyPrefix: '' });
		await expect(Coordination.connect(input)).rejects.toMatchObject({
			kind: 'bad_request',
			message: expect.stringMatching(/^Invalid Redis settings: keyPrefix must not be empty/),
		});
		expect(redisConfigFromCredentials({ host: REDIS_HOST }).keyPrefix).toBe('widip:');
	});

	it("the runtime goes through the same rule: '' in its config file, a malformed WIDIP_REDIS_PREFIX", () => {
		const dir = mkdtempSync(path.join(os.tmpdir(), 'widip-prefix-'));
		try {
			const file = path.join(dir, 'config.json');
			writeFileSync(file, JSON.stringify({ WIDIP_REDIS_PREFIX: '' }));
			expect(() => loadConfig({ WIDIP_CONFIG_FILE: file })).toThrow(/keyPrefix must not be empty/);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
		expect(() => loadConfig({ WIDIP_REDIS_PREFIX: 'widip' })).toThrow(/keyPrefix must be letters, digits/);
		// an empty environment variable counts as unset there (the runtime's rule for every WIDIP_*)
		expect(loadConfig({ WIDIP_REDIS_PREFIX: '' }).redis.keyPrefix).toBe('widip:');
	});

	it.each(['widip', 'widip:cache', ':', 'wi dip:', 'widip::', 'wid*p:', 'wid[i]p:', 'widip\\:', 'widip:cache:', 'widip:safeguard:', 'LOCK:', `${'a'.repeat(64)}:`])(
		'refuses the prefix %j',
		(keyPrefix) => {
			expect(() => parseRedisConfigOrThrow({ keyPrefix })).toThrow(/^Invalid Redis settings: keyPrefix must/);
		},
	);

	it.each(['widip:', 'widip:site-a:', 'widip-sandbox:123:', 'prod.v2_x:', 'widiptest:cache-1a2b3c4d:'])('accepts the prefix %j', (keyPrefix) => {
		expect(parseRedisConfigOrThrow({ keyPrefix }).keyPrefix).toBe(keyPrefix);
	});

	it('defaults to widip:', () => {
		expect(parseRedisConfig({}).keyPrefix).toBe('widip:');
	});
});
