import { catalogue } from '../core/catalogue';
import type { Logger } from '../core/logger';
import { Coordination } from '../core/redis/coordination';
import { Safeguard } from '../core/safeguard/guard';
import { ConfigError, describeConfig, loadConfig, policyOf } from './config';
import { McpCalls } from './mcp/calls';
import { McpMetrics } from './mcp/metrics';
import { PolicyPublisher } from './policy-publisher';
import { ServiceHub } from './services';
import { parseGpuProxyConfig } from './gpu/config';
import { buildGpuProxy, startGpuProxy, type GpuProxy } from './gpu/proxy';
import { channelsFrom, NoticeDispatcher } from './notices';
import { Resumer } from './resumer';
import { buildServer } from './server';

const USAGE = `usage: widip serve
       widip audit export [--since <ISO time>]

serve: starts the WIDIP runtime (health, Safeguard approvals, notices, resuming waiting n8n
executions) from the environment:
  WIDIP_ENV=production|development   WIDIP_HOST (127.0.0.1)   WIDIP_PORT (8080)
  WIDIP_REDIS_URL or WIDIP_REDIS_HOST / WIDIP_REDIS_PORT / WIDIP_REDIS_PASSWORD, WIDIP_REDIS_PREFIX
  WIDIP_SAFEGUARD_ENABLED (true)   WIDIP_TECHNICIAN_KEYS / WIDIP_AGENT_KEYS (name:key,name:key)
  WIDIP_L1_MIN_CONFIDENCE (80)   WIDIP_APPROVAL_TTL_MINUTES (60)   WIDIP_CONFIG_FILE (JSON, same names)
  WIDIP_SAFEGUARD_SECRET (signs the policy; same value in the WIDIP Safeguard credential; production)
  WIDIP_SAFEGUARD_LEVELS ({"operation.id": level})   WIDIP_SAFEGUARD_ALLOW_LOWER (op.id,…: production)
  WIDIP_SAFEGUARD_MAX_PENDING (10 per requester)   WIDIP_PUBLIC_URL (links in notices)
  WIDIP_NOTIFY_WEBHOOK_URL   WIDIP_NOTIFY_MAIL_TO + WIDIP_SMTP_HOST / _PORT / _SECURE / _USER / _PASSWORD / _FROM
  MCP (/mcp/<toolset>): WIDIP_MCP_TOOLSETS (JSON)   WIDIP_MCP_AGENT_TOOLSETS (agent:set+set,…)
  WIDIP_MCP_ALLOWED_HOSTS   WIDIP_MCP_RATE_LIMIT (600/min per key)   WIDIP_MCP_BODY_LIMIT_BYTES
  Services for MCP tools: WIDIP_GLPI_*, WIDIP_OBSERVIUM_*, WIDIP_PHIBEE_*, WIDIP_MYSECRET_*, WIDIP_MAIL_*,
  WIDIP_AD_* (secrets also as <NAME>_FILE; see README "Service connections")
  GPU proxy (on when WIDIP_GPU_BACKENDS is set): WIDIP_GPU_BACKENDS (name=http://host:11434*slots,…)
  WIDIP_GPU_PORT (11435)   WIDIP_GPU_KEYS (name:proactif|assist|batch:key,…)   WIDIP_GPU_DEFAULT_PRIORITY
  WIDIP_GPU_QUEUE_LIMIT (64)   WIDIP_GPU_MAX_WAIT_SECONDS (120)   WIDIP_GPU_AGING_SECONDS (30)
  WIDIP_GPU_AFFINITY_WINDOW_MS (2000)   WIDIP_GPU_KEEP_ALIVE   WIDIP_GPU_SHARED_SLOTS (false: replicas
  share slots through Redis)   WIDIP_GPU_LEASE_SECONDS (10)
audit export: prints the Safeguard audit stream as JSON lines (oldest first) on stdout.
`;

export interface Serving {
	/** http://host:port the runtime listens on (the real port when WIDIP_PORT=0). */
	url: string;
	/** The GPU proxy's URL when WIDIP_GPU_BACKENDS is set. */
	gpuUrl?: string;
	gpu?: GpuProxy;
	close(): Promise<void>;
}

