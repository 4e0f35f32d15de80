import { catalogue } from '../core/catalogue';
import { Coordination } from '../core/redis/coordination';
import { Safeguard } from '../core/safeguard/guard';
import type { CommandIo } from './command-io';
import { ConfigError, loadConfig } from './config';
import { EXIT } from './help';

/**
 * `widip audit export [--since <ISO time>]`: every audit entry as one JSON object per line, oldest
 * first. Lines go to a stream, not io.stdout, because an export can be large: waiting for 'drain'
 * keeps memory flat when the reader is slower than Redis.
 */
export async function auditExportCommand(argv: string[], io: CommandIo, out: NodeJS.WritableStream = process.stdout): Promise<number> {
	let since: number | undefined;
	for (let i = 0; i < argv.length; i++) {
		if (argv[i] !== '--since') {
			io.stderr(`widip audit export: unknown argument ${JSON.stringify(argv[i])}\nusage: widip audit export [--since <ISO time>]\n`);
			return EXIT.usage;
		}
		const text = argv[++i] ?? '';
		since = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
		if (!Number.isFinite(since)) {
			io.stderr('widip audit export: --since needs an ISO time, e.g. 2026-11-01T00:00:00Z\n');
			return EXIT.usage;
		}
	}
	let coordination: Coordination;
	try {
		const config = loadConfig(io.env);
		coordination = await Coordination.connect({ ...config.redis, reconnect: false });
	} catch (error) {
		if (error instanceof ConfigError) {
			io.stderr(`${error.message}\n`);
			return EXIT.config;
		}
		io.stderr(`widip audit export: ${(error as Error).message}\n`);
		return EXIT.connection;
	}
	try {
		const safeguard = new Safeguard(coordination.redis, coordination.config.keyPrefix, catalogue);
		for await (const line of safeguard.audit.exportJsonLines(500, since)) {
			if (!out.write(`${line}\n`)) await new Promise((resolve) => out.once('drain', resolve));
		}
		return EXIT.ok;
	} catch (error) {
		// Redis lost mid-export: a connection failure, like not reaching it at all.
		io.stderr(`widip audit export: ${(error as Error).message}\n`);
		return EXIT.connection;
	} finally {
		await coordination.close();
	}
}
