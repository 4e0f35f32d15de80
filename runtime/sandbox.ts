/**
 * `npm run sandbox`: the safe-defaults demo of what exists so far. It finds (or starts) a local
 * Redis, runs Redis Helper and LLM Mutex operations through the catalogue exactly as the nodes do,
 * and shows five "agents" taking turns on the GPU lock, first come first served.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';

import { catalogue } from '../core/catalogue';
import { operationTable } from '../core/catalogue/markdown';
import { Coordination } from '../core/redis/coordination';

const HOST = process.env.WIDIP_REDIS_HOST ?? '127.0.0.1';
const PORT = Number(process.env.WIDIP_REDIS_PORT ?? 6379);

function reachable(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = net.connect(port, HOST, () => {
			socket.destroy();
			resolve(true);
		});
		socket.on('error', () => resolve(false));
	});
}

async function ensureRedis(): Promise<{ port: number; stop?: () => void }> {
	if (await reachable(PORT)) return { port: PORT };
	const port = 16379;
	console.log(`No Redis on ${HOST}:${PORT}; starting a throw-away redis-server on ${port}…`);
	const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
		stdio: 'ignore',
	});
	child.on('error', () => {
		console.error('redis-server is not installed: `apt-get install redis-server`, or set WIDIP_REDIS_HOST/PORT.');
		process.exit(1);
	});
	for (let i = 0; i < 100 && !(await reachable(port)); i++) await new Promise((r) => setTimeout(r, 50));
	return { port, stop: () => child.kill() };
}

async function main(): Promise<void> {
	const redis = await ensureRedis();
	const coordination = await Coordination.connect({ host: HOST, port: redis.port, keyPrefix: 'widip-sandbox:' });
	const clients = { redis: coordination };
	try {
		console.log('\nOperation catalogue (the single source of node fields, MCP tools and Safeguard levels):\n');
		console.log(operationTable(catalogue.list()));

		console.log('\nRedis Helper, through the catalogue:');
		console.log(' set  →', await catalogue.run('redis.set', { key: 'glpi_health_status', value: 'ok', ttlSeconds: 60 }, clients));
		console.log(' get  →', await catalogue.run('redis.get', { key: 'glpi_health_status' }, clients));
		console.log(' setnx →', await catalogue.run('redis.set_if_not_exists', { key: 'glpi_health_status', value: 'down' }, clients));

		console.log('\nLLM Mutex: five agents share one GPU, served in arrival order:');
		const agents = ['sentinel', 'notifier', 'assist-1', 'assist-2', 'batch'];
		await Promise.all(
			agents.map(async (agent, index) => {
				await new Promise((r) => setTimeout(r, index * 5));
				const grant = (await catalogue.run('redis.mutex_acquire', { lockName: 'gpu', ttlSeconds: 30, waitTimeoutSeconds: 10 }, clients)) as {
					token: string;
					fencingToken: number;
					waitedMs: number;
				};
				console.log(`  ${agent.padEnd(9)} holds the GPU (fencing #${grant.fencingToken}, waited ${grant.waitedMs} ms)`);
				await new Promise((r) => setTimeout(r, 40)); // "generation"
				await catalogue.run('redis.mutex_release', { lockName: 'gpu', token: grant.token }, clients);
			}),
		);
		console.log('\nSandbox done. Next: `npm test` runs every test, including the real-n8n e2e.');
	} finally {
		const keys = await coordination.redis.keys('widip-sandbox:*');
		if (keys.length) await coordination.redis.del(...keys);
		await coordination.close();
		redis.stop?.();
	}
}

main().catch((error) => {
	console.error(`sandbox failed: ${(error as Error).message}`);
	process.exit(1);
});
