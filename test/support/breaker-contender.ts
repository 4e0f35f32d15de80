/**
 * A child process with several workers, each on its own Redis connection, that hit one circuit
 * breaker at the same moment. It prints `{"ready":true}` once connected, reads the start time (epoch
 * ms) from stdin, waits for it, then prints one JSON line with every worker's answers.
 *
 * argv: prefix, service, workers, mode ('check' | 'fail'), reports per worker (mode 'fail'), settings JSON
 */
import { Coordination } from '../../core/redis/coordination';

async function main(): Promise<void> {
	const [prefix, service, workers, mode, each, settingsJson] = process.argv.slice(2);
	const settings = JSON.parse(settingsJson) as Record<string, number>;
	const connections = await Promise.all(
		Array.from({ length: Number(workers) }, () =>
			Coordination.connect({
				host: process.env.WIDIP_TEST_REDIS_HOST ?? '127.0.0.1',
				port: Number(process.env.WIDIP_TEST_REDIS_PORT ?? 6379),
				keyPrefix: prefix,
				timeoutMs: 5000,
			}),
		),
	);
	// load the scripts now, so the first call at the start time is one EVALSHA like every other
	await Promise.all(connections.map((c) => c.breakers.status(service)));
	process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
	const startAt = await new Promise<number>((resolve) => {
		let input = '';
		process.stdin.on('data', (chunk: Buffer) => {
			input += chunk.toString();
			if (!input.includes('\n')) return;
			process.stdin.destroy(); // an open stdin would keep this process alive
			resolve(Number(input.trim()));
		});
	});
	await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));
	const results = await Promise.all(
		connections.map(async (c) => {
			if (mode === 'check') return [await c.breakers.check(service, settings)];
			const reports = [];
			for (let i = 0; i < Number(each); i++) reports.push(await c.breakers.record(service, 'failure', settings));
			return reports;
		}),
	);
	process.stdout.write(`${JSON.stringify({ pid: process.pid, results })}\n`);
	await Promise.all(connections.map((c) => c.close()));
}

main().catch((error) => {
	process.stderr.write(`${String(error?.stack ?? error)}\n`);
	process.exit(1);
});
