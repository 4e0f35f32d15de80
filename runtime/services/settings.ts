import { readFileSync } from 'node:fs';

import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import type { z } from 'zod/v4';

import { adConfigSchema, type AdConfig } from '../../core/ad/config';
import type { ServiceClients } from '../../core/catalogue/services';
import { glpiConfigSchema, type GlpiConfig } from '../../core/glpi/config';
import { mailConfigSchema, type MailConfig } from '../../core/mail/config';
import { mySecretConfigSchema, type MySecretConfig } from '../../core/mysecret/config';
import { observiumConfigSchema, type ObserviumConfig } from '../../core/observium/config';
import { phibeeConfigSchema, type PhibeeConfig } from '../../core/phibee/config';
// The nodes' own credential → config mappings (pure functions; n8n-workflow is imported for types
// only), so a runtime setting and a credential field produce the same config object.
import { adConfigFromCredentials } from '../../nodes/ActiveDirectory/connection';
import { glpiConfigFromCredentials } from '../../nodes/Glpi/connection';
import { mailConfigFromCredentials } from '../../nodes/Mail/connection';
import { mySecretConfigFromCredentials } from '../../nodes/MySecret/connection';
import { observiumConfigFromCredentials } from '../../nodes/Observium/connection';
import { phibeeConfigFromCredentials } from '../../nodes/Phibee/connection';
import { ConfigError } from '../config';
import { SourceReader, type Source } from './source';

export type { Source } from './source';

export type ServiceName = keyof ServiceClients;
/** The runtime's own Redis (Coordination) serves these; the others are configured here. */
export const PLATFORM_SERVICES = ['redis', 'incident', 'breaker', 'claim'] as const;
export type PlatformService = (typeof PLATFORM_SERVICES)[number];
export type ConfigurableService = Exclude<ServiceName, PlatformService>;

/**
 * Each configured service's validated config, exactly what its client takes. Holds keys and
 * passwords: log describeServiceSettings() instead.
 */
export interface ServiceSettings {
	glpi?: GlpiConfig;
	observium?: ObserviumConfig;
	phibee?: PhibeeConfig;
	mysecret?: MySecretConfig;
	mail?: MailConfig;
	ad?: AdConfig;
}

export const CONFIGURABLE_SERVICES: readonly ConfigurableService[] = ['glpi', 'observium', 'phibee', 'mysecret', 'mail', 'ad'];

interface Spec {
	label: string;
	prefix: string;
	/** Every setting of the service, without the prefix. */
	variables: readonly string[];
	/** Those that may also be given as `<NAME>_FILE` (secrets, and the AD CA certificate). */
	files: readonly string[];
}

const SPECS: Record<ConfigurableService, Spec> = {
	glpi: {
		label: 'GLPI',
		prefix: 'WIDIP_GLPI_',
		variables: ['URL', 'APP_TOKEN', 'USER_TOKEN', 'LOGIN', 'PASSWORD', 'TIME_ZONE', 'TIMEOUT_MS'],
		files: ['APP_TOKEN', 'USER_TOKEN', 'PASSWORD'],
	},
	observium: {
		label: 'Observium',
		prefix: 'WIDIP_OBSERVIUM_',
		variables: ['URL', 'USERNAME', 'PASSWORD', 'TIME_ZONE', 'TIMEOUT_MS'],
		files: ['PASSWORD'],
	},
	phibee: { label: 'Phibee', prefix: 'WIDIP_PHIBEE_', variables: ['URL', 'API_KEY', 'TIMEOUT_MS'], files: ['API_KEY'] },
	mysecret: { label: 'MySecret', prefix: 'WIDIP_MYSECRET_', variables: ['URL', 'API_KEY', 'TIMEOUT_MS'], files: ['API_KEY'] },
	mail: {
		label: 'Mail',
		prefix: 'WIDIP_MAIL_',
		variables: ['HOST', 'PORT', 'SECURE', 'REQUIRE_TLS', 'USER', 'PASSWORD', 'FROM', 'GROUPS', 'TEMPLATES_DIR', 'TIMEOUT_MS'],
		files: ['PASSWORD'],
	},
	ad: {
		label: 'Active Directory',
		prefix: 'WIDIP_AD_',
		variables: [
			'BACKEND',
			'URL',
			'START_TLS',
			'BIND_DN',
			'BIND_PASSWORD',
			'BASE_DN',
			'CA_CERT',
			'TLS_SERVER_NAME',
			'ALLOW_UNVERIFIED_TLS',
			'SSH_HOST',
			'SSH_PORT',
			'SSH_USER',
			'SSH_PASSWORD',
			'SSH_PRIVATE_KEY',
			'SSH_HOST_KEY_SHA256',
			'SSH_POWERSHELL',
			'TIMEOUT_MS',
			'PROTECTED_ACCOUNTS',
			'ALLOWED_OUS',
		],
		files: ['BIND_PASSWORD', 'CA_CERT', 'SSH_PASSWORD', 'SSH_PRIVATE_KEY'],
	},
};

