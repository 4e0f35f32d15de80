import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ConfigError, describeConfig, loadConfig } from '../../runtime/config';

const TECH = 'tech-key-aaaaaaaaaaaaaaaaaaaaaaaa';
const AGENT = 'agent-key-bbbbbbbbbbbbbbbbbbbbbbbb';

const production = {
	WIDIP_ENV: 'production',
	WIDIP_TECHNICIAN_KEYS: `martin:${TECH}`,
	WIDIP_AGENT_KEYS: `assist:${AGENT}`,
	WIDIP_SAFEGUARD_SECRET: 'config-test-safeguard-key-0123456789abcdef',
};

function refusal(env: Record<string, string>): ConfigError {
	try {
		loadConfig(env);
	} catch (error) {
		expect(error).toBeInstanceOf(ConfigError);
		return error as ConfigError;
	}
	throw new Error('expected the config to be refused');
}

describe('runtime config', () => {
	it('applies the defaults (development)', () => {
		const config = loadConfig({});
		expect(config).toMatchObject({
			env: 'development',
			host: '127.0.0.1',
			port: 8080,
			safeguardEnabled: true,
			l1MinConfidence: 80,
			approvalTtlMinutes: 60,
			technicianKeys: [],
			agentKeys: [],
		});
		expect(config.redis).toMatchObject({ host: '127.0.0.1', port: 6379, keyPrefix: 'widip:', reconnect: true });
	});

	it('reads a valid production config, keys as name:key pairs, Redis from a URL', () => {
		const config = loadConfig({
			...production,
			WIDIP_PORT: '9090',
			WIDIP_HOST: '0.0.0.0',
			WIDIP_REDIS_URL: 'rediss://:s3cr%40t@redis.internal:6380/2',
			WIDIP_REDIS_PREFIX: 'prod:',
			WIDIP_TECHNICIAN_KEYS: `martin:${TECH}, durand:${TECH}x`,
			WIDIP_L1_MIN_CONFIDENCE: '85',
			WIDIP_APPROVAL_TTL_MINUTES: '30',
		});
		expect(config.technicianKeys).toEqual([
			{ name: 'martin', key: TECH },
			{ name: 'durand', key: `${TECH}x` },
		]);
		expect(config.agentKeys).toEqual([{ name: 'assist', key: AGENT }]);
		expect(config.redis).toMatchObject({ host: 'redis.internal', port: 6380, db: 2, tls: true, password: 's3cr@t', keyPrefix: 'prod:' });
		expect(config).toMatchObject({ port: 9090, host: '0.0.0.0', l1MinConfidence: 85, approvalTtlMinutes: 30 });
	});

	it('describeConfig never shows a key or a password', () => {
		const config = loadConfig({ ...production, WIDIP_REDIS_PASSWORD: 'redis-password-123' });
		const text = JSON.stringify(describeConfig(config));
		expect(text).toContain('martin');
		expect(text).not.toContain(TECH);
		expect(text).not.toContain(AGENT);
		expect(text).not.toContain('redis-password-123');
	});

	it('production refuses Safeguard off, naming the variable', () => {
		const error = refusal({ ...production, WIDIP_SAFEGUARD_ENABLED: 'false' });
		expect(error.message).toMatch(/WIDIP_SAFEGUARD_ENABLED: Safeguard cannot be turned off in production/);
	});

	it('development may turn Safeguard off', () => {
		expect(loadConfig({ WIDIP_SAFEGUARD_ENABLED: 'false' }).safeguardEnabled).toBe(false);
	});

	it('production refuses no technician key', () => {
		const error = refusal({ ...production, WIDIP_TECHNICIAN_KEYS: '' });
		expect(error.message).toMatch(/WIDIP_TECHNICIAN_KEYS: production needs at least one technician key/);
	});

	it('production refuses no agent key', () => {
		const error = refusal({ WIDIP_ENV: 'production', WIDIP_TECHNICIAN_KEYS: production.WIDIP_TECHNICIAN_KEYS });
		expect(error.message).toMatch(/WIDIP_AGENT_KEYS: production needs at least one agent key/);
	});

	it('production refuses a key shorter than 24 characters, without printing it', () => {
		const error = refusal({ ...production, WIDIP_AGENT_KEYS: 'assist:short-key-123' });
		expect(error.message).toMatch(/WIDIP_AGENT_KEYS: the key of "assist" is shorter than 24 characters/);
		expect(error.message).not.toContain('short-key-123');
	});

	it('refuses a key shared between a technician and an agent, without printing it', () => {
		const error = refusal({ ...production, WIDIP_AGENT_KEYS: `assist:${TECH}` });
		expect(error.message).toMatch(/WIDIP_TECHNICIAN_KEYS \/ WIDIP_AGENT_KEYS: the key of "assist" is also used in WIDIP_TECHNICIAN_KEYS/);
		expect(error.message).not.toContain(TECH);
		// Also outside production: a shared key would let an agent approve its own requests.
		expect(() => loadConfig({ WIDIP_TECHNICIAN_KEYS: 'a:x', WIDIP_AGENT_KEYS: 'b:x' })).toThrow(/must differ/);
	});

	it('refuses a malformed key entry and bad numbers, naming the variable', () => {
		expect(refusal({ WIDIP_TECHNICIAN_KEYS: 'no-colon-here' }).message).toMatch(/WIDIP_TECHNICIAN_KEYS: entry 1 is not of the form name:key/);
		expect(refusal({ WIDIP_PORT: 'eighty' }).message).toMatch(/WIDIP_PORT/);
		expect(refusal({ WIDIP_ENV: 'prod' }).message).toMatch(/WIDIP_ENV/);
		expect(refusal({ WIDIP_SAFEGUARD_ENABLED: 'maybe' }).message).toMatch(/WIDIP_SAFEGUARD_ENABLED: must be true or false/);
		expect(refusal({ WIDIP_REDIS_URL: 'http://x' }).message).toMatch(/WIDIP_REDIS_URL/);
	});

	it('lists every problem at once', () => {
		const error = refusal({ WIDIP_ENV: 'production', WIDIP_SAFEGUARD_ENABLED: '0' });
		expect(error.problems).toHaveLength(4);
	});

	it('production needs a Safeguard key of 32+ characters, distinct from every API key, and never prints it', () => {
		expect(refusal({ ...production, WIDIP_SAFEGUARD_SECRET: '' }).message).toMatch(/WIDIP_SAFEGUARD_SECRET: production needs the Safeguard key/);
		const short = refusal({ ...production, WIDIP_SAFEGUARD_SECRET: 'short-secret-123' });
		expect(short.message).toMatch(/WIDIP_SAFEGUARD_SECRET: must be at least 32 characters/);
		expect(short.message).not.toContain('short-secret-123');
		const shared = refusal({ ...production, WIDIP_SAFEGUARD_SECRET: `${AGENT}-and-more-characters`, WIDIP_AGENT_KEYS: `assist:${AGENT}-and-more-characters` });
		expect(shared.message).toMatch(/WIDIP_SAFEGUARD_SECRET: must differ from every technician and agent key/);
		expect(describeConfig(loadConfig(production)).safeguardSecret).toBe('set');
		expect(JSON.stringify(describeConfig(loadConfig(production)))).not.toContain(production.WIDIP_SAFEGUARD_SECRET);
	});

	it('production refuses a lowered level unless the operator allows that operation by name; L4 is never lowered', () => {
		const lowered = refusal({ ...production, WIDIP_SAFEGUARD_LEVELS: '{"ad.reset_password": 0, "glpi.get_ticket": 2}' });
		expect(lowered.problems).toEqual([
			'WIDIP_SAFEGUARD_LEVELS: lowers ad.reset_password from L3 to L0; production needs WIDIP_SAFEGUARD_ALLOW_LOWER=ad.reset_password to allow it',
		]);
		const allowed = loadConfig({ ...production, WIDIP_SAFEGUARD_LEVELS: '{"ad.reset_password": 2}', WIDIP_SAFEGUARD_ALLOW_LOWER: 'ad.reset_password' });
		expect(allowed).toMatchObject({ levels: { 'ad.reset_password': 2 }, allowLower: ['ad.reset_password'] });
		expect(refusal({ ...production, WIDIP_SAFEGUARD_LEVELS: '{"ad.delete_user": 3}', WIDIP_SAFEGUARD_ALLOW_LOWER: 'ad.delete_user' }).message).toMatch(
			/ad.delete_user is L4 \(forbidden to AI\): it can never be lowered/,
		);
		expect(refusal({ WIDIP_SAFEGUARD_LEVELS: '{"ad.create_user": 1}' }).message).toMatch(/ad.create_user is L4/);
		expect(refusal({ ...production, WIDIP_SAFEGUARD_ALLOW_LOWER: 'ad.reset_pasword' }).message).toMatch(/WIDIP_SAFEGUARD_ALLOW_LOWER: unknown operation "ad.reset_pasword"/);
		// Development allows a lowering (with a warning and an audit record at start, see the serve test).
		expect(loadConfig({ WIDIP_SAFEGUARD_LEVELS: '{"glpi.close_ticket": 2}' }).allowLower).toEqual(['glpi.close_ticket']);
	});

	it('reads a JSON file (WIDIP_CONFIG_FILE); the environment wins over it', () => {
		const dir = mkdtempSync(join(tmpdir(), 'widip-config-'));
		const file = join(dir, 'widip.json');
		writeFileSync(file, JSON.stringify({ ...production, WIDIP_PORT: 7000, WIDIP_SAFEGUARD_ENABLED: true, WIDIP_L1_MIN_CONFIDENCE: 90 }));
		const config = loadConfig({ WIDIP_CONFIG_FILE: file, WIDIP_L1_MIN_CONFIDENCE: '70' });
		expect(config).toMatchObject({ env: 'production', port: 7000, l1MinConfidence: 70 });
		writeFileSync(file, JSON.stringify({ ...production, WIDIP_SAFEGUARD_ENABLED: false }));
		expect(refusal({ WIDIP_CONFIG_FILE: file }).message).toMatch(/WIDIP_SAFEGUARD_ENABLED/);
		expect(refusal({ WIDIP_CONFIG_FILE: join(dir, 'missing.json') }).message).toMatch(/WIDIP_CONFIG_FILE: cannot read/);
		writeFileSync(file, '[1,2]');
		expect(refusal({ WIDIP_CONFIG_FILE: file }).message).toMatch(/WIDIP_CONFIG_FILE: .* is not a JSON object/);
	});
});
