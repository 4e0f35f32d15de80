import path from 'node:path';

import { Coordination } from '../../../core/redis/coordination';
import { deployCommand } from '../../../runtime/deploy/command';
import { serve, type Serving } from '../../../runtime/serve';
import type { ScenarioInput } from '../../../sandbox/simulators/ollama-model';
import { SANDBOX_SECRETS, startSimulators, type RunningSimulators } from '../../../sandbox/simulators';
import { SINK_USER } from '../../../sandbox/simulators/smtp-sink';
import { REDIS_HOST, REDIS_PORT, testPrefix } from '../../support/redis';
import { eventually } from '../../support/waiting';
import { N8nHarness } from '../harness';

export { eventually };

export const ROOT = path.join(__dirname, '../../..');
export const WORKFLOWS = path.join(ROOT, 'workflows');
export const SCENARIOS = path.join(ROOT, 'sandbox/scenarios');

/**
 * The credential names the shipped flows reference (README, "The three flows"): an installation
 * creates them once in n8n; deploy resolves them by name and type.
 */
export const CREDENTIALS = {
	glpi: 'WIDIP GLPI',
	observium: 'WIDIP Observium',
	smtp: 'WIDIP SMTP',
	safeguard: 'WIDIP Safeguard',
	mysecret: 'WIDIP MySecret',
	activeDirectory: 'WIDIP Active Directory',
	observiumWebhook: 'WIDIP Observium webhook',
	gpuProactif: 'WIDIP GPU proxy (Proactif)',
	gpuAssist: 'WIDIP GPU proxy (Assist)',
	mcpSentinel: 'WIDIP MCP Sentinel',
	mcpAssist: 'WIDIP MCP Assist',
} as const;

export const ADDRESSES = {
	oncall: 'astreinte@widip.fr',
	supervisor: 'superviseur@widip.fr',
	technicians: 'techniciens@widip.fr',
	from: 'Support WIDIP <support@widip.fr>',
};

export interface FlowWorldOptions {
	/** Names this run's Redis prefix and n8n folder. */
	name: string;
	/** What the scripted Ollama answers (a file of sandbox/scenarios or rules). */
	scenario: ScenarioInput;
	/** More runtime settings (e.g. WIDIP_AD_* for Assist). */
	runtimeEnv?: NodeJS.ProcessEnv;
	/** More n8n credentials (e.g. the Active Directory one), imported with the shared ones. */
	extraCredentials?: object[];
}

export interface DeployOutcome {
	code: number;
	stdout: string;
	stderr: string;
}