/** Every variable this module reads, `_FILE` forms included (documentation, tests). */
export function serviceVariables(service: ConfigurableService): string[] {
	return variablesOf(SPECS[service]);
}

function variablesOf({ prefix, variables, files }: Spec): string[] {
	return [...variables.map((name) => prefix + name), ...files.map((name) => `${prefix}${name}_FILE`)];
}

/** Drops unset fields: the nodes' mappings then apply their own defaults, as for an empty credential field. */
function credential(fields: Record<string, unknown>): ICredentialDataDecryptedObject {
	return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as ICredentialDataDecryptedObject;
}

/**
 * Validates with the service's own schema; each issue becomes `VARIABLE: zod's message` (zod's
 * messages name what was expected, never the value given).
 */
function validate<T>(
	read: SourceReader,
	schema: z.ZodType<T>,
	input: unknown,
	variableOf: Record<string, string>,
	fallback: string,
): T | undefined {
	const result = schema.safeParse(input);
	if (result.success) return result.data;
	for (const issue of result.error.issues) {
		const [field, ...rest] = issue.path;
		const variable = (field !== undefined && variableOf[String(field)]) || fallback;
		const where = rest.map((part) => (typeof part === 'number' ? `entry ${part + 1}` : String(part))).join(' ');
		read.problem(variable, where ? `${where}: ${issue.message}` : issue.message);
	}
	return undefined;
}

/** `VARIABLE: missing` for each required variable not given (nor already reported). */
function requireAll(read: SourceReader, spec: Spec, trigger: string, names: string[]): void {
	for (const name of names) {
		const variable = spec.prefix + name;
		if (read.given(variable) || read.failed.has(variable)) continue;
		const file = spec.files.includes(name) ? ` (or ${variable}_FILE)` : '';
		read.problem(variable, `missing${file}: ${spec.label} is configured (${trigger} is set) and needs it`);
	}
}

/**
 * The service's variables that are set; unknown ones under its prefix (a typo that would leave a
 * secret unset) are problems.
 */
function setVariables(read: SourceReader, spec: Spec): string[] {
	const known = new Set(variablesOf(spec));
	const set: string[] = [];
	for (const name of Object.keys(read.source)) {
		if (!name.startsWith(spec.prefix) || !read.present(name)) continue;
		if (!known.has(name)) {
			read.problem(name, `unknown ${spec.label} setting (see README, "Service connections")`);
			continue;
		}
		set.push(name);
	}
	return set;
}

/**
 * Whether the service is configured: its URL / host variable (`trigger`) is set. Other variables
 * of the service without it are a problem, naming the trigger.
 */
function configured(read: SourceReader, spec: Spec, trigger: string, set: string[]): boolean {
	if (read.given(trigger)) return true;
	const stray = set.filter((name) => name !== trigger).sort();
	if (stray.length > 0) read.problem(trigger, `missing: ${stray.join(', ')} ${stray.length === 1 ? 'is' : 'are'} set, but ${spec.label} is configured by ${trigger}`);
	return false;
}

