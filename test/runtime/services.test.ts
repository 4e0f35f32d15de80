import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { AdClient } from '../../core/ad/client';
import { adConfigSchema } from '../../core/ad/config';
import { catalogue } from '../../core/catalogue';
import { glpiConfigSchema } from '../../core/glpi/config';
import { mailConfigSchema } from '../../core/mail/config';
import { mySecretConfigSchema } from '../../core/mysecret/config';
import { observiumConfigSchema } from '../../core/observium/config';
import { phibeeConfigSchema } from '../../core/phibee/config';
import type { Coordination } from '../../core/redis/coordination';
import { adConfigFromCredentials } from '../../nodes/ActiveDirectory/connection';
import { glpiConfigFromCredentials } from '../../nodes/Glpi/connection';
import { mailConfigFromCredentials } from '../../nodes/Mail/connection';
import { mySecretConfigFromCredentials } from '../../nodes/MySecret/connection';
import { observiumConfigFromCredentials } from '../../nodes/Observium/connection';
import { phibeeConfigFromCredentials } from '../../nodes/Phibee/connection';
import { ConfigError } from '../../runtime/config';
import { loadServiceSettings, ServiceHub, serviceSettingsFromSource } from '../../runtime/services';
import { createGlpiSimulator, type GlpiSimulator } from '../../sandbox/simulators/glpi/server';
import { createMySecretSimulator, type MySecretSimulator } from '../../sandbox/simulators/mysecret';
import { createObserviumSimulator, type ObserviumSimulator } from '../../sandbox/simulators/observium';
import { createPhibeeSimulator, type PhibeeSimulator } from '../../sandbox/simulators/phibee';
import { SINK_USER, SmtpSink } from '../../sandbox/simulators/smtp-sink';
import { captureLogger } from '../support/capture-logger';
import { connectTest, dropPrefix } from '../support/redis';

/** Unique to the run, so "appears nowhere" checks cannot pass by accident. */
const secret = (label: string) => `${label}-${randomBytes(8).toString('hex')}`;
const GLPI_USER_TOKEN = 'widip-sim-user-token'; // the one the simulator knows
const GLPI_APP_TOKEN = secret('glpi-app');
const OBSERVIUM_PASSWORD = secret('obs-pw');
const PHIBEE_KEY = secret('phibee-key');
const MYSECRET_KEY = secret('mysecret-key');
const SMTP_PASSWORD = secret('smtp-pw');
const AD_PASSWORD = secret('ad-bind-pw');
const SSH_KEY = secret('ssh-private-key');
const SECRETS = [GLPI_USER_TOKEN, GLPI_APP_TOKEN, OBSERVIUM_PASSWORD, PHIBEE_KEY, MYSECRET_KEY, SMTP_PASSWORD, AD_PASSWORD, SSH_KEY];

function expectNoSecret(text: string): void {
	for (const value of SECRETS) expect(text).not.toContain(value);
}

/** The problems loadServiceSettings reports; none may hold a secret. */
function problemsOf(env: Record<string, unknown>): string[] {
	try {
		loadServiceSettings(env);
	} catch (error) {
		expect(error).toBeInstanceOf(ConfigError);
		expectNoSecret((error as Error).message);
		return (error as ConfigError).problems;
	}
	throw new Error('expected a ConfigError');
}

