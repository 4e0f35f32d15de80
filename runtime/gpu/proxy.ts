import type { ServerResponse } from 'node:http';
import { finished, type Readable } from 'node:stream';

import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Pool } from 'undici';

import { silentLogger, type Logger } from '../../core/logger';
import { bearer, matchKey } from '../api-keys';
import type { GpuProxyConfig } from './config';
import { GpuMetrics } from './metrics';
import { GpuScheduler, PRIORITY_CLASSES, SchedulerError, type Backend, type PriorityClass } from './scheduler';
import { LocalSlots, RedisSlots, type SlotPool } from './slots';

/** Generation routes: they take a GPU slot. Ollama streams by default, OpenAI does not. */
const SCHEDULED: Record<string, { streamDefault: boolean; ollama: boolean }> = {
	'/api/chat': { streamDefault: true, ollama: true },
	'/api/generate': { streamDefault: true, ollama: true },
	'/api/embed': { streamDefault: false, ollama: true },
	'/api/embeddings': { streamDefault: false, ollama: true },
	'/v1/chat/completions': { streamDefault: false, ollama: false },
	'/v1/completions': { streamDefault: false, ollama: false },
	'/v1/embeddings': { streamDefault: false, ollama: false },
};

/** Listing routes: straight through, never queued. Lists are merged across backends. */
const LISTS: Record<string, { method: 'GET' | 'POST'; merge?: 'models' | 'data' }> = {
	'/api/tags': { method: 'GET', merge: 'models' },
	'/api/ps': { method: 'GET', merge: 'models' },
	'/api/version': { method: 'GET' },
	'/api/show': { method: 'POST' },
	'/v1/models': { method: 'GET', merge: 'data' },
};

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'te', 'trailer', 'content-length']);

export interface GpuProxy {
	readonly app: FastifyInstance;
	readonly scheduler: GpuScheduler;
	readonly metrics: GpuMetrics;
	readonly backends: Backend[];
	/** Reads every backend's model list now (also done on start and every `modelRefreshMs`). */
	refreshModels(): Promise<void>;
	close(): Promise<void>;
}

function ollamaError(reply: FastifyReply, status: number, message: string, retryAfterSeconds?: number) {
	if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds));
	return reply.code(status).send({ error: message });
}

/**
 * `source.pipe(target)`, settled when stream/promises' pipeline() settles: the first error destroys
 * both, and the promise settles once both have reported (for an error, only after the response's
 * 'close'), so the handler's catch sees the same state as before. Not pipeline() itself: it aborts
 * a private AbortController on every successful finish, and the DOMException that abort() builds
 * (with a stack trace) was the most expensive single step of a proxied request.
 */
function relay(source: Readable, target: ServerResponse): Promise<void> {
	return new Promise((resolve, reject) => {
		let failure: Error | undefined;
		let pending = 2;
		const done = (error?: Error | null) => {
			if (error && !failure) {
				failure = error;
				source.destroy();
				target.destroy();
			}
			if (--pending > 0) return;
			if (failure) reject(failure);
			else resolve();
		};
		// The watchers stay attached afterwards (as pipeline's do): a late 'error' lands on them.
		finished(source, done);
		finished(target, done);
		source.pipe(target);
	});
}

/** Counters from the end of an answer (NDJSON's last line, a JSON body, OpenAI's usage). */
function readCounts(tail: string): { evalCount?: number; evalDurationNs?: number } {
	const evalCount = /"eval_count"\s*:\s*(\d+)/.exec(tail) ?? /"completion_tokens"\s*:\s*(\d+)/.exec(tail);
	const evalDuration = /"eval_duration"\s*:\s*(\d+)/.exec(tail);
	return { evalCount: evalCount ? Number(evalCount[1]) : undefined, evalDurationNs: evalDuration ? Number(evalDuration[1]) : undefined };
}

/**
 * A proxy that speaks Ollama's API (and its OpenAI-compatible routes) and puts one queue in front
 * of the GPU(s): n8n's Ollama nodes, the `ollama` library and OpenAI clients use it unchanged.
 */
