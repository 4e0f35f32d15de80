import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';

import { Coordination } from '../../core/redis/coordination';
import type { RedisConfigInput } from '../../core/redis/config';

export const REDIS_HOST = process.env.WIDIP_TEST_REDIS_HOST ?? '127.0.0.1';
export const REDIS_PORT = Number(process.env.WIDIP_TEST_REDIS_PORT ?? 6379);

/**
 * A prefix of its own for each test file, so parallel test files never see each other's keys. One
 * segment after `widiptest:` (`cache-1a2b3c4d:`): a label such as `cache` or `lock` may not be a
 * prefix segment of its own (core/redis/config.ts).
 */
export function testPrefix(label: string): string {
	return `widiptest:${label}-${randomBytes(4).toString('hex')}:`;
}

export function testConfig(label: string, extra: Partial<RedisConfigInput> = {}): RedisConfigInput {
	return { host: REDIS_HOST, port: REDIS_PORT, keyPrefix: testPrefix(label), timeoutMs: 3000, ...extra };
}

export async function connectTest(label: string, extra: Partial<RedisConfigInput> = {}): Promise<Coordination> {
	return await Coordination.connect(testConfig(label, extra));
}

/** Deletes every key under the prefix (test clean-up). */
export async function dropPrefix(coordination: Coordination): Promise<void> {
	const keys = await coordination.redis.keys(`${coordination.config.keyPrefix}*`);
	if (keys.length > 0) await coordination.redis.del(...keys);
}

export async function freePort(): Promise<number> {
	return await new Promise((resolve, reject) => {
		const server = net.createServer();
		server.listen(0, '127.0.0.1', () => {
			const address = server.address() as net.AddressInfo;
			server.close(() => resolve(address.port));
		});
		server.on('error', reject);
	});
}

export interface SpawnedRedis {
	port: number;
	process: ChildProcess;
	stop(): Promise<void>;
}

/** A real, private redis-server (e.g. one that requires a password) on a free loopback port. */
export async function spawnRedis(args: string[] = [], fixedPort?: number): Promise<SpawnedRedis> {
	const port = fixedPort ?? (await freePort());
	const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args], {
		stdio: 'ignore',
	});
	const deadline = Date.now() + 10_000;
	for (;;) {
		const up = await new Promise<boolean>((resolve) => {
			const socket = net.connect(port, '127.0.0.1', () => {
				socket.destroy();
				resolve(true);
			});
			socket.on('error', () => resolve(false));
		});
		if (up) break;
		if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
	return {
		port,
		process: child,
		stop: () =>
			new Promise((resolve) => {
				// already gone: killed (signalCode) or exited (exitCode); a second stop() must not hang
				if (child.exitCode !== null || child.signalCode !== null) return resolve();
				child.once('exit', () => resolve());
				child.kill('SIGKILL');
			}),
	};
}

/** A TCP server that accepts connections and never answers: a hung Redis. */
export async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
	const sockets = new Set<net.Socket>();
	const server = net.createServer((socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		port: (server.address() as net.AddressInfo).port,
		close: () =>
			new Promise((resolve) => {
				for (const socket of sockets) socket.destroy();
				server.close(() => resolve());
			}),
	};
}