let glpiSim: GlpiSimulator;
let observiumSim: ObserviumSimulator;
let phibeeSim: PhibeeSimulator;
let mysecretSim: MySecretSimulator;
let sink: SmtpSink;
let coordination: Coordination;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
	glpiSim = createGlpiSimulator({ appToken: GLPI_APP_TOKEN });
	observiumSim = createObserviumSimulator({ password: OBSERVIUM_PASSWORD });
	phibeeSim = createPhibeeSimulator({ apiKey: PHIBEE_KEY });
	mysecretSim = createMySecretSimulator({ apiKey: MYSECRET_KEY });
	const [glpiUrl, , phibeeUrl, mysecretUrl] = await Promise.all([glpiSim.start(), observiumSim.start(0, '127.0.0.1'), phibeeSim.start(), mysecretSim.start()]);
	sink = await SmtpSink.start(SMTP_PASSWORD);
	coordination = await connectTest('services');
	dir = mkdtempSync(join(tmpdir(), 'widip-services-'));
	env = {
		WIDIP_GLPI_URL: `${glpiUrl}/apirest.php`,
		WIDIP_GLPI_APP_TOKEN: GLPI_APP_TOKEN,
		WIDIP_GLPI_USER_TOKEN: GLPI_USER_TOKEN,
		WIDIP_GLPI_TIME_ZONE: 'UTC',
		WIDIP_GLPI_TIMEOUT_MS: '3000',
		WIDIP_OBSERVIUM_URL: `${observiumSim.url}/api/v0`,
		WIDIP_OBSERVIUM_USERNAME: observiumSim.username,
		WIDIP_OBSERVIUM_PASSWORD: OBSERVIUM_PASSWORD,
		WIDIP_OBSERVIUM_TIMEOUT_MS: '3000',
		WIDIP_PHIBEE_URL: phibeeUrl,
		WIDIP_PHIBEE_API_KEY: PHIBEE_KEY,
		WIDIP_MYSECRET_URL: mysecretUrl,
		WIDIP_MYSECRET_API_KEY: MYSECRET_KEY,
		WIDIP_MAIL_HOST: '127.0.0.1',
		WIDIP_MAIL_PORT: String(sink.port),
		WIDIP_MAIL_SECURE: 'false',
		WIDIP_MAIL_USER: SINK_USER,
		WIDIP_MAIL_PASSWORD: SMTP_PASSWORD,
		WIDIP_MAIL_FROM: 'WIDIP Support <support@widip.test>',
		WIDIP_MAIL_GROUPS: '{"team": ["tech1@widip.test", "tech2@widip.test"], "managers": ["chef@widip.test"]}',
		// not a WIDIP_ variable: ignored
		PATH: '/usr/bin',
	};
});

afterAll(async () => {
	await Promise.all([glpiSim.stop(), observiumSim.stop(), phibeeSim.stop(), mysecretSim.stop(), sink.stop()]);
	await dropPrefix(coordination);
	await coordination.close();
	rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
	glpiSim.requests.length = 0;
	sink.clear();
});

/** A file holding `content` plus the trailing newline editors and `echo` add. */
function secretFile(name: string, content: string): string {
	const path = join(dir, name);
	writeFileSync(path, `${content}\n`);
	return path;
}

