import { spawn } from 'node:child_process';
import http from 'node:http';

import { Coordination } from '../../core/redis/coordination';
import { serve, type Serving } from '../../runtime/serve';
import { createGlpiSimulator, type GlpiSimulator } from '../../sandbox/simulators/glpi/server';
import { createObserviumSimulator, type ObserviumSimulator } from '../../sandbox/simulators/observium';
import { REDIS_HOST, REDIS_PORT, testPrefix } from '../support/redis';

/** Agent keys of the MCP tests; `other` may use only the assist toolset. */
export const KEYS = {
	sentinel: 'sentinel-key-0123456789abcdefghij',
	assist: 'assist-key-0123456789abcdefghijkl',
	other: 'other-agent-key-0123456789abcdefgh',
	tech: 'technician-key-0123456789abcdefghi',
};
const GLPI_APP_TOKEN = 'mcp-test-app-token-0123';
const OBSERVIUM_PASSWORD = 'mcp-test-observium-password';

export interface McpRuntime {
	runtime: Serving;
	glpi: GlpiSimulator;
	observium: ObserviumSimulator;
	/** The runtime's port on 127.0.0.1. */
	port: number;
	/** Its Redis key prefix. */
	prefix: string;
	close(): Promise<void>;
}

/**
 * `widip serve` as server.test.ts starts it: the GLPI and Observium simulators behind it, real
 * Redis under a prefix of its own; `env` adds or overrides WIDIP_* settings.
 */
export async function startRuntime(label: string, env: Record<string, string> = {}): Promise<McpRuntime> {
	const prefix = testPrefix(label);
	const glpi = createGlpiSimulator({ appToken: GLPI_APP_TOKEN });
	const observium = createObserviumSimulator({ password: OBSERVIUM_PASSWORD });
	const [glpiUrl] = await Promise.all([glpi.start(), observium.start(0, '127.0.0.1')]);
	const runtime = await serve(
		{
			WIDIP_PORT: '0',
			WIDIP_REDIS_HOST: REDIS_HOST,
			WIDIP_REDIS_PORT: String(REDIS_PORT),
			WIDIP_REDIS_PREFIX: prefix,
			WIDIP_TECHNICIAN_KEYS: `tech.martin:${KEYS.tech}`,
			WIDIP_AGENT_KEYS: `sentinel:${KEYS.sentinel},assist:${KEYS.assist},other:${KEYS.other}`,
			WIDIP_MCP_AGENT_TOOLSETS: 'other:assist',
			WIDIP_SAFEGUARD_SECRET: 'mcp-test-safeguard-secret-0123456789abc',
			WIDIP_GLPI_URL: `${glpiUrl}/apirest.php`,
			WIDIP_GLPI_APP_TOKEN: GLPI_APP_TOKEN,
			WIDIP_GLPI_USER_TOKEN: 'widip-sim-user-token',
			WIDIP_GLPI_TIME_ZONE: 'UTC',
			WIDIP_OBSERVIUM_URL: `${observium.url}/api/v0`,
			WIDIP_OBSERVIUM_USERNAME: observium.username,
			WIDIP_OBSERVIUM_PASSWORD: OBSERVIUM_PASSWORD,
			...env,
		},
		{ quiet: true },
	);
	return {
		runtime,
		glpi,
		observium,
		port: Number(new URL(runtime.url).port),
		prefix,
		close: async () => {
			await runtime.close();
			await glpi.stop();
			await observium.stop();
			const probe = await Coordination.connect({ host: REDIS_HOST, port: REDIS_PORT, keyPrefix: prefix });
			const keys = await probe.redis.keys(`${prefix}*`);
			if (keys.length > 0) await probe.redis.del(...keys);
			await probe.close();
		},
	};
}

export interface RawResponse {
	status: number;
	headers: http.IncomingHttpHeaders;
	body: string;
}

/**
 * One request with node:http, which (unlike fetch) sends the Host header it is given: what a
 * browser tricked by DNS rebinding sends.
 */
export async function rawRequest(
	port: number,
	method: string,
	path: string,
	headers: Record<string, string>,
	body?: string,
): Promise<RawResponse> {
	return await new Promise((resolve, reject) => {
		const request = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (response) => {
			const chunks: Buffer[] = [];
			response.on('data', (chunk: Buffer) => chunks.push(chunk));
			response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
			response.on('error', reject);
		});
		request.on('error', reject);
		request.end(body);
	});
}

export const INITIALIZE = JSON.stringify({
	jsonrpc: '2.0',
	id: 1,
	method: 'initialize',
	params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'widip-test', version: '1' } },
});

export const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

export interface Run {
	code: number | null;
	stdout: string;
	stderr: string;
}

/** Runs a node script (a CLI's entry point) with this Node, collecting its output. */
export async function runNode(script: string, args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<Run> {
	return await new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [script, ...args], { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
		child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
		const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
		child.on('error', (error) => {
			clearTimeout(timer);
			reject(error);
		});
		child.on('close', (code) => {
			clearTimeout(timer);
			resolve({ code, stdout, stderr });
		});
	});
}