function glpi(read: SourceReader): GlpiConfig | undefined {
	const spec = SPECS.glpi;
	const set = setVariables(read, spec);
	if (!configured(read, spec, 'WIDIP_GLPI_URL', set)) return undefined;
	const before = read.problems.length;
	const userToken = read.secret('WIDIP_GLPI_USER_TOKEN');
	const login = read.text('WIDIP_GLPI_LOGIN');
	const password = read.secret('WIDIP_GLPI_PASSWORD');
	const byToken = read.given('WIDIP_GLPI_USER_TOKEN');
	const byLogin = read.given('WIDIP_GLPI_LOGIN') || read.given('WIDIP_GLPI_PASSWORD');
	if (byToken && byLogin) {
		read.problem('WIDIP_GLPI_USER_TOKEN', 'give WIDIP_GLPI_USER_TOKEN or WIDIP_GLPI_LOGIN + WIDIP_GLPI_PASSWORD, not both');
	} else if (byLogin) {
		requireAll(read, spec, 'WIDIP_GLPI_URL', ['LOGIN', 'PASSWORD']);
	} else if (!byToken) {
		read.problem(
			'WIDIP_GLPI_USER_TOKEN',
			'missing (or WIDIP_GLPI_USER_TOKEN_FILE, or WIDIP_GLPI_LOGIN + WIDIP_GLPI_PASSWORD): GLPI is configured (WIDIP_GLPI_URL is set) and needs a way to log in',
		);
	}
	const fields = credential({
		url: read.text('WIDIP_GLPI_URL'),
		authMethod: byLogin && !byToken ? 'basic' : 'userToken',
		appToken: read.secret('WIDIP_GLPI_APP_TOKEN'),
		userToken,
		login,
		password,
		timeZone: read.text('WIDIP_GLPI_TIME_ZONE'),
		timeoutMs: read.text('WIDIP_GLPI_TIMEOUT_MS'),
	});
	if (read.problems.length > before) return undefined;
	return validate(
		read,
		glpiConfigSchema,
		glpiConfigFromCredentials(fields),
		{
			url: 'WIDIP_GLPI_URL',
			appToken: 'WIDIP_GLPI_APP_TOKEN',
			userToken: 'WIDIP_GLPI_USER_TOKEN',
			login: 'WIDIP_GLPI_LOGIN',
			password: 'WIDIP_GLPI_PASSWORD',
			timeZone: 'WIDIP_GLPI_TIME_ZONE',
			timeoutMs: 'WIDIP_GLPI_TIMEOUT_MS',
		},
		'WIDIP_GLPI_USER_TOKEN',
	);
}

function observium(read: SourceReader): ObserviumConfig | undefined {
	const spec = SPECS.observium;
	const set = setVariables(read, spec);
	if (!configured(read, spec, 'WIDIP_OBSERVIUM_URL', set)) return undefined;
	const before = read.problems.length;
	requireAll(read, spec, 'WIDIP_OBSERVIUM_URL', ['USERNAME', 'PASSWORD']);
	const fields = credential({
		url: read.text('WIDIP_OBSERVIUM_URL'),
		username: read.text('WIDIP_OBSERVIUM_USERNAME'),
		password: read.secret('WIDIP_OBSERVIUM_PASSWORD'),
		timeZone: read.text('WIDIP_OBSERVIUM_TIME_ZONE'),
		timeoutMs: read.text('WIDIP_OBSERVIUM_TIMEOUT_MS'),
	});
	if (read.problems.length > before) return undefined;
	return validate(
		read,
		observiumConfigSchema,
		observiumConfigFromCredentials(fields),
		{
			baseUrl: 'WIDIP_OBSERVIUM_URL',
			username: 'WIDIP_OBSERVIUM_USERNAME',
			password: 'WIDIP_OBSERVIUM_PASSWORD',
			timeZone: 'WIDIP_OBSERVIUM_TIME_ZONE',
			timeoutMs: 'WIDIP_OBSERVIUM_TIMEOUT_MS',
		},
		'WIDIP_OBSERVIUM_URL',
	);
}

