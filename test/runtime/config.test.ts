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
		expect(error.problems).toHaveLength(3);
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