const random = (label: string) => `${label}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

/**
 * Everything a shipped flow meets in production, on this machine: the simulators (GLPI, Observium,
 * Phibee, MySecret, an SMTP sink, the scripted Ollama), `widip serve` (MCP toolsets, approvals,
 * notices, resumer, GPU proxy in front of the scripted Ollama), and a real n8n 2.41.1 with the
 * package installed as n8n installs it and the WIDIP credentials created by name. Flows get in
 * only through `widip deploy`, as an operator puts them in.
 */
export class FlowWorld {
	readonly webhookSecret = random('observium-hook');
	readonly agentKeys = { sentinel: random('sentinel-key'), assist: random('assist-key') };
	readonly gpuKeys = { proactif: random('gpu-proactif'), assist: random('gpu-assist') };
	readonly technicianKey = random('tech-key');
	readonly safeguardSecret = random('safeguard-secret-0123456789abcdef');
	prefix = '';
	probe!: Coordination;
	sims!: RunningSimulators;
	runtime!: Serving;
	harness!: N8nHarness;
	apiKey = '';

	private constructor(readonly options: FlowWorldOptions) {}

	static async start(options: FlowWorldOptions): Promise<FlowWorld> {
		const world = new FlowWorld(options);
		let booted = false;
		try {
			await world.boot();
			booted = true;
		} finally {
			// Whatever started before a failure is stopped; the failure goes on to the caller.
			if (!booted) await world.close();
		}
		return world;
	}

	private async boot(): Promise<void> {
		this.prefix = testPrefix(this.options.name);
		this.probe = await Coordination.connect({ host: REDIS_HOST, port: REDIS_PORT, keyPrefix: this.prefix });
		this.sims = await startSimulators({ glpi: 0, observium: 0, phibee: 0, mysecret: 0, smtp: 0, ollama: 0 });
		// The scripted model answers at once: the flows' own time is what the tests and bench measure.
		this.sims.ollama.configure({ scenario: this.options.scenario, latencyMs: 0, tokensPerSecond: 0 });
		const smtpPort = String(this.sims.smtp.port);
		this.runtime = await serve(
			{
				WIDIP_ENV: 'development',
				WIDIP_HOST: '127.0.0.1',
				WIDIP_PORT: '0',
				WIDIP_REDIS_HOST: REDIS_HOST,
				WIDIP_REDIS_PORT: String(REDIS_PORT),
				WIDIP_REDIS_PREFIX: this.prefix,
				WIDIP_SAFEGUARD_SECRET: this.safeguardSecret,
				WIDIP_AGENT_KEYS: `sentinel:${this.agentKeys.sentinel},assist:${this.agentKeys.assist}`,
				WIDIP_TECHNICIAN_KEYS: `tech:${this.technicianKey}`,
				WIDIP_GPU_BACKENDS: `gpu0=${this.sims.urls.ollama}*1`,
				WIDIP_GPU_PORT: '0',
				WIDIP_GPU_KEYS: `proactif:proactif:${this.gpuKeys.proactif},assist:assist:${this.gpuKeys.assist}`,
				WIDIP_GLPI_URL: this.sims.urls.glpi,
				WIDIP_GLPI_USER_TOKEN: SANDBOX_SECRETS.glpiUserToken,
				WIDIP_GLPI_TIME_ZONE: 'UTC',
				WIDIP_OBSERVIUM_URL: this.sims.urls.observium,
				WIDIP_OBSERVIUM_USERNAME: SANDBOX_SECRETS.observiumUsername,
				WIDIP_OBSERVIUM_PASSWORD: SANDBOX_SECRETS.observiumPassword,
				WIDIP_OBSERVIUM_TIME_ZONE: 'UTC',
				WIDIP_PHIBEE_URL: this.sims.urls.phibee,
				WIDIP_PHIBEE_API_KEY: SANDBOX_SECRETS.phibeeApiKey,
				WIDIP_MYSECRET_URL: this.sims.urls.mysecret,
				WIDIP_MYSECRET_API_KEY: SANDBOX_SECRETS.mySecretApiKey,
				WIDIP_MAIL_HOST: '127.0.0.1',
				WIDIP_MAIL_PORT: smtpPort,
				WIDIP_MAIL_SECURE: 'false',
				WIDIP_MAIL_USER: SINK_USER,
				WIDIP_MAIL_PASSWORD: SANDBOX_SECRETS.smtpPassword,
				WIDIP_MAIL_FROM: ADDRESSES.from,
				// Technicians' notices (L2 actions, L3 requests) by mail.
				WIDIP_NOTIFY_MAIL_TO: ADDRESSES.technicians,
				WIDIP_SMTP_HOST: '127.0.0.1',
				WIDIP_SMTP_PORT: smtpPort,
				WIDIP_SMTP_SECURE: 'false',
				WIDIP_SMTP_USER: SINK_USER,
				WIDIP_SMTP_PASSWORD: SANDBOX_SECRETS.smtpPassword,
				WIDIP_SMTP_FROM: ADDRESSES.from,
				...this.options.runtimeEnv,
			},
			{ quiet: true },
		);
		if (!this.runtime.gpuUrl) throw new Error('the runtime started without its GPU proxy');

		this.harness = await N8nHarness.create();
		await this.harness.importCredentials([...this.credentials(), ...(this.options.extraCredentials ?? [])]);
		await this.harness.start();
		this.apiKey = await this.harness.createApiKey('widip flows e2e');
	}

	private credentials(): object[] {
		const redis = { host: REDIS_HOST, port: REDIS_PORT, database: 0, tls: false, keyPrefix: this.prefix, timeoutMs: 3000 };
		const id = (n: number) => `widipFlowCred${String(n).padStart(3, '0')}`;
		return [
			{ id: id(1), name: CREDENTIALS.glpi, type: 'widipGlpiApi', data: { url: this.sims.urls.glpi, authMethod: 'userToken', userToken: SANDBOX_SECRETS.glpiUserToken, timeZone: 'UTC', timeoutMs: 3000 } },
			{ id: id(2), name: CREDENTIALS.observium, type: 'widipObserviumApi', data: { url: this.sims.urls.observium, username: SANDBOX_SECRETS.observiumUsername, password: SANDBOX_SECRETS.observiumPassword, timeoutMs: 3000, timeZone: 'UTC' } },
			{
				id: id(3),
				name: CREDENTIALS.smtp,
				type: 'widipSmtpApi',
				data: {
					host: '127.0.0.1',
					port: this.sims.smtp.port,
					secure: false,
					requireTLS: false,
					user: SINK_USER,
					password: SANDBOX_SECRETS.smtpPassword,
					from: ADDRESSES.from,
					groups: JSON.stringify({ team: [ADDRESSES.oncall], managers: [ADDRESSES.supervisor], admins: [ADDRESSES.technicians] }),
					timeoutMs: 3000,
				},
			},
			{ id: id(4), name: CREDENTIALS.safeguard, type: 'widipSafeguardApi', data: { ...redis, safeguardSecret: this.safeguardSecret } },
			{ id: id(5), name: CREDENTIALS.mysecret, type: 'widipMySecretApi', data: { url: this.sims.urls.mysecret, apiKey: SANDBOX_SECRETS.mySecretApiKey, timeoutMs: 3000 } },
			// Observium calls `https://observium:<secret>@n8n/webhook/…`; the WIDIP trigger checks it.
			{ id: id(6), name: CREDENTIALS.observiumWebhook, type: 'widipObserviumWebhookApi', data: { user: 'observium', secret: this.webhookSecret } },
			{ id: id(7), name: CREDENTIALS.gpuProactif, type: 'ollamaApi', data: { baseUrl: this.runtime.gpuUrl, apiKey: this.gpuKeys.proactif } },
			{ id: id(8), name: CREDENTIALS.gpuAssist, type: 'ollamaApi', data: { baseUrl: this.runtime.gpuUrl, apiKey: this.gpuKeys.assist } },
			{ id: id(9), name: CREDENTIALS.mcpSentinel, type: 'httpBearerAuth', data: { token: this.agentKeys.sentinel, allowedHttpRequestDomains: 'domains', allowedDomains: '127.0.0.1' } },
			{ id: id(10), name: CREDENTIALS.mcpAssist, type: 'httpBearerAuth', data: { token: this.agentKeys.assist, allowedHttpRequestDomains: 'domains', allowedDomains: '127.0.0.1' } },
		];
	}

	/** The deploy variables an installation sets (README, "The three flows"), for this machine. */
	variables(overrides: Record<string, string> = {}): Record<string, string> {
		return {
			WIDIP_FLOW_RUNTIME_URL: this.runtime.url,
			WIDIP_FLOW_ONCALL_EMAIL: ADDRESSES.oncall,
			WIDIP_FLOW_SUPERVISOR_EMAIL: ADDRESSES.supervisor,
			...overrides,
		};
	}

	/** `widip deploy <files>` as an operator runs it, with the n8n URL and key in its environment. */
	async deploy(files: string[], variables: Record<string, string> = this.variables()): Promise<DeployOutcome> {
		let stdout = '';
		let stderr = '';
		const code = await deployCommand([...files, '--state-dir', path.join(path.dirname(this.harness.userFolder), 'deploy-state'), '--n8n', this.harness.n8nDir], {
			env: { WIDIP_N8N_URL: this.harness.baseUrl, WIDIP_N8N_API_KEY: this.apiKey, ...variables },
			isTTY: false,
			stdout: (text: string) => void (stdout += text),
			stderr: (text: string) => void (stderr += text),
		});
		return { code, stdout, stderr };
	}

	/**
	 * Waits until n8n serves a production webhook: it registers a published workflow's webhooks a
	 * moment after publish returns. A GET on a POST-only webhook answers "did you mean POST" once
	 * registered, without starting an execution.
	 */
	async webhookReady(webhookPath: string, timeoutMs = 20_000): Promise<void> {
		await eventually(async () => {
			const response = await fetch(`${this.harness.baseUrl}/webhook/${webhookPath}`);
			const text = await response.text();
			return /did you mean to make a POST/i.test(text) || response.ok;
		}, timeoutMs, `n8n to register the webhook ${webhookPath}`);
	}

	/** n8n's public API, with this world's key. */
	async api<T = unknown>(route: string, init: RequestInit = {}): Promise<T> {
		const response = await fetch(`${this.harness.baseUrl}/api/v1${route}`, {
			...init,
			headers: { 'content-type': 'application/json', 'X-N8N-API-KEY': this.apiKey, ...(init.headers ?? {}) },
		});
		const text = await response.text();
		if (!response.ok) throw new Error(`n8n API ${route}: ${response.status} ${text.slice(0, 300)}`);
		return (text ? JSON.parse(text) : {}) as T;
	}

	/** Every execution of a workflow n8n kept, newest first, with its data. */
	async executions(workflowId: string): Promise<Array<{ id: string; status: string; data?: { resultData?: { runData?: Record<string, unknown>; error?: unknown } } }>> {
		const answer = await this.api<{ data: Array<{ id: string; status: string }> }>(`/executions?workflowId=${workflowId}&includeData=true&limit=250`);
		return answer.data as never;
	}

	async workflowId(name: string): Promise<string> {
		const answer = await this.api<{ data: Array<{ id: string; name: string }> }>(`/workflows?limit=250`);
		const found = answer.data.find((workflow) => workflow.name === name);
		if (!found) throw new Error(`no workflow named "${name}" in n8n`);
		return found.id;
	}

	/** Approve or reject a Safeguard request as a technician does, through the runtime's API. */
	async decide(approvalId: string, decision: 'approve' | 'reject', comment = 'e2e'): Promise<void> {
		const response = await fetch(`${this.runtime.url}/api/approvals/${approvalId}/${decision}`, {
			method: 'POST',
			headers: { authorization: `Bearer ${this.technicianKey}`, 'content-type': 'application/json' },
			body: JSON.stringify({ comment, approver: 'tech' }),
		});
		if (!response.ok) throw new Error(`${decision} ${approvalId}: ${response.status} ${await response.text()}`);
	}

	/** The Safeguard audit stream of this world, as objects. */
	async audit(): Promise<Array<Record<string, string>>> {
		const entries = await this.probe.redis.xrange(`${this.prefix}safeguard:audit`, '-', '+');
		return entries.map(([, flat]) => Object.fromEntries(flat.flatMap((value, index) => (index % 2 === 0 ? [[value, flat[index + 1]]] : []))));
	}

	async close(): Promise<void> {
		await this.harness?.stop().catch(() => undefined);
		this.harness?.dispose();
		await this.runtime?.close().catch(() => undefined);
		await this.sims?.stop().catch(() => undefined);
		if (this.probe) {
			const keys = await this.probe.redis.keys(`${this.prefix}*`);
			if (keys.length > 0) await this.probe.redis.del(...keys);
			await this.probe.close();
		}
	}
}