/** Phibee and MySecret have the same three settings and the same credential shape. */
function keyedService<T>(
	read: SourceReader,
	service: 'phibee' | 'mysecret',
	schema: z.ZodType<T>,
	fromCredentials: (credentials: ICredentialDataDecryptedObject) => unknown,
): T | undefined {
	const spec = SPECS[service];
	const url = `${spec.prefix}URL`;
	const set = setVariables(read, spec);
	if (!configured(read, spec, url, set)) return undefined;
	const before = read.problems.length;
	requireAll(read, spec, url, ['API_KEY']);
	const fields = credential({
		url: read.text(url),
		apiKey: read.secret(`${spec.prefix}API_KEY`),
		timeoutMs: read.text(`${spec.prefix}TIMEOUT_MS`),
	});
	if (read.problems.length > before) return undefined;
	return validate(
		read,
		schema,
		fromCredentials(fields),
		{ baseUrl: url, apiKey: `${spec.prefix}API_KEY`, timeoutMs: `${spec.prefix}TIMEOUT_MS` },
		url,
	);
}

function mail(read: SourceReader): MailConfig | undefined {
	const spec = SPECS.mail;
	const set = setVariables(read, spec);
	if (!configured(read, spec, 'WIDIP_MAIL_HOST', set)) return undefined;
	const before = read.problems.length;
	requireAll(read, spec, 'WIDIP_MAIL_HOST', ['FROM']);
	if (read.given('WIDIP_MAIL_PASSWORD') && !read.given('WIDIP_MAIL_USER')) {
		read.problem('WIDIP_MAIL_USER', 'missing: WIDIP_MAIL_PASSWORD is set, and the relay login needs both');
	}
	const fields = credential({
		host: read.text('WIDIP_MAIL_HOST'),
		port: read.text('WIDIP_MAIL_PORT'),
		secure: read.bool('WIDIP_MAIL_SECURE'),
		requireTLS: read.bool('WIDIP_MAIL_REQUIRE_TLS'),
		user: read.text('WIDIP_MAIL_USER'),
		password: read.secret('WIDIP_MAIL_PASSWORD'),
		from: read.text('WIDIP_MAIL_FROM'),
		// JSON text from the environment, or the object itself from a JSON config file.
		groups: read.raw('WIDIP_MAIL_GROUPS'),
		templatesDir: read.text('WIDIP_MAIL_TEMPLATES_DIR'),
		timeoutMs: read.text('WIDIP_MAIL_TIMEOUT_MS'),
	});
	if (read.problems.length > before) return undefined;
	return validate(
		read,
		mailConfigSchema,
		mailConfigFromCredentials(fields),
		{
			host: 'WIDIP_MAIL_HOST',
			port: 'WIDIP_MAIL_PORT',
			secure: 'WIDIP_MAIL_SECURE',
			requireTLS: 'WIDIP_MAIL_REQUIRE_TLS',
			user: 'WIDIP_MAIL_USER',
			password: 'WIDIP_MAIL_PASSWORD',
			from: 'WIDIP_MAIL_FROM',
			groups: 'WIDIP_MAIL_GROUPS',
			templatesDir: 'WIDIP_MAIL_TEMPLATES_DIR',
			timeoutMs: 'WIDIP_MAIL_TIMEOUT_MS',
		},
		'WIDIP_MAIL_HOST',
	);
}

const LDAPS_ONLY = ['URL', 'START_TLS', 'BIND_DN', 'BIND_PASSWORD', 'BASE_DN', 'CA_CERT', 'TLS_SERVER_NAME', 'ALLOW_UNVERIFIED_TLS'];
const SSH_ONLY = ['SSH_HOST', 'SSH_PORT', 'SSH_USER', 'SSH_PASSWORD', 'SSH_PRIVATE_KEY', 'SSH_HOST_KEY_SHA256', 'SSH_POWERSHELL'];

