import { readFileSync } from 'node:fs';

import { z } from 'zod/v4';

import { catalogue } from '../core/catalogue';
import type { SafeguardLevel } from '../core/catalogue/operation';
import { invalidAddresses, splitAddressList } from '../core/mail/addresses';
import { parseMailConfig, type MailConfig } from '../core/mail/config';
import { parseRedisConfig, type RedisConfig } from '../core/redis/config';
import { DEFAULT_POLICY, MAX_APPROVAL_TTL_MINUTES, MIN_APPROVAL_TTL_MINUTES, type SafeguardPolicy } from '../core/safeguard/decision';
import { loweredLevels, parseLevelOverrides } from '../core/safeguard/policy';
import { MIN_SAFEGUARD_SECRET_LENGTH } from '../core/safeguard/signing';
import { describeServiceSettings, serviceSettingsFromSource, type ServiceSettings } from './services/settings';
import { DEFAULT_TOOLSETS, resolveAgentToolsets, resolveToolsets, type Toolset } from './mcp/toolsets';

/**
 * The runtime's configuration: environment variables, optionally on top of a JSON file
 * (WIDIP_CONFIG_FILE) holding the same names, e.g. {"WIDIP_ENV": "production", "WIDIP_PORT": 8080}.
 * The environment wins over the file. Keys are never printed: errors name the variable only.
 */