export function buildGpuProxy(config: GpuProxyConfig, options: { logger?: Logger; shared?: { redis: import('ioredis').default; prefix: string } } = {}): GpuProxy {
	const logger = options.logger ?? silentLogger;
	const pools = new Map<string, Pool>();
	const slotPools: SlotPool[] = [];
	const backends: Backend[] = config.backends.map((spec) => {
		const pool: SlotPool = options.shared
			? new RedisSlots(options.shared.redis, options.shared.prefix, spec.name, spec.slots, {
					leaseMs: config.leaseMs,
					onLeaseLost: (name) => logger.warn('GPU slot lease lost (Redis unreachable or too slow)', { backend: name }),
				})
			: new LocalSlots(spec.slots);
		slotPools.push(pool);
		// Keep-alive connections, a few more than slots so listing calls never wait behind generations.
		pools.set(spec.name, new Pool(spec.url, { connections: spec.slots + 8, keepAliveTimeout: 30_000 }));
		return { name: spec.name, url: spec.url, pool, running: 0 };
	});
	const scheduler = new GpuScheduler(backends, config.scheduler, {
		onReject: (reason, priority) => metrics.rejected(reason, priority),
	});
	const metrics = new GpuMetrics(scheduler, backends);
	const keys = config.keys;

	// On shutdown every connection is cut, streams included: clients of a stopping proxy retry elsewhere.
	const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024, keepAliveTimeout: 65_000, forceCloseConnections: true });
	app.removeAllContentTypeParsers();
	app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

	/** The caller's class: the key's ceiling, lowered (never raised) by an `X-Widip-Priority` header. */
	function priorityOf(request: FastifyRequest): { priority: PriorityClass; client: string } | { error: number; message: string } {
		let ceiling: PriorityClass = config.defaultPriority;
		let client = 'anonymous';
		if (keys.length > 0) {
			const presented = bearer(request);
			if (!presented) return { error: 401, message: 'an API key is required: Authorization: Bearer <key>' };
			const found = matchKey(presented, keys);
			if (!found) return { error: 401, message: 'unknown API key' };
			ceiling = found.priority;
			client = found.name;
		}
		const asked = request.headers['x-widip-priority'];
		if (asked === undefined) return { priority: ceiling, client };
		const wanted = String(asked).trim().toLowerCase() as PriorityClass;
		if (!PRIORITY_CLASSES.includes(wanted)) return { error: 400, message: `X-Widip-Priority must be one of ${PRIORITY_CLASSES.join(', ')}` };
		const allowed = PRIORITY_CLASSES.indexOf(wanted) >= PRIORITY_CLASSES.indexOf(ceiling) || keys.length === 0;
		return { priority: allowed ? wanted : ceiling, client };
	}

	async function forward(backend: Backend, method: string, path: string, body: Buffer | undefined, signal: AbortSignal, extraHeaders: Record<string, string>) {
		const upstream = await pools.get(backend.name)!.request({
			method: method as 'GET' | 'POST',
			path,
			headers: body ? { 'content-type': 'application/json', ...extraHeaders } : extraHeaders,
			body,
			signal,
		});
		const headers: Record<string, string | string[]> = {};
		for (const [name, value] of Object.entries(upstream.headers)) {
			if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
		}
		return { upstream, headers };
	}

	for (const [path, route] of Object.entries(SCHEDULED)) {
		app.post(path, async (request, reply) => {
			const who = priorityOf(request);
			if ('error' in who) {
				metrics.rejected(who.error === 401 ? 'unauthorised' : 'bad_request', 'unknown');
				return await ollamaError(reply, who.error, who.message);
			}
			let payload: Record<string, unknown>;
			try {
				payload = JSON.parse((request.body as Buffer | undefined)?.toString('utf8') || '{}') as Record<string, unknown>;
				if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw new Error('not an object');
			} catch {
				metrics.rejected('bad_request', who.priority);
				return await ollamaError(reply, 400, 'invalid JSON body');
			}
			const model = typeof payload.model === 'string' ? payload.model : '';
			if (!model) {
				metrics.rejected('bad_request', who.priority);
				return await ollamaError(reply, 400, 'model is required');
			}
			let body = request.body as Buffer;
			if (route.ollama && config.keepAlive !== undefined && payload.keep_alive === undefined) {
				body = Buffer.from(JSON.stringify({ ...payload, keep_alive: config.keepAlive }));
			}
			const res: ServerResponse = reply.raw;
			const controller = new AbortController();
			// The response closing before it finished = the client went away: drop or abort.
			res.on('close', () => {
				if (!res.writableFinished) controller.abort();
			});
			let grant;
			try {
				grant = await scheduler.acquire({ priority: who.priority, model, client: who.client, signal: controller.signal });
			} catch (error) {
				if (error instanceof SchedulerError) {
					if (error.reason === 'aborted') return reply.hijack();
					return await ollamaError(reply, 503, error.message, error.retryAfterSeconds);
				}
				throw error;
			}
			const { backend } = grant;
			const started = performance.now();
			metrics.waited(who.priority, grant.waitedMs);
			metrics.running(backend);
			let tail = '';
			try {
				// The effective class travels on: harmless to Ollama, visible to a recording backend.
				const { upstream, headers } = await forward(backend, 'POST', path, body, controller.signal, { 'x-widip-priority': who.priority });
				reply.hijack();
				headers['x-widip-queue-wait-ms'] = grant.waitedMs.toFixed(2);
				res.writeHead(upstream.statusCode, headers);
				// Flush headers at once so a streaming client sees its answer begin without delay; when
				// body bytes are already buffered, the first write (next tick) carries them: one packet, not two.
				if (upstream.body.readableLength === 0) res.flushHeaders();
				upstream.body.on('data', (chunk: Buffer) => {
					tail = (tail + chunk.toString('utf8')).slice(-4096);
				});
				await relay(upstream.body, res);
			} catch (error) {
				if (controller.signal.aborted) {
					logger.info('Client went away; upstream generation aborted', { backend: backend.name, model });
				} else if (!res.headersSent) {
					logger.warn('GPU backend unreachable', { backend: backend.name, error: (error as Error).message });
					reply.hijack();
					res.writeHead(502, { 'content-type': 'application/json; charset=utf-8' });
					res.end(JSON.stringify({ error: `GPU backend ${backend.name} is unreachable` }));
				} else {
					res.destroy();
				}
			} finally {
				grant.release();
				metrics.running(backend);
				const counts = readCounts(tail);
				metrics.served(who.priority, model, performance.now() - started, counts.evalCount, counts.evalDurationNs);
			}
			return reply;
		});
	}

	for (const [path, route] of Object.entries(LISTS)) {
		const handler = async (request: FastifyRequest, reply: FastifyReply) => {
			const who = priorityOf(request);
			if ('error' in who) return await ollamaError(reply, who.error, who.message);
			const body = route.method === 'POST' ? (request.body as Buffer | undefined) : undefined;
			const targets = route.merge ? backends : [backends[0]];
			const answers = await Promise.all(
				targets.map(async (backend) => {
					try {
						const upstream = await pools.get(backend.name)!.request({
							method: route.method,
							path,
							headers: body ? { 'content-type': 'application/json' } : {},
							body,
						});
						return { status: upstream.statusCode, json: (await upstream.body.json()) as Record<string, unknown> };
					} catch (error) {
						logger.warn('GPU backend unreachable', { backend: backend.name, error: (error as Error).message });
						return undefined;
					}
				}),
			);
			const ok = answers.filter((answer) => answer !== undefined);
			if (ok.length === 0) return await ollamaError(reply, 502, 'no GPU backend is reachable');
			if (!route.merge || ok.length === 1) return await reply.code(ok[0].status).send(ok[0].json);
			const field = route.merge;
			const seen = new Set<string>();
			const merged: unknown[] = [];
			for (const answer of ok) {
				for (const item of (answer.json[field] as Array<Record<string, unknown>>) ?? []) {
					const name = String(item.name ?? item.id ?? JSON.stringify(item));
					if (seen.has(name)) continue;
					seen.add(name);
					merged.push(item);
				}
			}
			return await reply.send({ ...ok[0].json, [field]: merged });
		};
		if (route.method === 'GET') app.get(path, handler);
		else app.post(path, handler);
	}

	app.get('/metrics', async (_request, reply) => {
		return await reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
	});

	app.get('/queue', async () => ({
		waiting: scheduler.snapshot(),
		running: backends.map((backend) => ({ backend: backend.name, running: backend.running, slots: backend.pool.size, loadedModel: backend.loadedModel ?? null })),
	}));

	async function refreshModels(): Promise<void> {
		await Promise.all(
			backends.map(async (backend) => {
				try {
					const upstream = await pools.get(backend.name)!.request({ method: 'GET', path: '/api/tags', headersTimeout: 5000, bodyTimeout: 5000 });
					const { models } = (await upstream.body.json()) as { models?: Array<{ name?: string; model?: string }> };
					backend.models = new Set((models ?? []).flatMap((entry) => [entry.name, entry.model].filter((name): name is string => Boolean(name))));
				} catch (error) {
					logger.warn('Cannot list the models of a GPU backend', { backend: backend.name, error: (error as Error).message });
				}
			}),
		);
	}
	const refresher = setInterval(() => void refreshModels(), config.modelRefreshMs);
	refresher.unref();

	return {
		app,
		scheduler,
		metrics,
		backends,
		refreshModels,
		close: async () => {
			clearInterval(refresher);
			scheduler.close();
			await app.close();
			await Promise.all([...pools.values()].map((pool) => pool.close()));
			await Promise.all(slotPools.map((pool) => pool.close()));
		},
	};
}

/** Starts the shared-slot subscriptions (replicas) and listens. */
export async function startGpuProxy(proxy: GpuProxy, host: string, port: number): Promise<string> {
	for (const backend of proxy.backends) if (backend.pool instanceof RedisSlots) await backend.pool.start();
	await proxy.refreshModels();
	await proxy.app.listen({ host, port });
	const address = proxy.app.server.address();
	return `http://${host}:${typeof address === 'object' && address ? address.port : port}`;
}