function ad(read: SourceReader): AdConfig | undefined {
	const spec = SPECS.ad;
	const set = setVariables(read, spec);
	const backendText = read.text('WIDIP_AD_BACKEND')?.trim().toLowerCase() ?? 'ldaps';
	if (backendText !== 'ldaps' && backendText !== 'ssh') {
		read.problem('WIDIP_AD_BACKEND', 'must be ldaps or ssh');
		return undefined;
	}
	const ssh = backendText === 'ssh';
	const trigger = ssh ? 'WIDIP_AD_SSH_HOST' : 'WIDIP_AD_URL';
	if (!configured(read, spec, trigger, set)) return undefined;
	const before = read.problems.length;
	for (const name of ssh ? LDAPS_ONLY : SSH_ONLY) {
		const variable = spec.prefix + name;
		if (read.given(variable)) read.problem(variable, `only used with WIDIP_AD_BACKEND=${ssh ? 'ldaps' : 'ssh'} (WIDIP_AD_BACKEND is ${backendText})`);
	}
	if (ssh) {
		requireAll(read, spec, trigger, ['SSH_USER', 'SSH_HOST_KEY_SHA256']);
		if (!read.given('WIDIP_AD_SSH_PASSWORD') && !read.given('WIDIP_AD_SSH_PRIVATE_KEY')) {
			read.problem('WIDIP_AD_SSH_PASSWORD', 'missing: give WIDIP_AD_SSH_PASSWORD or WIDIP_AD_SSH_PRIVATE_KEY (or their _FILE forms)');
		}
	} else {
		requireAll(read, spec, trigger, ['BIND_DN', 'BIND_PASSWORD', 'BASE_DN']);
	}
	const fields = credential({
		backend: backendText,
		timeoutMs: read.text('WIDIP_AD_TIMEOUT_MS'),
		protectedAccounts: read.raw('WIDIP_AD_PROTECTED_ACCOUNTS'),
		allowedOus: read.raw('WIDIP_AD_ALLOWED_OUS'),
		...(ssh
			? {
					sshHost: read.text('WIDIP_AD_SSH_HOST'),
					sshPort: read.text('WIDIP_AD_SSH_PORT'),
					sshUser: read.text('WIDIP_AD_SSH_USER'),
					sshPassword: read.secret('WIDIP_AD_SSH_PASSWORD'),
					sshPrivateKey: read.secret('WIDIP_AD_SSH_PRIVATE_KEY'),
					hostKeySha256: read.text('WIDIP_AD_SSH_HOST_KEY_SHA256'),
					powershell: read.text('WIDIP_AD_SSH_POWERSHELL'),
				}
			: {
					url: read.text('WIDIP_AD_URL'),
					startTls: read.bool('WIDIP_AD_START_TLS'),
					bindDn: read.text('WIDIP_AD_BIND_DN'),
					bindPassword: read.secret('WIDIP_AD_BIND_PASSWORD'),
					baseDn: read.text('WIDIP_AD_BASE_DN'),
					caCert: read.secret('WIDIP_AD_CA_CERT'),
					tlsServerName: read.text('WIDIP_AD_TLS_SERVER_NAME'),
					allowUnverifiedTls: read.bool('WIDIP_AD_ALLOW_UNVERIFIED_TLS'),
				}),
	});
	if (read.problems.length > before) return undefined;
	return validate(
		read,
		adConfigSchema,
		adConfigFromCredentials(fields),
		{
			url: 'WIDIP_AD_URL',
			startTls: 'WIDIP_AD_START_TLS',
			bindDn: 'WIDIP_AD_BIND_DN',
			bindPassword: 'WIDIP_AD_BIND_PASSWORD',
			baseDn: 'WIDIP_AD_BASE_DN',
			caCert: 'WIDIP_AD_CA_CERT',
			tlsServerName: 'WIDIP_AD_TLS_SERVER_NAME',
			allowUnverifiedTls: 'WIDIP_AD_ALLOW_UNVERIFIED_TLS',
			host: 'WIDIP_AD_SSH_HOST',
			port: 'WIDIP_AD_SSH_PORT',
			username: 'WIDIP_AD_SSH_USER',
			password: 'WIDIP_AD_SSH_PASSWORD',
			privateKey: 'WIDIP_AD_SSH_PRIVATE_KEY',
			hostKeySha256: 'WIDIP_AD_SSH_HOST_KEY_SHA256',
			powershell: 'WIDIP_AD_SSH_POWERSHELL',
			timeoutMs: 'WIDIP_AD_TIMEOUT_MS',
			protectedAccounts: 'WIDIP_AD_PROTECTED_ACCOUNTS',
			allowedOus: 'WIDIP_AD_ALLOWED_OUS',
		},
		'WIDIP_AD_BACKEND',
	);
}

