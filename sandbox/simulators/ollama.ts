import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

import { catalogueRoutes, refusal, sendRefusal } from './ollama-catalogue';
import { encoderFor, type Outcome, type Route } from './ollama-formats';
import {
	countWords,
	defaultText,
	keepAliveMs,
	loadScenario,
	normaliseModel,
	pickReply,
	sleep,
	textOf,
	tokenise,
	type ChatTurn,
	type OllamaRequestBody as Body,
	type Scenario,
	type ScenarioInput,
	type ScenarioToolCall,
} from './ollama-model';

/**
 * A scripted Ollama for tests, benchmarks and the sandbox. It speaks Ollama's HTTP API (docs/api.md)
 * and its OpenAI-compatible /v1 routes closely enough for the official `ollama` and `openai`
 * clients, answers from a scenario instead of a model, paces tokens like a GPU would, and records
 * when each generation started, first wrote and ended, so a test can see whether a proxy in front
 * of it ever let two jobs overlap, how long the GPU sat idle between jobs, and who was aborted.
 */

export interface FakeOllamaConfig {
	/** Installed models; bare names mean `:latest`, as in Ollama. */
	models: string[];
	/** Wait before the first token: the prompt evaluation. */
	latencyMs: number;
	/** Streaming pace; 0 or Infinity sends every token at once. */
	tokensPerSecond: number;
	/** Words in the default answer (scenario answers keep their own length). */
	tokens: number;
	/** Extra wait when the requested model is not the loaded one: a model swap. */
	loadMs: number;
	embeddingDimensions: number;
	version: string;
}

export interface FakeOllamaOptions extends Partial<FakeOllamaConfig> {
	/** A scenario file path, a scenario object or a bare list of rules. */
	scenario?: ScenarioInput;
	logger?: boolean;
}

/** One request on a generation route. Times are `performance.now()` milliseconds of this process. */
export interface GenerationRecord {
	id: number;
	path: string;
	model: string;
	/** `x-widip-priority`, as the GPU proxy forwarded it. */
	priorityHeader?: string;
	stream: boolean;
	/** This request paid `loadMs` because another model (or none) was loaded. */
	swapped: boolean;
	/** Tokens in the planned answer, and how many were written before the end or the abort. */
	tokens: number;
	tokensSent: number;
	startedAt: number;
	firstByteAt?: number;
	/** Set once the server stops working on it: its last write, or the abort. */
	endedAt?: number;
	aborted: boolean;
	abortedAt?: number;
	/** The conversation the model was shown (tool names it called before), and the tools it called now. */
	turns: ChatTurn[];
	replyToolCalls: string[];
	/** Names of the tools the request offered. */
	offeredTools: string[];
}

export const DEFAULT_FAKE_OLLAMA_CONFIG: Readonly<FakeOllamaConfig> = {
	models: ['qwen2.5:7b', 'nomic-embed-text'],
	latencyMs: 0,
	tokensPerSecond: 0,
	tokens: 16,
	loadMs: 0,
	embeddingDimensions: 16,
	version: '0.12.0',
};

interface Job {
	route: Route;
	model: string;
	stream: boolean;
	turns: ChatTurn[];
	offeredTools: string[];
	reply: { content: string; toolCalls: ScenarioToolCall[] };
	maxTokens?: number;
	keepAliveMs: number;
	includeUsage: boolean;
	/** Ollama's preload/unload call: a generate without prompt or a chat without messages. */
	loadOnly: boolean;
}

interface LoadedModel {
	name: string;
	readyAt: number;
	expiresAt: number;
	users: number;
}

export class FakeOllama {
	readonly app: FastifyInstance;
	private config: FakeOllamaConfig;
	private scenario: Scenario;
	private log: GenerationRecord[] = [];
	private nextId = 1;
	private running = 0;
	private peak = 0;
	private loaded?: LoadedModel;
	private address?: string;
	private readonly inFlight = new Set<Promise<void>>();

	constructor(options: FakeOllamaOptions = {}) {
		const { scenario, logger, ...config } = options;
		this.config = { ...DEFAULT_FAKE_OLLAMA_CONFIG, ...config };
		this.scenario = loadScenario(scenario);
		// forceCloseConnections: clients keep connections alive, and stop() must not wait for them.
		this.app = Fastify({ logger: logger ?? false, forceCloseConnections: true });
		this.routes();
	}