describe('ServiceHub from the runtime settings', () => {
	it('runs catalogue operations of every service against the simulators, one client each, one GLPI session, closed once', async () => {
		const logger = captureLogger();
		const hub = new ServiceHub(loadServiceSettings(env), { logger, coordination });
		expect(hub.configured()).toEqual(['redis', 'incident', 'breaker', 'claim', 'glpi', 'observium', 'phibee', 'mysecret', 'mail']);

		const clients = hub.clients();
		expect(Object.keys(clients)).toEqual(hub.configured());
		expect(clients.ad).toBeUndefined();
		expect(glpiSim.requests).toHaveLength(0); // nothing is made or sent before an operation runs

		const status = (await catalogue.run('observium.device_status', { device: 'EHPAD-Les-Mimosas-RTR01' }, clients)) as Record<string, unknown>;
		expect(status).toMatchObject({ hostname: 'EHPAD-Les-Mimosas-RTR01', isUp: true });

		const first = (await catalogue.run('glpi.get_ticket', { ticketId: 1 }, clients)) as Record<string, unknown>;
		const second = (await catalogue.run('glpi.get_ticket', { ticketId: 1 }, hub.clients())) as Record<string, unknown>;
		expect(first.id).toBe(1);
		expect(second).toEqual(first);
		expect(glpiSim.seen('GET', '/initSession')).toHaveLength(1);
		expect(hub.client('glpi')).toBe(hub.client('glpi'));

		const info = (await catalogue.run('phibee.get_link_info', { linkId: 'LNK-BELLEVUE-01' }, clients)) as { count: number };
		expect(info.count).toBe(1);
		const created = (await catalogue.run('mysecret.create_secret', { payload: 'Temp-Passw0rd!' }, clients)) as Record<string, unknown>;
		expect(String(created.url)).toMatch(/^http/);

		const sent = (await catalogue.run('mail.send_bulk_notification', { group: 'team', subject: 'Maintenance', body: 'Ce soir 22h' }, clients)) as Record<string, unknown>;
		expect(sent.recipients).toBe(2);
		const [message] = await sink.messages();
		expect(message.user).toBe(SINK_USER);
		expect(message.recipients.sort()).toEqual(['tech1@widip.test', 'tech2@widip.test']);

		await catalogue.run('redis.set', { key: 'hub-check', value: 'ok' }, clients);
		expect(await catalogue.run('redis.get', { key: 'hub-check' }, clients)).toMatchObject({ value: 'ok' });

		await Promise.all([hub.close(), hub.close()]);
		await hub.close();
		expect(glpiSim.seen('GET', '/killSession')).toHaveLength(1);
		expect(() => hub.client('glpi')).toThrow(/closed/);
		await expect(catalogue.run('glpi.get_ticket', { ticketId: 1 }, clients)).rejects.toThrow(/closed/);
		// the runtime's Redis connection belongs to the runtime: still open
		await coordination.ping();
		expectNoSecret(logger.lines.join('\n'));
	});

	it('close() of a hub nothing used sends nothing', async () => {
		const hub = new ServiceHub(loadServiceSettings(env));
		hub.clients();
		await hub.close();
		expect(glpiSim.requests).toHaveLength(0);
	});

	it('reads every secret from a <NAME>_FILE (one trailing newline dropped)', async () => {
		const fileEnv: Record<string, string> = {
			...env,
			WIDIP_GLPI_APP_TOKEN_FILE: secretFile('glpi-app', GLPI_APP_TOKEN),
			WIDIP_GLPI_USER_TOKEN_FILE: secretFile('glpi-user', GLPI_USER_TOKEN),
			WIDIP_OBSERVIUM_PASSWORD_FILE: secretFile('observium', OBSERVIUM_PASSWORD),
			WIDIP_PHIBEE_API_KEY_FILE: secretFile('phibee', PHIBEE_KEY),
			WIDIP_MYSECRET_API_KEY_FILE: secretFile('mysecret', MYSECRET_KEY),
			WIDIP_MAIL_PASSWORD_FILE: secretFile('smtp', SMTP_PASSWORD),
		};
		for (const name of ['WIDIP_GLPI_APP_TOKEN', 'WIDIP_GLPI_USER_TOKEN', 'WIDIP_OBSERVIUM_PASSWORD', 'WIDIP_PHIBEE_API_KEY', 'WIDIP_MYSECRET_API_KEY', 'WIDIP_MAIL_PASSWORD']) {
			delete fileEnv[name];
		}
		const settings = loadServiceSettings(fileEnv);
		expect(settings).toEqual(loadServiceSettings(env));
		const hub = new ServiceHub(settings);
		try {
			await expect(catalogue.run('glpi.get_ticket', { ticketId: 1 }, hub.clients())).resolves.toMatchObject({ id: 1 });
			await expect(catalogue.run('observium.device_status', { device: 'EHPAD-Les-Mimosas-RTR01' }, hub.clients())).resolves.toMatchObject({ isUp: true });
			await expect(catalogue.run('mail.send_mail', { to: 'tech1@widip.test', subject: 's', body: 'b' }, hub.clients())).resolves.toMatchObject({ success: true });
		} finally {
			await hub.close();
		}
	});

	it('takes the same variables from the JSON file of WIDIP_CONFIG_FILE, the environment winning', () => {
		const path = join(dir, 'widip.json');
		writeFileSync(
			path,
			JSON.stringify({
				WIDIP_PHIBEE_URL: 'https://phibee.example.org',
				WIDIP_PHIBEE_API_KEY: PHIBEE_KEY,
				WIDIP_PHIBEE_TIMEOUT_MS: 4000,
				WIDIP_MAIL_HOST: 'smtp.example.org',
				WIDIP_MAIL_FROM: 'support@widip.test',
				WIDIP_MAIL_SECURE: true,
				WIDIP_MAIL_GROUPS: { admins: ['admin@widip.test'] },
				WIDIP_AD_URL: 'ldaps://dc1.widip.test:636',
				WIDIP_AD_BIND_DN: 'svc-widip@widip.test',
				WIDIP_AD_BIND_PASSWORD: AD_PASSWORD,
				WIDIP_AD_BASE_DN: 'DC=widip,DC=test',
				WIDIP_AD_PROTECTED_ACCOUNTS: ['svc-backup', 'direction'],
			}),
		);
		const settings = loadServiceSettings({ WIDIP_CONFIG_FILE: path, WIDIP_PHIBEE_TIMEOUT_MS: '5000', WIDIP_MAIL_PORT: '' });
		expect(settings.phibee).toMatchObject({ baseUrl: 'https://phibee.example.org', apiKey: PHIBEE_KEY, timeoutMs: 5000 });
		expect(settings.mail).toMatchObject({ host: 'smtp.example.org', port: 587, secure: true, groups: { team: [], managers: [], admins: ['admin@widip.test'] } });
		expect(settings.ad).toMatchObject({ backend: 'ldaps', protectedAccounts: ['svc-backup', 'direction'], allowedOus: [] });
		expect(Object.keys(settings)).toEqual(['phibee', 'mail', 'ad']);
	});

	it('builds exactly the config objects the nodes build from the same credential values', () => {
		const caPath = secretFile('ca.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----');
		const settings = loadServiceSettings({
			...env,
			WIDIP_GLPI_USER_TOKEN: '',
			WIDIP_GLPI_LOGIN: 'tech.widip',
			WIDIP_GLPI_PASSWORD: 'widip-sim-password',
			WIDIP_AD_URL: 'ldaps://10.0.0.5:636',
			WIDIP_AD_BIND_DN: 'svc-widip@widip.test',
			WIDIP_AD_BIND_PASSWORD_FILE: secretFile('ad', AD_PASSWORD),
			WIDIP_AD_BASE_DN: 'DC=widip,DC=test',
			WIDIP_AD_CA_CERT_FILE: caPath,
			WIDIP_AD_TLS_SERVER_NAME: 'dc1.widip.test',
			WIDIP_AD_START_TLS: 'no',
			WIDIP_AD_TIMEOUT_MS: '8000',
			WIDIP_AD_PROTECTED_ACCOUNTS: 'svc-backup, direction',
			WIDIP_AD_ALLOWED_OUS: 'OU=Soignants,DC=widip,DC=test;OU=Admin,DC=widip,DC=test',
		});
		expect(settings.glpi).toEqual(
			glpiConfigSchema.parse(
				glpiConfigFromCredentials({
					url: env.WIDIP_GLPI_URL,
					authMethod: 'basic',
					appToken: GLPI_APP_TOKEN,
					login: 'tech.widip',
					password: 'widip-sim-password',
					timeZone: 'UTC',
					timeoutMs: 3000,
				}),
			),
		);
		expect(settings.observium).toEqual(
			observiumConfigSchema.parse(
				observiumConfigFromCredentials({ url: env.WIDIP_OBSERVIUM_URL, username: observiumSim.username, password: OBSERVIUM_PASSWORD, timeoutMs: 3000 }),
			),
		);
		expect(settings.phibee).toEqual(phibeeConfigSchema.parse(phibeeConfigFromCredentials({ url: env.WIDIP_PHIBEE_URL, apiKey: PHIBEE_KEY })));
		expect(settings.mysecret).toEqual(mySecretConfigSchema.parse(mySecretConfigFromCredentials({ url: env.WIDIP_MYSECRET_URL, apiKey: MYSECRET_KEY })));
		expect(settings.mail).toEqual(
			mailConfigSchema.parse(
				mailConfigFromCredentials({
					host: '127.0.0.1',
					port: sink.port,
					secure: false,
					user: SINK_USER,
					password: SMTP_PASSWORD,
					from: env.WIDIP_MAIL_FROM,
					groups: env.WIDIP_MAIL_GROUPS,
				}),
			),
		);
		expect(settings.ad).toEqual(
			adConfigSchema.parse(
				adConfigFromCredentials({
					backend: 'ldaps',
					url: 'ldaps://10.0.0.5:636',
					bindDn: 'svc-widip@widip.test',
					bindPassword: AD_PASSWORD,
					baseDn: 'DC=widip,DC=test',
					caCert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
					tlsServerName: 'dc1.widip.test',
					timeoutMs: 8000,
					protectedAccounts: 'svc-backup\ndirection',
					allowedOus: 'OU=Soignants,DC=widip,DC=test\nOU=Admin,DC=widip,DC=test',
				}),
			),
		);
	});

	it('makes the AD client (with MySecret for password links) without connecting, and closes it', async () => {
		const settings = loadServiceSettings({
			WIDIP_AD_BACKEND: 'ssh',
			WIDIP_AD_SSH_HOST: 'dc1.widip.test',
			WIDIP_AD_SSH_USER: 'svc-widip',
			WIDIP_AD_SSH_PRIVATE_KEY_FILE: secretFile('ssh-key', SSH_KEY),
			WIDIP_AD_SSH_HOST_KEY_SHA256: `SHA256:${'A'.repeat(43)}`,
			WIDIP_MYSECRET_URL: env.WIDIP_MYSECRET_URL,
			WIDIP_MYSECRET_API_KEY: MYSECRET_KEY,
		});
		expect(settings.ad).toMatchObject({ backend: 'ssh', host: 'dc1.widip.test', port: 22, privateKey: SSH_KEY, powershell: 'powershell.exe', timeoutMs: 15_000 });
		const hub = new ServiceHub(settings);
		expect(hub.configured()).toEqual(['mysecret', 'ad']);
		const ad = hub.clients().ad;
		expect(ad).toBeInstanceOf(AdClient);
		expect(hub.client('ad')).toBe(ad);
		const description = JSON.stringify(hub.describe());
		expect(hub.describe()).toMatchObject({ ad: 'dc1.widip.test:22 (ssh)', redis: 'not configured', glpi: 'not configured' });
		expectNoSecret(description);
		await hub.close();
	});

	it('describe() names each service and its host only', () => {
		const hub = new ServiceHub(loadServiceSettings({ ...env, WIDIP_MYSECRET_URL: `http://user:${MYSECRET_KEY}@127.0.0.1:9/x` }), { coordination });
		const description = hub.describe();
		expect(description).toEqual({
			redis: `${coordination.config.host}:${coordination.config.port}`,
			// incidents, breakers and claims live in the runtime's own Redis
			incident: `${coordination.config.host}:${coordination.config.port}`,
			breaker: `${coordination.config.host}:${coordination.config.port}`,
			claim: `${coordination.config.host}:${coordination.config.port}`,
			glpi: new URL(env.WIDIP_GLPI_URL).host,
			observium: new URL(env.WIDIP_OBSERVIUM_URL).host,
			phibee: new URL(env.WIDIP_PHIBEE_URL).host,
			mysecret: '127.0.0.1:9',
			mail: `127.0.0.1:${sink.port}`,
			ad: 'not configured',
		});
		expectNoSecret(JSON.stringify(description));
	});

	it('configures nothing, without a problem, when no service variable is set', () => {
		expect(loadServiceSettings({ WIDIP_ENV: 'production', WIDIP_SMTP_HOST: 'relay' })).toEqual({});
		expect(new ServiceHub({}).configured()).toEqual([]);
	});
});