/**
 * The service settings out of the runtime's merged source (JSON file + environment), each problem
 * appended to `problems` as `VARIABLE: what is wrong`. A service with a problem is left out.
 * runtime/config.ts's loadConfig calls this with its merged source and its own problem list.
 */
export function serviceSettingsFromSource(source: Source, problems: string[]): ServiceSettings {
	const read = new SourceReader(source, problems);
	const settings: ServiceSettings = {
		glpi: glpi(read),
		observium: observium(read),
		phibee: keyedService(read, 'phibee', phibeeConfigSchema, phibeeConfigFromCredentials),
		mysecret: keyedService(read, 'mysecret', mySecretConfigSchema, mySecretConfigFromCredentials),
		mail: mail(read),
		ad: ad(read),
	};
	for (const service of CONFIGURABLE_SERVICES) if (settings[service] === undefined) delete settings[service];
	return settings;
}

/** The merge runtime/config.ts does: the WIDIP_CONFIG_FILE JSON object, then non-empty WIDIP_* variables over it. */
function mergedSource(env: Source): Source {
	const merged: Source = {};
	const path = env.WIDIP_CONFIG_FILE;
	if (typeof path === 'string' && path !== '') {
		let parsed: unknown;
		try {
			parsed = JSON.parse(readFileSync(path, 'utf8'));
		} catch (error) {
			throw new ConfigError([`WIDIP_CONFIG_FILE: cannot read ${path} as a JSON object (${(error as NodeJS.ErrnoException).code ?? (error as Error).name})`]);
		}
		if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
			throw new ConfigError([`WIDIP_CONFIG_FILE: ${path} is not a JSON object of WIDIP_* settings`]);
		}
		Object.assign(merged, parsed);
	}
	for (const [name, value] of Object.entries(env)) {
		if (name.startsWith('WIDIP_') && value !== undefined && value !== '') merged[name] = value;
	}
	return merged;
}

/**
 * The service settings from the environment (and the JSON file it names in WIDIP_CONFIG_FILE).
 * Throws ConfigError listing every problem, each naming its variable and never a value.
 */
export function loadServiceSettings(env: Source = process.env): ServiceSettings {
	const problems: string[] = [];
	const settings = serviceSettingsFromSource(mergedSource(env), problems);
	if (problems.length > 0) throw new ConfigError(problems);
	return settings;
}

function hostOf(url: string): string {
	try {
		return new URL(url).host;
	} catch {
		return '(invalid URL)';
	}
}

/** Service → where it is reached (host only, no path, user or key): safe to log. */
export function describeServiceSettings(settings: ServiceSettings): Record<ConfigurableService, string> {
	const { glpi: g, observium: o, phibee: p, mysecret: m, mail: mailConfig, ad: a } = settings;
	return {
		glpi: g ? hostOf(g.url) : 'not configured',
		observium: o ? hostOf(o.baseUrl) : 'not configured',
		phibee: p ? hostOf(p.baseUrl) : 'not configured',
		mysecret: m ? hostOf(m.baseUrl) : 'not configured',
		mail: mailConfig ? `${mailConfig.host}:${mailConfig.port}` : 'not configured',
		ad: a ? (a.backend === 'ssh' ? `${a.host}:${a.port} (ssh)` : `${hostOf(a.url)} (ldaps)`) : 'not configured',
	};
}