	/** Changes the behaviour for requests that start from now on (running ones keep theirs). */
	configure(changes: Partial<FakeOllamaConfig> & { scenario?: ScenarioInput }): FakeOllamaConfig {
		const { scenario, ...config } = changes;
		for (const [key, value] of Object.entries(config)) {
			if (typeof value === 'number' && !(value >= 0)) throw new Error(`${key} must be a number ≥ 0`);
		}
		if (config.models !== undefined && !(Array.isArray(config.models) && config.models.every((name) => typeof name === 'string'))) {
			throw new Error('models must be a list of model names');
		}
		if (scenario !== undefined) this.scenario = loadScenario(scenario);
		this.config = { ...this.config, ...config };
		return this.settings;
	}

	get settings(): FakeOllamaConfig {
		return { ...this.config, models: [...this.config.models] };
	}

	/** Copies, so a test's snapshot does not move while requests continue. */
	records(): GenerationRecord[] {
		return this.log.map((record) => ({ ...record }));
	}

	/** Forgets the records and the concurrency peak; the loaded model stays (see unload()). */
	reset(): void {
		this.log = [];
		this.peak = this.running;
	}

	/** Empties the GPU: the next generation pays `loadMs`. */
	unload(): void {
		this.loaded = undefined;
	}

	get active(): number {
		return this.running;
	}

	get maxConcurrency(): number {
		return this.peak;
	}

	get loadedModel(): string | undefined {
		this.expireIdle();
		return this.loaded?.name;
	}

	async start(port = 0, host = '127.0.0.1'): Promise<string> {
		await this.app.listen({ port, host });
		const address = this.app.server.address();
		this.address = `http://${host}:${typeof address === 'object' && address ? address.port : port}`;
		return this.address;
	}

	get url(): string {
		if (!this.address) throw new Error('the fake Ollama is not started');
		return this.address;
	}

	/** Cuts open connections; running generations see the disconnect and are recorded aborted. */
	async stop(): Promise<void> {
		await this.app.close();
		await Promise.allSettled([...this.inFlight]);
	}

	private routes(): void {
		const app = this.app;
		catalogueRoutes(app, {
			settings: () => this.config,
			loaded: () => {
				this.expireIdle();
				const model = this.loaded;
				if (!model) return undefined;
				const noExpiry = model.users > 0 || !Number.isFinite(model.expiresAt);
				return { name: model.name, ...(noExpiry ? {} : { expiresAt: model.expiresAt }) };
			},
		});
		app.post('/api/chat', (request, reply) => this.generation(request, reply, 'chat'));
		app.post('/api/generate', (request, reply) => this.generation(request, reply, 'generate'));
		app.post('/v1/chat/completions', (request, reply) => this.generation(request, reply, 'openai-chat'));
		app.post('/v1/completions', (request, reply) => this.generation(request, reply, 'openai-completion'));

		// Control routes, for a sandbox or benchmark driving the fake from another process.
		app.get('/__fake/config', async () => this.settings);
		app.post('/__fake/config', async (request, reply) => {
			try {
				return this.configure((request.body ?? {}) as Parameters<FakeOllama['configure']>[0]);
			} catch (error) {
				return reply.code(400).send({ error: (error as Error).message });
			}
		});
		app.get('/__fake/records', async () => ({
			active: this.active,
			maxConcurrency: this.maxConcurrency,
			loadedModel: this.loadedModel ?? null,
			records: this.records(),
		}));
		app.post('/__fake/reset', async () => {
			this.reset();
			return { ok: true };
		});
	}

