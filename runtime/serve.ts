import { catalogue } from '../core/catalogue';
import type { Logger } from '../core/logger';
import { Coordination } from '../core/redis/coordination';
import { Safeguard } from '../core/safeguard/guard';
import type { CommandIo } from './command-io';
import { ConfigError, describeConfig, loadConfig, policyOf } from './config';
import { parseGpuProxyConfig } from './gpu/config';
import { buildGpuProxy, startGpuProxy, type GpuProxy } from './gpu/proxy';
import { McpCalls } from './mcp/calls';
import { McpMetrics } from './mcp/metrics';
import { channelsFrom, NoticeDispatcher } from './notices';
import { PolicyPublisher } from './policy-publisher';
import { Resumer } from './resumer';
import { EXIT } from './help';
import { buildServer } from './server';
import { ServiceHub } from './services';

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

/** Time given to a clean stop before the process is ended anyway (a client holding a stream open). */
const STOP_GRACE_MS = 10_000;

/**
 * `widip serve`: runs until SIGINT or SIGTERM, then closes everything and resolves 0, so the process
 * ends by itself with every line written.
 */
export async function serveCommand(argv: string[], io: CommandIo): Promise<number> {
	if (argv.length > 0) {
		io.stderr(`widip serve: unknown argument ${JSON.stringify(argv[0])}\nusage: widip serve (settings come from WIDIP_* variables: widip serve --help)\n`);
		return EXIT.usage;
	}
	let serving: Serving;
	try {
		serving = await serve(io.env);
	} catch (error) {
		if (error instanceof ConfigError) {
			io.stderr(`${error.message}\n`);
			return EXIT.config;
		}
		io.stderr(`widip: cannot start: ${(error as Error).message}\n`);
		return EXIT.connection;
	}
	const signal = await new Promise<string>((resolve) => {
		process.once('SIGINT', () => resolve('SIGINT'));
		process.once('SIGTERM', () => resolve('SIGTERM'));
	});
	io.stdout(`widip: ${signal}, stopping\n`);
	setTimeout(() => {
		io.stderr(`widip: not stopped after ${STOP_GRACE_MS / 1000} s, exiting\n`);
		process.exit(1);
	}, STOP_GRACE_MS).unref();
	await serving.close();
	return EXIT.ok;
}
