/**
 * A child process of Assist-like workers sharing GLPI tickets through ticket claims.
 *
 * argv: prefix, 'work', workers, tickets (N: ids 1..N), ttlSeconds
 *   Prints `{"ready":true}`, reads the start time (epoch ms) from stdin, then each worker, on its own
 *   Redis connection, loops over the tickets in its own random order: claim → handle (append
 *   `<ticket> <pid>/<worker>` to the list `<prefix>test:handled`) → complete, until a whole pass
 *   finds every ticket done. Prints one JSON summary line.
 * argv: prefix, 'hold', ticketId, ttlSeconds
 *   Claims the ticket, prints `{"claimed":…,"expiresAt":…}` and never completes it: the parent
 *   SIGKILLs it while it holds the claim.
 */
import { Coordination } from '../../core/redis/coordination';

const connect = (prefix: string) =>
	Coordination.connect({
		host: process.env.WIDIP_TEST_REDIS_HOST ?? '127.0.0.1',
		port: Number(process.env.WIDIP_TEST_REDIS_PORT ?? 6379),
		keyPrefix: prefix,
		timeoutMs: 5000,
	});

function shuffled(n: number): number[] {
	const ids = Array.from({ length: n }, (_, i) => i + 1);
	for (let i = ids.length - 1; i > 0; i--) {
		const j = Math.floor(Math.random() * (i + 1));
		[ids[i], ids[j]] = [ids[j], ids[i]];
	}
	return ids;
}

async function main(): Promise<void> {
	const [prefix, mode, a, b, c] = process.argv.slice(2);
	if (mode === 'hold') {
		const coordination = await connect(prefix);
		const result = await coordination.claims.claim(Number(a), { ttlSeconds: Number(b), owner: `killed-${process.pid}` });
		process.stdout.write(`${JSON.stringify(result)}\n`);
		setInterval(() => undefined, 1000);
		return;
	}

	const [workers, tickets, ttlSeconds] = [Number(a), Number(b), Number(c)];
	const connections = await Promise.all(Array.from({ length: workers }, () => connect(prefix)));
	await Promise.all(connections.map((connection) => connection.claims.release(1, '0'.repeat(32)))); // scripts loaded
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
	const counts = { handled: 0, held: 0, done: 0, refusedCompletes: 0 };
	await Promise.all(
		connections.map(async (coordination, worker) => {
			const owner = `${process.pid}/${worker}`;
			for (;;) {
				let allDone = true;
				for (const id of shuffled(tickets)) {
					const claim = await coordination.claims.claim(id, { ttlSeconds, owner });
					if (!claim.claimed) {
						if (claim.reason === 'held') {
							counts.held++;
							allDone = false;
						} else counts.done++;
						continue;
					}
					allDone = false;
					await coordination.redis.rpush(`${prefix}test:handled`, `${id} ${owner}`);
					await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
					const completed = await coordination.claims.complete(id, claim.token, { owner });
					if (completed.completed) counts.handled++;
					else counts.refusedCompletes++;
				}
				if (allDone) break;
			}
		}),
	);
	process.stdout.write(`${JSON.stringify({ pid: process.pid, ...counts })}\n`);
	await Promise.all(connections.map((connection) => connection.close()));
}

main().catch((error) => {
	process.stderr.write(`${String(error?.stack ?? error)}\n`);
	process.exit(1);
});