	private async generation(request: FastifyRequest, reply: FastifyReply, route: Route): Promise<unknown> {
		const body = (request.body ?? {}) as Body;
		const openAi = route === 'openai-chat' || route === 'openai-completion';
		if (this.refuse(reply, body.model, route)) return reply;
		const model = body.model as string;
		const chat = route === 'chat' || route === 'openai-chat';
		const turns: ChatTurn[] = chat
			? (Array.isArray(body.messages) ? body.messages : []).map((message: { role?: unknown; content?: unknown; tool_calls?: unknown }) => ({
					role: String(message?.role ?? ''),
					content: textOf(message?.content),
					toolCalls: Array.isArray(message?.tool_calls)
						? message.tool_calls.map((call: { function?: { name?: unknown } }) => String(call?.function?.name ?? ''))
						: undefined,
				}))
			: [
					...(body.system ? [{ role: 'system', content: String(body.system) }] : []),
					{ role: 'user', content: Array.isArray(body.prompt) ? body.prompt.map(String).join('\n') : String(body.prompt ?? '') },
				];
		const scripted = pickReply(this.scenario, model, turns);
		const running = this.run(request, reply, {
			route,
			model,
			// Ollama streams unless told not to; OpenAI does not unless asked.
			stream: openAi ? body.stream === true : body.stream !== false,
			turns,
			offeredTools: Array.isArray((body as { tools?: unknown }).tools)
				? ((body as { tools: Array<{ function?: { name?: unknown } }> }).tools).map((tool) => String(tool?.function?.name ?? ''))
				: [],
			reply: {
				content: scripted ? (scripted.content ?? '') : defaultText(this.config.tokens),
				toolCalls: chat ? (scripted?.tool_calls ?? []) : [],
			},
			maxTokens: openAi ? (body.max_completion_tokens ?? body.max_tokens) : body.options?.num_predict,
			keepAliveMs: keepAliveMs(body.keep_alive),
			includeUsage: body.stream_options?.include_usage === true,
			loadOnly: !openAi && (chat ? !Array.isArray(body.messages) || body.messages.length === 0 : !body.prompt),
		});
		this.inFlight.add(running);
		await running.finally(() => this.inFlight.delete(running));
		return reply;
	}