export async function serve(env: NodeJS.ProcessEnv = process.env, options: { quiet?: boolean } = {}): Promise<Serving> {
	const config = loadConfig(env);
	const coordination = await Coordination.connect(config.redis);
	const prefix = coordination.config.keyPrefix;
	const safeguard = new Safeguard(coordination.redis, prefix, catalogue, config.safeguardSecret);
	const late: { resumer?: Resumer; log?: Logger } = {};
	// The server's logger exists once the server does; the clients made before it log through this.
	const deferred: Logger = {
		debug: (message, meta) => late.log?.debug(message, meta),
		info: (message, meta) => late.log?.info(message, meta),
		warn: (message, meta) => late.log?.warn(message, meta),
		error: (message, meta) => late.log?.error(message, meta),
	};
	// Service clients for the MCP tools: built once from the runtime's own config, reused by every call.
	const hub = new ServiceHub(config.services, { coordination, logger: deferred });
	const metrics = new McpMetrics();
	const calls = new McpCalls(
		{ catalogue, safeguard, policy: { policy: policyOf(config), source: 'signed' }, clients: () => hub.clients(), metrics },
		config.mcp.toolsets,
	);
	const app = buildServer(config, { coordination, logger: !options.quiet, onDecision: () => late.resumer?.kick(), mcp: { calls, metrics } });
	const log: Logger = {
		debug: (message, meta) => app.log.debug(meta ?? {}, message),
		info: (message, meta) => app.log.info(meta ?? {}, message),
		warn: (message, meta) => app.log.warn(meta ?? {}, message),
		error: (message, meta) => app.log.error(meta ?? {}, message),
	};
	// Nodes read the policy from Redis: this runtime's config, signed, is the one every Safeguard applies.
	const publisher = new PolicyPublisher(config, safeguard, log);
	await publisher.start();
	late.log = log;
	const resumer = new Resumer(safeguard.approvals, safeguard.audit, log);
	late.resumer = resumer;
	const notices = new NoticeDispatcher(coordination.redis, prefix, channelsFrom(config.notices, log), config.publicUrl, log);
	await app.listen({ host: config.host, port: config.port });
	await notices.start();
	resumer.start();
	let gpu: GpuProxy | undefined;
	let gpuUrl: string | undefined;
	if (env.WIDIP_GPU_BACKENDS) {
		// Ollama's own port is 11434; the proxy sits beside it on 11435 unless told otherwise.
		const shared = /^(1|true|yes|on)$/i.test(env.WIDIP_GPU_SHARED_SLOTS ?? '');
		gpu = buildGpuProxy(parseGpuProxyConfig(env), { logger: log, shared: shared ? { redis: coordination.redis, prefix } : undefined });
		gpuUrl = await startGpuProxy(gpu, config.host, Number(env.WIDIP_GPU_PORT ?? 11435));
		if (!options.quiet) console.log(`widip: GPU proxy (Ollama API) at ${gpuUrl}`);
	}
	if (!options.quiet) {
		console.log(`widip: serving ${JSON.stringify(describeConfig(config))}`);
		if (config.env !== 'production') console.log(`widip: approval page at http://${config.host}:${config.port}/approvals`);
	}
	const address = app.server.address();
	const port = typeof address === 'object' && address ? address.port : config.port;
	return {
		url: `http://${config.host}:${port}`,
		gpuUrl,
		gpu,
		close: async () => {
			await gpu?.close();
			publisher.stop();
			await resumer.stop();
			await notices.stop();
			await app.close();
			await hub.close();
			await coordination.close();
		},
	};
}

/** `widip audit export`: every audit entry as one JSON object per line, on stdout. */
export async function exportAudit(env: NodeJS.ProcessEnv, args: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
	const sinceAt = args.indexOf('--since');
	let since: number | undefined;
	if (sinceAt >= 0) {
		const text = args[sinceAt + 1] ?? '';
		since = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
		if (!Number.isFinite(since)) {
			process.stderr.write('widip audit export: --since needs an ISO time, e.g. 2026-11-01T00:00:00Z\n');
			return 2;
		}
	}
	const config = loadConfig(env);
	const coordination = await Coordination.connect({ ...config.redis, reconnect: false });
	try {
		const safeguard = new Safeguard(coordination.redis, coordination.config.keyPrefix, catalogue);
		for await (const line of safeguard.audit.exportJsonLines(500, since)) {
			if (!out.write(`${line}\n`)) await new Promise((resolve) => out.once('drain', resolve));
		}
		return 0;
	} finally {
		await coordination.close();
	}
}

export async function main(argv: string[]): Promise<number> {
	const [command, sub] = argv;
	if (command === 'audit' && sub === 'export') {
		try {
			return await exportAudit(process.env, argv.slice(2));
		} catch (error) {
			process.stderr.write(error instanceof ConfigError ? `${error.message}\n` : `widip audit export: ${(error as Error).message}\n`);
			return error instanceof ConfigError ? 78 : 1;
		}
	}
	if (command !== 'serve') {
		process.stderr.write(USAGE);
		return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
	}
	try {
		const serving = await serve();
		const shutdown = (signal: string) => {
			console.log(`widip: ${signal}, stopping`);
			serving.close().then(
				() => process.exit(0),
				() => process.exit(1),
			);
		};
		process.once('SIGINT', () => shutdown('SIGINT'));
		process.once('SIGTERM', () => shutdown('SIGTERM'));
		return -1; // keeps running
	} catch (error) {
		if (error instanceof ConfigError) {
			process.stderr.write(`${error.message}\n`);
			return 78; // EX_CONFIG
		}
		process.stderr.write(`widip: cannot start: ${(error as Error).message}\n`);
		return 1;
	}
}

if (require.main === module) {
	main(process.argv.slice(2)).then(
		(code) => {
			// Not process.exit(): stdout to a pipe is written asynchronously, and exiting at once cut an
			// audit export short under load. Every connection is closed by now, so the process ends.
			if (code >= 0) process.exitCode = code;
		},
		(error: unknown) => {
			process.stderr.write(`widip: ${(error as Error).message}\n`);
			process.exit(1);
		},
	);
}
