/**
 * A child process standing for an n8n worker process with several executions at once: `workers`
 * connections of its own, each one delivering alerts to intake. Prints `ready` once connected, waits
 * for `go` on stdin (so every process starts together), then prints one JSON line: the decisions.
 *
 * argv: prefix, workers, alerts (JSON array: the alert each worker i delivers is alerts[i % length]), now (ms)
 */
import { createInterface } from 'node:readline';

import type { IncidentAlert } from '../../core/incident/alert';
import { resolveSettings } from '../../core/incident/settings';
import { Coordination } from '../../core/redis/coordination';

async function main(): Promise<void> {
	const [prefix, workers, alertsJson, now, offset] = process.argv.slice(2);
	const alerts = JSON.parse(alertsJson) as IncidentAlert[];
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
	// Scripts loaded on every connection first, so the race below is about intake, not SCRIPT LOAD.
	await Promise.all(connections.map((connection) => connection.redis.ping()));
	process.stdout.write('ready\n');
	const lines = createInterface({ input: process.stdin });
	await new Promise<void>((resolve) => lines.once('line', () => resolve()));
	const settings = resolveSettings();
	const results = await Promise.all(
		connections.map(async (connection, i) => {
			const alert = alerts[(i + Number(offset ?? 0)) % alerts.length];
			const result = await connection.incidents.intake(alert, settings, Number(now));
			return { decision: result.decision, reason: result.reason, incident: result.incident?.id ?? null, claim: result.diagnosisClaim !== null };
		}),
	);
	process.stdout.write(`${JSON.stringify(results)}\n`);
	lines.close();
	await Promise.all(connections.map((connection) => connection.close()));
}

main().catch((error: unknown) => {
	process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
	process.exit(1);
});
