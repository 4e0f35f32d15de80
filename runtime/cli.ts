import { Coordination } from '../core/redis/coordination';
import { ConfigError, describeConfig, loadConfig } from './config';
import { buildServer } from './server';

const USAGE = `usage: widip serve

Starts the WIDIP runtime (health and Safeguard approvals) from the environment:
  WIDIP_ENV=production|development   WIDIP_HOST (127.0.0.1)   WIDIP_PORT (8080)
  WIDIP_REDIS_URL or WIDIP_REDIS_HOST / WIDIP_REDIS_PORT / WIDIP_REDIS_PASSWORD, WIDIP_REDIS_PREFIX
  WIDIP_SAFEGUARD_ENABLED (true)   WIDIP_TECHNICIAN_KEYS / WIDIP_AGENT_KEYS (name:key,name:key)
  WIDIP_L1_MIN_CONFIDENCE (80)   WIDIP_APPROVAL_TTL_MINUTES (60)   WIDIP_CONFIG_FILE (JSON, same names)
`;

export async function serve(env: NodeJS.ProcessEnv = process.env): Promise<() => Promise<void>> {
	const config = loadConfig(env);
	const coordination = await Coordination.connect(config.redis);
	const app = buildServer(config, { coordination, logger: true });
	await app.listen({ host: config.host, port: config.port });
	console.log(`widip: serving ${JSON.stringify(describeConfig(config))}`);
	if (config.env !== 'production') console.log(`widip: approval page at http://${config.host}:${config.port}/approvals`);
	return async () => {
		await app.close();
		await coordination.close();
	};
}

export async function main(argv: string[]): Promise<number> {
	const [command] = argv;
	if (command !== 'serve') {
		process.stderr.write(USAGE);
		return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
	}
	try {
		const stop = await serve();
		const shutdown = (signal: string) => {
			console.log(`widip: ${signal}, stopping`);
			stop().then(
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
			if (code >= 0) process.exit(code);
		},
		(error: unknown) => {
			process.stderr.write(`widip: ${(error as Error).message}\n`);
			process.exit(1);
		},
	);
}