	/**
	 * The GPU's part: wait for the model, evaluate the prompt, emit tokens at the configured pace,
	 * and stop the moment the client goes away. Written on the raw response so each token leaves
	 * when it is produced, and so a disconnect is seen at once.
	 */
	private async run(request: FastifyRequest, reply: FastifyReply, job: Job): Promise<void> {
		reply.hijack();
		const res = reply.raw;
		const config = this.config;
		const startedAt = performance.now();
		const planned = tokenise(job.reply.content);
		const tokens = job.maxTokens !== undefined && job.maxTokens >= 0 ? planned.slice(0, job.maxTokens) : planned;
		const priority = request.headers['x-widip-priority'];
		const record: GenerationRecord = {
			id: this.nextId++,
			path: request.url.split('?')[0],
			model: job.model,
			...(priority !== undefined ? { priorityHeader: Array.isArray(priority) ? priority[0] : priority } : {}),
			stream: job.stream && !job.loadOnly,
			swapped: false,
			tokens: job.loadOnly ? 0 : tokens.length,
			tokensSent: 0,
			startedAt,
			aborted: false,
			turns: job.turns,
			replyToolCalls: job.reply.toolCalls.map((call) => call.function.name),
			offeredTools: job.offeredTools,
		};
		this.log.push(record);
		this.peak = Math.max(this.peak, ++this.running);
		const abort = new AbortController();
		const { signal } = abort;
		res.on('error', () => undefined);
		// 'close' before 'finish' is the client hanging up (request 'close' fires as soon as the body is read).
		const hangUp = () => {
			if (res.writableFinished || signal.aborted) return;
			record.aborted = true;
			record.abortedAt = performance.now();
			abort.abort();
		};
		res.on('close', hangUp);
		// A client gone while its body was being read has already emitted 'close'.
		if (!res.socket || res.socket.destroyed) hangUp();
		const write = async (chunk: string, contentType: string, last = false): Promise<void> => {
			if (signal.aborted) return;
			if (!res.headersSent) {
				res.writeHead(200, { 'content-type': contentType, ...(last ? { 'content-length': Buffer.byteLength(chunk) } : {}) });
				record.firstByteAt = performance.now();
			}
			if (last) {
				res.end(chunk);
				record.endedAt = performance.now();
			} else if (chunk && !res.write(chunk)) {
				await new Promise<void>((resolve) => {
					res.once('drain', resolve);
					signal.addEventListener('abort', () => resolve(), { once: true });
				});
			}
		};
		const slot = this.acquire(job.model, config.loadMs);
		record.swapped = slot.swapped;
		try {
			await sleep(slot.model.readyAt - performance.now(), signal);
			const loadedAt = performance.now();
			if (job.loadOnly) {
				const unload = job.keepAliveMs === 0;
				const answer = { model: job.model, created_at: new Date().toISOString(), done: true, done_reason: unload ? 'unload' : 'load' };
				const shaped = job.route === 'chat' ? { ...answer, message: { role: 'assistant', content: '' } } : { ...answer, response: '' };
				return await write(JSON.stringify(shaped), 'application/json; charset=utf-8', true);
			}
			await sleep(config.latencyMs, signal);
			const evalStart = performance.now();
			const interval = config.tokensPerSecond > 0 && Number.isFinite(config.tokensPerSecond) ? 1000 / config.tokensPerSecond : 0;
			const encoder = encoderFor({ route: job.route, model: job.model, id: record.id, includeUsage: job.includeUsage });
			if (job.stream) {
				for (const [index, token] of tokens.entries()) {
					// Scheduled from the first token, so timer lateness does not accumulate over a long answer.
					await sleep(evalStart + index * interval - performance.now(), signal);
					if (signal.aborted) return;
					await write(encoder.token(token), encoder.streamType);
					record.tokensSent++;
				}
				if (job.reply.toolCalls.length) await write(encoder.toolCalls(job.reply.toolCalls), encoder.streamType);
			} else {
				// The client waits for the whole answer, but the GPU still takes the time to produce it.
				await sleep(evalStart + Math.max(0, tokens.length - 1) * interval - performance.now(), signal);
			}
			if (signal.aborted) return;
			const now = performance.now();
			const ns = (ms: number) => Math.round(ms * 1e6);
			const outcome: Outcome = {
				content: tokens.join(''),
				toolCalls: job.reply.toolCalls,
				doneReason: tokens.length < planned.length ? 'length' : 'stop',
				promptTokens: Math.max(1, job.turns.reduce((sum, turn) => sum + countWords(turn.content), 0)),
				evalCount: tokens.length,
				totalNs: ns(now - startedAt),
				loadNs: ns(loadedAt - startedAt),
				promptEvalNs: ns(evalStart - loadedAt),
				evalNs: ns(now - evalStart),
			};
			if (job.stream) return await write(encoder.end(outcome), encoder.streamType, true);
			record.tokensSent = tokens.length;
			await write(JSON.stringify(encoder.whole(outcome)), 'application/json; charset=utf-8', true);
		} catch (error) {
			if (!res.headersSent) await write(JSON.stringify({ error: (error as Error).message }), 'application/json', true);
			else res.destroy(error as Error);
		} finally {
			this.running--;
			record.endedAt ??= record.abortedAt ?? performance.now();
			this.release(slot.model, job.keepAliveMs);
		}
	}

	/** One model fits on the simulated GPU: asking for another one evicts it and pays `loadMs`. */
	private acquire(name: string, loadMs: number): { model: LoadedModel; swapped: boolean } {
		this.expireIdle();
		const wanted = normaliseModel(name);
		const swapped = this.loaded?.name !== wanted;
		if (swapped) this.loaded = { name: wanted, readyAt: performance.now() + loadMs, expiresAt: Number.POSITIVE_INFINITY, users: 0 };
		const model = this.loaded!;
		model.users++;
		return { model, swapped };
	}

	/** Ollama's keep_alive clock starts when the model's last request ends; 0 unloads at once. */
	private release(model: LoadedModel, keepAlive: number): void {
		model.users--;
		if (model.users === 0) model.expiresAt = Date.now() + keepAlive;
		this.expireIdle();
	}

	private expireIdle(): void {
		if (this.loaded && this.loaded.users === 0 && Date.now() >= this.loaded.expiresAt) this.loaded = undefined;
	}

	/** Answers the request with Ollama's error when the model cannot serve it; true if it did. */
	private refuse(reply: FastifyReply, model: unknown, route: Route): boolean {
		const openAi = route === 'openai-chat' || route === 'openai-completion';
		const problem = refusal(this.config.models, model, route === 'chat' || route === 'openai-chat' ? 'chat' : 'generate');
		if (problem) sendRefusal(reply, problem, openAi);
		return problem !== undefined;
	}
}

export function createFakeOllama(options: FakeOllamaOptions = {}): FakeOllama {
	return new FakeOllama(options);
}