describe('service setting problems name the variable, never the value', () => {
	it('a service with its URL but not its keys names each missing variable', () => {
		const problems = problemsOf({
			WIDIP_OBSERVIUM_URL: 'https://observium.example.org/api/v0',
			WIDIP_PHIBEE_URL: 'https://phibee.example.org',
			WIDIP_GLPI_URL: 'https://glpi.example.org/apirest.php',
			WIDIP_GLPI_APP_TOKEN: GLPI_APP_TOKEN,
			WIDIP_MAIL_HOST: 'smtp.example.org',
			WIDIP_MAIL_PASSWORD: SMTP_PASSWORD,
			WIDIP_AD_URL: 'ldaps://dc1.widip.test',
			WIDIP_AD_BIND_PASSWORD: AD_PASSWORD,
		});
		expect(problems).toEqual([
			expect.stringMatching(/^WIDIP_GLPI_USER_TOKEN: missing .*WIDIP_GLPI_LOGIN \+ WIDIP_GLPI_PASSWORD/),
			expect.stringMatching(/^WIDIP_OBSERVIUM_USERNAME: missing/),
			expect.stringMatching(/^WIDIP_OBSERVIUM_PASSWORD: missing \(or WIDIP_OBSERVIUM_PASSWORD_FILE\)/),
			expect.stringMatching(/^WIDIP_PHIBEE_API_KEY: missing \(or WIDIP_PHIBEE_API_KEY_FILE\)/),
			expect.stringMatching(/^WIDIP_MAIL_FROM: missing/),
			expect.stringMatching(/^WIDIP_MAIL_USER: missing/),
			expect.stringMatching(/^WIDIP_AD_BIND_DN: missing/),
			expect.stringMatching(/^WIDIP_AD_BASE_DN: missing/),
		]);
	});

	it('a service variable without the URL names the URL variable', () => {
		expect(problemsOf({ WIDIP_PHIBEE_API_KEY: PHIBEE_KEY, WIDIP_AD_SSH_USER: 'svc', WIDIP_AD_BACKEND: 'ssh' })).toEqual([
			'WIDIP_PHIBEE_URL: missing: WIDIP_PHIBEE_API_KEY is set, but Phibee is configured by WIDIP_PHIBEE_URL',
			'WIDIP_AD_SSH_HOST: missing: WIDIP_AD_BACKEND, WIDIP_AD_SSH_USER are set, but Active Directory is configured by WIDIP_AD_SSH_HOST',
		]);
	});

	it('a secret given both directly and as a file is refused', () => {
		const problems = problemsOf({ ...env, WIDIP_PHIBEE_API_KEY_FILE: secretFile('phibee-both', PHIBEE_KEY) });
		expect(problems).toEqual(['WIDIP_PHIBEE_API_KEY_FILE: WIDIP_PHIBEE_API_KEY and WIDIP_PHIBEE_API_KEY_FILE are both set; give only one']);
	});

	it('a secret file that cannot be read names the variable and the path, never the content', () => {
		const missing = join(dir, 'no-such-secret');
		const folder = join(dir, 'a-folder');
		mkdirSync(folder, { recursive: true });
		const empty = join(dir, 'empty-secret');
		writeFileSync(empty, '\n');
		const problems = problemsOf({
			WIDIP_OBSERVIUM_URL: 'https://observium.example.org/api/v0',
			WIDIP_OBSERVIUM_USERNAME: 'widip-api',
			WIDIP_OBSERVIUM_PASSWORD_FILE: missing,
			WIDIP_MYSECRET_URL: 'https://secret.example.org',
			WIDIP_MYSECRET_API_KEY_FILE: folder,
			WIDIP_PHIBEE_URL: 'https://phibee.example.org',
			WIDIP_PHIBEE_API_KEY_FILE: empty,
		});
		expect(problems).toEqual([
			`WIDIP_OBSERVIUM_PASSWORD_FILE: cannot read ${missing} (ENOENT)`,
			`WIDIP_PHIBEE_API_KEY_FILE: ${empty} is empty`,
			`WIDIP_MYSECRET_API_KEY_FILE: ${folder} is not a regular file`,
		]);
	});

	it('a bad URL, number, boolean or JSON names its variable with the schema message', () => {
		const problems = problemsOf({
			...env,
			WIDIP_OBSERVIUM_URL: `https://widip-api:${OBSERVIUM_PASSWORD}@observium.example.org/`,
			WIDIP_GLPI_URL: `glpi ${GLPI_APP_TOKEN}`,
			WIDIP_PHIBEE_TIMEOUT_MS: 'soon',
			WIDIP_MYSECRET_TIMEOUT_MS: '10',
			WIDIP_MAIL_SECURE: 'maybe',
			WIDIP_MAIL_GROUPS: `{"team": ["${SMTP_PASSWORD}"`,
		});
		expect(problems).toEqual([
			expect.stringMatching(/^WIDIP_GLPI_URL: /),
			'WIDIP_OBSERVIUM_URL: must end with the API path, e.g. /api/v0',
			expect.stringMatching(/^WIDIP_PHIBEE_TIMEOUT_MS: /),
			expect.stringMatching(/^WIDIP_MYSECRET_TIMEOUT_MS: .*100/),
			'WIDIP_MAIL_SECURE: must be true or false',
		]);
		// one problem at a time per service: with SECURE fixed, the groups are checked
		// (core/mail/config.ts's preprocess adds a stray 'Unrecognized key: "status"' after this one)
		const notJson = problemsOf({ ...env, WIDIP_MAIL_GROUPS: `{"team": ["${SMTP_PASSWORD}"` });
		expect(notJson[0]).toMatch(/^WIDIP_MAIL_GROUPS: is not valid JSON/);
		for (const line of notJson) expect(line).toMatch(/^WIDIP_MAIL_GROUPS: /);
		expect(problemsOf({ ...env, WIDIP_MAIL_GROUPS: `{"team": ["${SMTP_PASSWORD}"]}` })).toEqual([expect.stringMatching(/^WIDIP_MAIL_GROUPS: team entry 1: /)]);
	});

	it('GLPI takes a user token or a login and password, not both', () => {
		expect(problemsOf({ ...env, WIDIP_GLPI_LOGIN: 'tech.widip' })).toEqual([
			'WIDIP_GLPI_USER_TOKEN: give WIDIP_GLPI_USER_TOKEN or WIDIP_GLPI_LOGIN + WIDIP_GLPI_PASSWORD, not both',
		]);
		expect(problemsOf({ ...env, WIDIP_GLPI_USER_TOKEN: '', WIDIP_GLPI_LOGIN: 'tech.widip' })).toEqual([expect.stringMatching(/^WIDIP_GLPI_PASSWORD: missing/)]);
	});

	it('Active Directory: the backend, the other backend\'s variables, unknown settings and fingerprints are checked', () => {
		const ldaps = { WIDIP_AD_URL: 'ldaps://dc1.widip.test', WIDIP_AD_BIND_DN: 'svc', WIDIP_AD_BIND_PASSWORD: AD_PASSWORD, WIDIP_AD_BASE_DN: 'DC=widip,DC=test' };
		expect(problemsOf({ ...ldaps, WIDIP_AD_BACKEND: 'winrm' })).toEqual(['WIDIP_AD_BACKEND: must be ldaps or ssh']);
		expect(problemsOf({ ...ldaps, WIDIP_AD_SSH_PORT: '22' })).toEqual(['WIDIP_AD_SSH_PORT: only used with WIDIP_AD_BACKEND=ssh (WIDIP_AD_BACKEND is ldaps)']);
		expect(problemsOf({ ...ldaps, WIDIP_AD_DENY_LIST: 'direction' })).toEqual([expect.stringMatching(/^WIDIP_AD_DENY_LIST: unknown Active Directory setting/)]);
		expect(problemsOf({ ...ldaps, WIDIP_AD_URL: 'https://dc1.widip.test' })).toEqual(['WIDIP_AD_URL: must start with ldaps:// or ldap://']);
		expect(problemsOf({ ...ldaps, WIDIP_AD_ALLOWED_OUS: 'Soignants' })).toEqual([expect.stringMatching(/^WIDIP_AD_ALLOWED_OUS: entry 1: expected an OU DN/)]);
		expect(
			problemsOf({ WIDIP_AD_BACKEND: 'ssh', WIDIP_AD_SSH_HOST: 'dc1', WIDIP_AD_SSH_USER: 'svc', WIDIP_AD_SSH_HOST_KEY_SHA256: 'nope' }),
		).toEqual([expect.stringMatching(/^WIDIP_AD_SSH_PASSWORD: missing: give WIDIP_AD_SSH_PASSWORD or WIDIP_AD_SSH_PRIVATE_KEY/)]);
		expect(
			problemsOf({ WIDIP_AD_BACKEND: 'ssh', WIDIP_AD_SSH_HOST: 'dc1', WIDIP_AD_SSH_USER: 'svc', WIDIP_AD_SSH_PASSWORD: AD_PASSWORD, WIDIP_AD_SSH_HOST_KEY_SHA256: 'nope' }),
		).toEqual(['WIDIP_AD_SSH_HOST_KEY_SHA256: expected an OpenSSH SHA256 fingerprint']);
	});

	it('serviceSettingsFromSource adds to the caller\'s problems and keeps the services that are right', () => {
		const problems = ['WIDIP_PORT: something else'];
		const settings = serviceSettingsFromSource({ ...env, WIDIP_OBSERVIUM_PASSWORD: '' }, problems);
		expect(problems).toEqual(['WIDIP_PORT: something else', expect.stringMatching(/^WIDIP_OBSERVIUM_PASSWORD: missing/)]);
		expect(Object.keys(settings)).toEqual(['glpi', 'phibee', 'mysecret', 'mail']);
	});
});