export class ConfigError extends Error {
	constructor(readonly problems: string[]) {
		super(`widip: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
		this.name = 'ConfigError';
	}
}

export interface ApiKey {
	name: string;
	key: string;
}

export interface RuntimeConfig {
	env: 'production' | 'development';
	port: number;
	host: string;
	redis: RedisConfig;
	safeguardEnabled: boolean;
	technicianKeys: ApiKey[];
	agentKeys: ApiKey[];
	l1MinConfidence: number;
	approvalTtlMinutes: number;
	/** Per-operation Safeguard level overrides, checked against the catalogue. */
	levels: Record<string, SafeguardLevel>;
	/** Operations the operator explicitly allowed below their catalogue level. */
	allowLower: string[];
	maxPendingPerRequester: number;
	/** Signs the policy nodes apply; absent only in development (nodes then use the catalogue's levels). */
	safeguardSecret?: string;
	/** Base URL technicians reach the runtime at: links in notices. */
	publicUrl: string;
	notices: NoticeConfig;
	mcp: McpConfig;
	/** The services the runtime's own clients reach (MCP tools): WIDIP_GLPI_*, WIDIP_OBSERVIUM_*… */
	services: ServiceSettings;
}

export interface McpConfig {
	toolsets: Map<string, Toolset>;
	/** Agent key name → the toolsets it may use. */
	agentToolsets: Map<string, string[]>;
	/** Host names (no port) a request's Host, and Origin when sent, may name: DNS-rebinding protection. */
	allowedHosts: string[];
	/** Calls per minute per agent key (per runtime replica). */
	rateLimitPerMinute: number;
	bodyLimitBytes: number;
}

export interface NoticeConfig {
	/** Generic JSON webhook (Teams / Slack style: `{"text": …}` plus the details). */
	webhookUrl?: string;
	/** Technicians' addresses and the SMTP relay to reach them. */
	mail?: { to: string[]; smtp: MailConfig };
}

export const MIN_KEY_LENGTH = 24;

const bool = z.union([z.boolean(), z.string()]).transform((value, ctx) => {
	if (typeof value === 'boolean') return value;
	const v = value.trim().toLowerCase();
	if (['1', 'true', 'yes', 'on'].includes(v)) return true;
	if (['0', 'false', 'no', 'off'].includes(v)) return false;
	ctx.addIssue({ code: 'custom', message: 'must be true or false' });
	return z.NEVER;
});

const str = z.union([z.string(), z.number()]).transform(String);

const envSchema = z.object({
	WIDIP_ENV: z.enum(['production', 'development']).default('development'),
	WIDIP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
	WIDIP_HOST: z.string().min(1).default('127.0.0.1'),
	WIDIP_REDIS_URL: z.string().optional(),
	WIDIP_REDIS_HOST: z.string().optional(),
	WIDIP_REDIS_PORT: str.optional(),
	WIDIP_REDIS_PASSWORD: z.string().optional(),
	WIDIP_REDIS_PREFIX: z.string().optional(),
	WIDIP_SAFEGUARD_ENABLED: bool.default(true),
	WIDIP_TECHNICIAN_KEYS: z.string().default(''),
	WIDIP_AGENT_KEYS: z.string().default(''),
	WIDIP_L1_MIN_CONFIDENCE: z.coerce.number().min(0).max(100).default(80),
	WIDIP_APPROVAL_TTL_MINUTES: z.coerce.number().int().min(MIN_APPROVAL_TTL_MINUTES).max(MAX_APPROVAL_TTL_MINUTES).default(DEFAULT_POLICY.approvalTtlMinutes),
	WIDIP_SAFEGUARD_LEVELS: z.string().default(''),
	WIDIP_SAFEGUARD_ALLOW_LOWER: z.string().default(''),
	WIDIP_SAFEGUARD_MAX_PENDING: z.coerce.number().int().min(1).max(1000).default(DEFAULT_POLICY.maxPendingPerRequester),
	WIDIP_SAFEGUARD_SECRET: z.string().optional(),
	WIDIP_MCP_TOOLSETS: z.string().optional(),
	WIDIP_MCP_AGENT_TOOLSETS: z.string().default(''),
	WIDIP_MCP_ALLOWED_HOSTS: z.string().default(''),
	WIDIP_MCP_RATE_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(600),
	WIDIP_MCP_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(256 * 1024),
	WIDIP_PUBLIC_URL: z.string().optional(),
	WIDIP_NOTIFY_WEBHOOK_URL: z.string().optional(),
	WIDIP_NOTIFY_MAIL_TO: z.string().default(''),
	WIDIP_SMTP_HOST: z.string().optional(),
	WIDIP_SMTP_PORT: str.optional(),
	WIDIP_SMTP_SECURE: bool.default(false),
	WIDIP_SMTP_USER: z.string().optional(),
	WIDIP_SMTP_PASSWORD: z.string().optional(),
	WIDIP_SMTP_FROM: z.string().optional(),
});

type Source = Record<string, string | number | boolean | undefined>;

function readFile(path: string): Source {
	let text: string;
	try {
		text = readFileSync(path, 'utf8');
	} catch (error) {
		throw new ConfigError([`WIDIP_CONFIG_FILE: cannot read ${path} (${(error as Error).message})`]);
	}
	try {
		const parsed: unknown = JSON.parse(text);
		if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
		return parsed as Source;
	} catch (error) {
		throw new ConfigError([`WIDIP_CONFIG_FILE: ${path} is not a JSON object of WIDIP_* settings (${(error as Error).message})`]);
	}
}

/** "name:key,name2:key2" → keys. A key may itself contain ':' (only the first one splits). */
function parseKeys(variable: string, text: string, problems: string[]): ApiKey[] {
	const keys: ApiKey[] = [];
	for (const [index, raw] of text.split(',').entries()) {
		const entry = raw.trim();
		if (!entry) continue;
		const colon = entry.indexOf(':');
		const name = colon > 0 ? entry.slice(0, colon).trim() : '';
		const key = colon > 0 ? entry.slice(colon + 1).trim() : '';
		if (!name || !key) {
			problems.push(`${variable}: entry ${index + 1} is not of the form name:key`);
			continue;
		}
		keys.push({ name, key });
	}
	return keys;
}

function redisFrom(values: z.output<typeof envSchema>, problems: string[]): RedisConfig | undefined {
	const input: Record<string, unknown> = { reconnect: true };
	if (values.WIDIP_REDIS_URL) {
		let url: URL;
		try {
			url = new URL(values.WIDIP_REDIS_URL);
		} catch {
			problems.push('WIDIP_REDIS_URL: not a valid URL (expected redis://[:password@]host[:port][/db])');
			return undefined;
		}
		if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
			problems.push('WIDIP_REDIS_URL: must start with redis:// or rediss://');
			return undefined;
		}
		input.host = url.hostname || '127.0.0.1';
		if (url.port) input.port = url.port;
		if (url.username) input.username = decodeURIComponent(url.username);
		if (url.password) input.password = decodeURIComponent(url.password);
		const db = url.pathname.replace(/^\//, '');
		if (db) input.db = db;
		input.tls = url.protocol === 'rediss:';
	}
	if (values.WIDIP_REDIS_HOST) input.host = values.WIDIP_REDIS_HOST;
	if (values.WIDIP_REDIS_PORT) input.port = values.WIDIP_REDIS_PORT;
	if (values.WIDIP_REDIS_PASSWORD) input.password = values.WIDIP_REDIS_PASSWORD;
	if (values.WIDIP_REDIS_PREFIX !== undefined) input.keyPrefix = values.WIDIP_REDIS_PREFIX;
	try {
		return parseRedisConfig(input as never);
	} catch (error) {
		const issues = (error as z.ZodError).issues ?? [];
		for (const issue of issues) problems.push(`Redis settings (WIDIP_REDIS_*): ${issue.path.join('.')} ${issue.message}`);
		return undefined;
	}
}

/**
 * Builds and checks the runtime config. Throws ConfigError listing every problem, each naming its
 * variable. Production refuses: Safeguard off, no technician or agent key, a key under 24
 * characters, a key shared between a technician and an agent.
 */
export function loadConfig(env: NodeJS.ProcessEnv | Source = process.env): RuntimeConfig {
	const file = env.WIDIP_CONFIG_FILE ? readFile(String(env.WIDIP_CONFIG_FILE)) : {};
	const merged: Source = { ...file };
	for (const [name, value] of Object.entries(env)) {
		if (name.startsWith('WIDIP_') && value !== undefined && value !== '') merged[name] = value;
	}
	const parsed = envSchema.safeParse(merged);
	if (!parsed.success) {
		throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
	}
	const values = parsed.data;
	const problems: string[] = [];
	const technicianKeys = parseKeys('WIDIP_TECHNICIAN_KEYS', values.WIDIP_TECHNICIAN_KEYS, problems);
	const agentKeys = parseKeys('WIDIP_AGENT_KEYS', values.WIDIP_AGENT_KEYS, problems);
	const redis = redisFrom(values, problems);

	const seen = new Map<string, string>();
	for (const [variable, keys] of [
		['WIDIP_TECHNICIAN_KEYS', technicianKeys],
		['WIDIP_AGENT_KEYS', agentKeys],
	] as const) {
		const names = new Set<string>();
		for (const { name } of keys) {
			if (names.has(name)) problems.push(`${variable}: the name "${name}" is used twice`);
			names.add(name);
		}
		for (const { name, key } of keys) {
			const other = seen.get(key);
			if (other !== undefined && other !== variable) {
				problems.push(`WIDIP_TECHNICIAN_KEYS / WIDIP_AGENT_KEYS: the key of "${name}" is also used in ${other}; technician and agent keys must differ`);
			} else if (other === variable) {
				problems.push(`${variable}: the key of "${name}" is used twice`);
			}
			seen.set(key, variable);
		}
	}

	if (values.WIDIP_ENV === 'production') {
		if (!values.WIDIP_SAFEGUARD_ENABLED) {
			problems.push('WIDIP_SAFEGUARD_ENABLED: Safeguard cannot be turned off in production');
		}
		if (technicianKeys.length === 0) problems.push('WIDIP_TECHNICIAN_KEYS: production needs at least one technician key (name:key)');
		if (agentKeys.length === 0) problems.push('WIDIP_AGENT_KEYS: production needs at least one agent key (name:key)');
		for (const [variable, keys] of [
			['WIDIP_TECHNICIAN_KEYS', technicianKeys],
			['WIDIP_AGENT_KEYS', agentKeys],
		] as const) {
			for (const { name, key } of keys) {
				if (key.length < MIN_KEY_LENGTH) {
					problems.push(`${variable}: the key of "${name}" is shorter than ${MIN_KEY_LENGTH} characters`);
				}
			}
		}
	}
	const levels = levelsFrom(values.WIDIP_SAFEGUARD_LEVELS, problems);
	const allowLower = allowLowerFrom(values, levels, problems);
	const secret = values.WIDIP_SAFEGUARD_SECRET;
	if (secret !== undefined && secret.length < MIN_SAFEGUARD_SECRET_LENGTH) {
		problems.push(`WIDIP_SAFEGUARD_SECRET: must be at least ${MIN_SAFEGUARD_SECRET_LENGTH} characters`);
	}
	if (values.WIDIP_ENV === 'production' && !secret) {
		problems.push('WIDIP_SAFEGUARD_SECRET: production needs the Safeguard key that signs the policy (the same value goes into the WIDIP Safeguard credential)');
	}
	for (const { key } of [...technicianKeys, ...agentKeys]) {
		if (secret && key === secret) problems.push('WIDIP_SAFEGUARD_SECRET: must differ from every technician and agent key');
	}
	const notices = noticesFrom(values, problems);
	const publicUrl = httpUrl('WIDIP_PUBLIC_URL', values.WIDIP_PUBLIC_URL, problems) ?? `http://${values.WIDIP_HOST}:${values.WIDIP_PORT}`;
	const mcp = mcpFrom(values, agentKeys, publicUrl, problems);
	const services = serviceSettingsFromSource(merged, problems);
	if (problems.length > 0 || !redis) throw new ConfigError(problems);

	return {
		env: values.WIDIP_ENV,
		port: values.WIDIP_PORT,
		host: values.WIDIP_HOST,
		redis,
		safeguardEnabled: values.WIDIP_SAFEGUARD_ENABLED,
		technicianKeys,
		agentKeys,
		l1MinConfidence: values.WIDIP_L1_MIN_CONFIDENCE,
		approvalTtlMinutes: values.WIDIP_APPROVAL_TTL_MINUTES,
		levels,
		allowLower,
		maxPendingPerRequester: values.WIDIP_SAFEGUARD_MAX_PENDING,
		...(secret ? { safeguardSecret: secret } : {}),
		publicUrl: publicUrl.replace(/\/+$/, ''),
		notices,
		mcp,
		services,
	};
}

function levelsFrom(text: string, problems: string[]): Record<string, SafeguardLevel> {
	if (!text.trim()) return {};
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		problems.push('WIDIP_SAFEGUARD_LEVELS: not valid JSON (expected {"operation.id": level, …})');
		return {};
	}
	const { levels, problems: found } = parseLevelOverrides(value, catalogue);
	for (const problem of found) problems.push(`WIDIP_SAFEGUARD_LEVELS: ${problem}`);
	return levels;
}

/**
 * Lowering a level below the catalogue's is an operator's explicit, per-operation choice in
 * production (WIDIP_SAFEGUARD_ALLOW_LOWER); in development it is allowed with a warning at start.
 */
function allowLowerFrom(values: z.output<typeof envSchema>, levels: Record<string, SafeguardLevel>, problems: string[]): string[] {
	const named = values.WIDIP_SAFEGUARD_ALLOW_LOWER.split(',').map((id) => id.trim()).filter(Boolean);
	for (const id of named) {
		if (!catalogue.has(id)) problems.push(`WIDIP_SAFEGUARD_ALLOW_LOWER: unknown operation "${id}"`);
	}
	const lowered = loweredLevels(levels, catalogue);
	if (values.WIDIP_ENV !== 'production') return lowered.map((entry) => entry.operationId);
	for (const { operationId, from, to } of lowered) {
		if (!named.includes(operationId)) {
			problems.push(
				`WIDIP_SAFEGUARD_LEVELS: lowers ${operationId} from L${from} to L${to}; production needs WIDIP_SAFEGUARD_ALLOW_LOWER=${operationId} to allow it`,
			);
		}
	}
	return lowered.map((entry) => entry.operationId).filter((id) => named.includes(id));
}

/**
 * The MCP server's settings: toolsets (JSON, default: sentinel, notifier, assist, all), which agent
 * key may use which, the host names requests may come to, the rate limit and the body limit.
 */
function mcpFrom(values: z.output<typeof envSchema>, agentKeys: ApiKey[], publicUrl: string, problems: string[]): McpConfig {
	let patterns = DEFAULT_TOOLSETS;
	if (values.WIDIP_MCP_TOOLSETS) {
		try {
			patterns = JSON.parse(values.WIDIP_MCP_TOOLSETS) as typeof DEFAULT_TOOLSETS;
			if (!patterns || typeof patterns !== 'object' || Array.isArray(patterns)) throw new Error('not an object');
		} catch {
			problems.push('WIDIP_MCP_TOOLSETS: not a JSON object of toolset name → list of operation ids or patterns (service.*, *)');
			patterns = {};
		}
	}
	const { toolsets, problems: found } = resolveToolsets(patterns, catalogue);
	for (const problem of found) problems.push(`WIDIP_MCP_TOOLSETS: ${problem}`);
	const agents = resolveAgentToolsets(values.WIDIP_MCP_AGENT_TOOLSETS, agentKeys.map((key) => key.name), toolsets);
	for (const problem of agents.problems) problems.push(`WIDIP_MCP_AGENT_TOOLSETS: ${problem}`);
	const hosts = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
	if (!['0.0.0.0', '::'].includes(values.WIDIP_HOST)) hosts.add(values.WIDIP_HOST.toLowerCase());
	try {
		hosts.add(new URL(publicUrl).hostname.toLowerCase());
	} catch {
		// reported with WIDIP_PUBLIC_URL
	}
	for (const host of values.WIDIP_MCP_ALLOWED_HOSTS.split(',').map((entry) => entry.trim().toLowerCase()).filter(Boolean)) {
		if (!/^[a-z0-9.-]+$|^\[[0-9a-f:]+\]$/.test(host)) problems.push(`WIDIP_MCP_ALLOWED_HOSTS: "${host}" is not a host name`);
		else hosts.add(host);
	}
	return {
		toolsets,
		agentToolsets: agents.byAgent,
		allowedHosts: [...hosts],
		rateLimitPerMinute: values.WIDIP_MCP_RATE_LIMIT,
		bodyLimitBytes: values.WIDIP_MCP_BODY_LIMIT_BYTES,
	};
}

/** The policy this runtime signs and publishes, and applies itself. */
export function policyOf(config: RuntimeConfig): SafeguardPolicy {
	return {
		l1MinConfidence: config.l1MinConfidence,
		levels: config.levels,
		allowLower: config.allowLower,
		approvalTtlMinutes: config.approvalTtlMinutes,
		maxPendingPerRequester: config.maxPendingPerRequester,
	};
}

function httpUrl(variable: string, text: string | undefined, problems: string[]): string | undefined {
	if (!text) return undefined;
	try {
		const url = new URL(text);
		if (url.protocol === 'http:' || url.protocol === 'https:') return text;
	} catch {
		// reported below
	}
	problems.push(`${variable}: not an http(s) URL`);
	return undefined;
}

function noticesFrom(values: z.output<typeof envSchema>, problems: string[]): NoticeConfig {
	const notices: NoticeConfig = {};
	notices.webhookUrl = httpUrl('WIDIP_NOTIFY_WEBHOOK_URL', values.WIDIP_NOTIFY_WEBHOOK_URL, problems);
	const to = splitAddressList(values.WIDIP_NOTIFY_MAIL_TO);
	if (to.length === 0) return notices;
	const bad = invalidAddresses(to);
	if (bad.length > 0) problems.push(`WIDIP_NOTIFY_MAIL_TO: not e-mail addresses: ${bad.join(', ')}`);
	if (!values.WIDIP_SMTP_HOST || !values.WIDIP_SMTP_FROM) {
		problems.push('WIDIP_NOTIFY_MAIL_TO needs WIDIP_SMTP_HOST and WIDIP_SMTP_FROM');
		return notices;
	}
	try {
		const smtp = parseMailConfig({
			host: values.WIDIP_SMTP_HOST,
			port: values.WIDIP_SMTP_PORT ?? 587,
			secure: values.WIDIP_SMTP_SECURE,
			user: values.WIDIP_SMTP_USER,
			password: values.WIDIP_SMTP_PASSWORD,
			from: values.WIDIP_SMTP_FROM,
		});
		notices.mail = { to, smtp };
	} catch (error) {
		// parseMailConfig names fields, never values.
		problems.push(`WIDIP_SMTP_*: ${(error as Error).message}`);
	}
	return notices;
}

/** The config with keys and passwords hidden: safe to log. */
export function describeConfig(config: RuntimeConfig): Record<string, unknown> {
	return {
		env: config.env,
		listen: `${config.host}:${config.port}`,
		redis: `${config.redis.tls ? 'rediss' : 'redis'}://${config.redis.host}:${config.redis.port}/${config.redis.db} prefix ${config.redis.keyPrefix}`,
		safeguardEnabled: config.safeguardEnabled,
		technicians: config.technicianKeys.map((k) => k.name),
		agents: config.agentKeys.map((k) => k.name),
		l1MinConfidence: config.l1MinConfidence,
		approvalTtlMinutes: config.approvalTtlMinutes,
		levels: config.levels,
		allowLower: config.allowLower,
		maxPendingPerRequester: config.maxPendingPerRequester,
		safeguardSecret: config.safeguardSecret ? 'set' : 'not set',
		publicUrl: config.publicUrl,
		services: describeServiceSettings(config.services),
		mcp: {
			toolsets: Object.fromEntries([...config.mcp.toolsets].map(([name, toolset]) => [name, toolset.operations.length])),
			agents: Object.fromEntries(config.mcp.agentToolsets),
			allowedHosts: config.mcp.allowedHosts,
			rateLimitPerMinute: config.mcp.rateLimitPerMinute,
		},
		notices: {
			webhook: config.notices.webhookUrl ? new URL(config.notices.webhookUrl).origin : 'off',
			mail: config.notices.mail ? `${config.notices.mail.to.length} recipient(s) via ${config.notices.mail.smtp.host}:${config.notices.mail.smtp.port}` : 'off',
		},
	};
}
