import http from 'node:http';
import path from 'node:path';

import { Ollama } from 'ollama';
import OpenAI from 'openai';

import { createFakeOllama, type FakeOllama, type FakeOllamaOptions } from '../../sandbox/simulators/ollama';

/**
 * The fake Ollama is only worth something if the real clients cannot tell it from Ollama: every
 * check goes through the official `ollama` and `openai` packages, unchanged, and the timing and
 * recording checks are what the GPU proxy's tests and benchmark will lean on.
 */

const EXAMPLE_SCENARIO = path.join(__dirname, '../../sandbox/simulators/ollama-scenario.example.json');
const MODEL = 'qwen2.5:7b';

const started: FakeOllama[] = [];

async function startFake(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
	const fake = createFakeOllama(options);
	started.push(fake);
	await fake.start();
	return fake;
}

afterEach(async () => {
	await Promise.all(started.splice(0).map((fake) => fake.stop()));
});

const openAiFor = (fake: FakeOllama) => new OpenAI({ baseURL: `${fake.url}/v1`, apiKey: 'x', maxRetries: 0 });

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
	const deadline = performance.now() + timeoutMs;
	while (!condition()) {
		if (performance.now() > deadline) throw new Error('condition not reached in time');
		await new Promise((resolve) => setTimeout(resolve, 2));
	}
}

const norm = (vector: number[]) => Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));

describe('fake Ollama, native API through the official ollama client', () => {
	it('lists, shows and reports its version like Ollama; an unknown model is a 404 the client throws', async () => {
		const fake = await startFake();
		const ollama = new Ollama({ host: fake.url });
		expect(await ollama.version()).toEqual({ version: '0.12.0' });
		const tags = await ollama.list();
		expect(tags.models.map((model) => model.name)).toEqual(['qwen2.5:7b', 'nomic-embed-text:latest']);
		expect(tags.models[0]).toMatchObject({
			model: 'qwen2.5:7b',
			size: expect.any(Number),
			digest: expect.stringMatching(/^[0-9a-f]{64}$/),
			details: { format: 'gguf', family: 'qwen2', parameter_size: '7B', quantization_level: 'Q4_K_M' },
		});
		const show = await ollama.show({ model: MODEL });
		expect(show).toMatchObject({ modelfile: expect.stringContaining('FROM qwen2.5:7b'), capabilities: ['completion', 'tools'] });
		expect(show.model_info).toMatchObject({ 'general.architecture': 'qwen2' });
		expect((await ollama.show({ model: 'nomic-embed-text' })).capabilities).toEqual(['embedding']);
		await expect(ollama.show({ model: 'nope' })).rejects.toMatchObject({ status_code: 404, message: "model 'nope' not found" });
		await expect(ollama.chat({ model: 'nope', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({
			status_code: 404,
			message: 'model "nope" not found, try pulling it first',
		});
		await expect(ollama.chat({ model: 'nomic-embed-text', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({
			status_code: 400,
		});
		expect(fake.records()).toEqual([]);
	});

	it('answers a chat in one object with the default words and Ollama counters in nanoseconds', async () => {
		const fake = await startFake({ tokens: 7, latencyMs: 40 });
		const ollama = new Ollama({ host: fake.url });
		const answer = await ollama.chat({ model: MODEL, messages: [{ role: 'user', content: 'Bonjour, ça va ?' }] });
		expect(answer.message.role).toBe('assistant');
		expect(answer.message.content.split(' ')).toHaveLength(7);
		expect(answer).toMatchObject({ model: MODEL, done: true, done_reason: 'stop', eval_count: 7, prompt_eval_count: 4 });
		expect(answer.prompt_eval_duration).toBeGreaterThanOrEqual(35e6);
		expect(answer.total_duration).toBeGreaterThanOrEqual(answer.prompt_eval_duration);
		expect(Number.isInteger(answer.total_duration)).toBe(true);
		expect(fake.records()).toEqual([expect.objectContaining({ path: '/api/chat', model: MODEL, stream: false, aborted: false })]);
	});

	it('streams a chat as NDJSON, token by token at the configured pace, then a done line', async () => {
		const fake = await startFake({ tokens: 10, tokensPerSecond: 40, latencyMs: 30 });
		const ollama = new Ollama({ host: fake.url });
		const requestedAt = performance.now();
		const stream = await ollama.chat({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true });
		const parts: Array<{ at: number; content: string; done: boolean; eval_count?: number }> = [];
		for await (const part of stream) parts.push({ at: performance.now(), content: part.message.content, done: part.done, eval_count: part.eval_count });
		expect(parts).toHaveLength(11);
		expect(parts.slice(0, 10).every((part) => !part.done && part.content !== '')).toBe(true);
		expect(parts[10]).toMatchObject({ done: true, content: '', eval_count: 10 });
		expect(parts.map((part) => part.content).join('').split(' ')).toHaveLength(10);
		// Incremental: the first token arrives after the prompt latency, long before the last one.
		expect(parts[0].at - requestedAt).toBeGreaterThanOrEqual(25);
		expect(parts[9].at - parts[0].at).toBeGreaterThanOrEqual(9 * 25 * 0.8);
		const gaps = parts.slice(1, 10).map((part, index) => part.at - parts[index].at);
		expect(gaps.filter((gap) => gap >= 10).length).toBeGreaterThanOrEqual(7);
		const [record] = fake.records();
		expect(record).toMatchObject({ stream: true, tokens: 10, tokensSent: 10, aborted: false });
		expect(record.firstByteAt! - record.startedAt).toBeGreaterThanOrEqual(25);
		expect(record.endedAt! - record.firstByteAt!).toBeGreaterThanOrEqual(9 * 25 * 0.8);
	});

	it('generates from a prompt, streamed or not, with `response` and `context`', async () => {
		const fake = await startFake({ tokens: 5 });
		const ollama = new Ollama({ host: fake.url });
		const whole = await ollama.generate({ model: MODEL, prompt: 'Why is the sky blue?' });
		expect(whole).toMatchObject({ done: true, done_reason: 'stop', context: [], eval_count: 5, prompt_eval_count: 5 });
		expect(whole.response!.split(' ')).toHaveLength(5);
		const parts = [];
		for await (const part of await ollama.generate({ model: MODEL, prompt: 'again', stream: true })) parts.push(part);
		expect(parts.map((part) => part.response).join('')).toBe(whole.response);
		expect(parts[parts.length - 1]).toMatchObject({ done: true, context: [], response: '' });
		const cut = await ollama.generate({ model: MODEL, prompt: 'x', options: { num_predict: 2 } });
		expect(cut).toMatchObject({ done_reason: 'length', eval_count: 2 });
		expect(fake.records().map((record) => record.path)).toEqual(['/api/generate', '/api/generate', '/api/generate']);
	});

	it('embeds deterministically: equal texts, equal unit vectors of the configured dimension', async () => {
		const fake = await startFake();
		const ollama = new Ollama({ host: fake.url });
		const first = await ollama.embed({ model: 'nomic-embed-text', input: ['routeur injoignable', 'imprimante en panne'] });
		const again = await ollama.embed({ model: 'nomic-embed-text', input: 'routeur injoignable' });
		expect(first.embeddings).toHaveLength(2);
		expect(first.embeddings[0]).toHaveLength(16);
		expect(again.embeddings[0]).toEqual(first.embeddings[0]);
		expect(first.embeddings[1]).not.toEqual(first.embeddings[0]);
		expect(norm(first.embeddings[1])).toBeCloseTo(1, 5);
		expect(first).toMatchObject({ model: 'nomic-embed-text', prompt_eval_count: 5, load_duration: 0 });
		const legacy = await ollama.embeddings({ model: 'nomic-embed-text', prompt: 'routeur injoignable' });
		expect(legacy.embedding).toEqual(first.embeddings[0]);
		fake.configure({ embeddingDimensions: 8 });
		expect((await ollama.embed({ model: 'nomic-embed-text', input: 'x' })).embeddings[0]).toHaveLength(8);
		await expect(ollama.embed({ model: 'nope', input: 'x' })).rejects.toMatchObject({ status_code: 404 });
	});

	it('plays a scenario: a tool call with object arguments, then an answer once the tool replied', async () => {
		const fake = await startFake({ scenario: EXAMPLE_SCENARIO });
		const ollama = new Ollama({ host: fake.url });
		const tools = [{ type: 'function', function: { name: 'observium_device_status', parameters: { type: 'object' } } }];
		const question = { role: 'user', content: 'Le site de Bellevue est-il joignable ?' };
		const call = await ollama.chat({ model: MODEL, messages: [question], tools });
		expect(call.message.tool_calls).toEqual([
			{ function: { name: 'observium_device_status', arguments: { device: 'EHPAD-Bellevue-RTR01' } } },
		]);
		expect(call.eval_count).toBe(0);
		const streamed = [];
		for await (const part of await ollama.chat({ model: MODEL, messages: [question], tools, stream: true })) streamed.push(part);
		expect(streamed[0].message.tool_calls?.[0].function.arguments).toEqual({ device: 'EHPAD-Bellevue-RTR01' });
		expect(streamed[streamed.length - 1].done).toBe(true);
		const after = await ollama.chat({
			model: MODEL,
			messages: [question, call.message, { role: 'tool', content: '{"status":"down"}', tool_name: 'observium_device_status' }],
			tools,
		});
		expect(after.message.tool_calls).toBeUndefined();
		expect(after.message.content).toContain('injoignable');
		expect((await ollama.chat({ model: MODEL, messages: [{ role: 'user', content: 'PING?' }] })).message.content).toBe('pong');
		expect((await ollama.chat({ model: MODEL, messages: [{ role: 'user', content: 'autre' }] })).message.content).toMatch(/^Je n'ai pas/);
	});

	it('plays a multi-step agent: steps follow the tools already called, arguments come from the prompt', async () => {
		const fake = await startFake({
			scenario: {
				rules: [
					{ match: { called: ['get_ticket', 'check_user'], lastToolContains: '"lockedOut":true', promptMatches: 'identifiant (?<login>[a-z.]+)' }, reply: { content: 'locked {{login}}' } },
					{ match: { called: ['get_ticket', 'check_user'] }, reply: { content: 'not locked' } },
					{
						match: { called: ['get_ticket'], notCalled: ['check_user'], promptMatches: 'identifiant (?<login>[a-z.]+)' },
						reply: { tool_calls: [{ function: { name: 'Assist_ad_check_user', arguments: { sAMAccountName: '{{login}}' } } }] },
					},
					{
						match: { notCalled: ['get_ticket'], promptMatches: 'ticket (?<ticket>\\d+)' },
						reply: { tool_calls: [{ function: { name: 'Assist_glpi_get_ticket', arguments: { ticketId: '{{ticket}}' } } }] },
					},
				],
			},
		});
		const ollama = new Ollama({ host: fake.url });
		const messages: Array<Record<string, unknown>> = [{ role: 'system', content: 'Traite le ticket 42.' }, { role: 'user', content: "Mon identifiant marie.martin est bloqué" }];
		const first = await ollama.chat({ model: MODEL, messages: messages as never });
		// A whole-string capture of digits becomes a number, as a model writes an id.
		expect(first.message.tool_calls).toEqual([{ function: { name: 'Assist_glpi_get_ticket', arguments: { ticketId: 42 } } }]);
		messages.push(first.message as never, { role: 'tool', content: '{"id":42}' });
		const second = await ollama.chat({ model: MODEL, messages: messages as never });
		expect(second.message.tool_calls).toEqual([{ function: { name: 'Assist_ad_check_user', arguments: { sAMAccountName: 'marie.martin' } } }]);
		messages.push(second.message as never, { role: 'tool', content: '{"exists":true,"lockedOut":true}' });
		expect((await ollama.chat({ model: MODEL, messages: messages as never })).message.content).toBe('locked marie.martin');
		messages[messages.length - 1] = { role: 'tool', content: '{"exists":true,"lockedOut":false}' };
		expect((await ollama.chat({ model: MODEL, messages: messages as never })).message.content).toBe('not locked');
	});

	it('holds one model: a swap pays loadMs, /api/ps shows the loaded one, keep_alive 0 unloads it', async () => {
		const fake = await startFake({ models: [MODEL, 'llama3.2:3b'], loadMs: 120, tokens: 2 });
		const ollama = new Ollama({ host: fake.url });
		expect((await ollama.ps()).models).toEqual([]);
		const ask = (model: string) => ollama.chat({ model, messages: [{ role: 'user', content: 'x' }] });
		expect((await ask(MODEL)).load_duration).toBeGreaterThanOrEqual(110e6);
		expect((await ask(MODEL)).load_duration).toBeLessThan(50e6);
		expect((await ask('llama3.2:3b')).load_duration).toBeGreaterThanOrEqual(110e6);
		expect(fake.records().map((record) => record.swapped)).toEqual([true, false, true]);
		const [loaded] = (await ollama.ps()).models;
		expect(loaded).toMatchObject({ name: 'llama3.2:3b', size_vram: loaded.size });
		const expiresIn = new Date(loaded.expires_at).getTime() - Date.now();
		expect(expiresIn).toBeGreaterThan(4 * 60_000);
		expect(expiresIn).toBeLessThanOrEqual(5 * 60_000);
		const unload = await ollama.generate({ model: 'llama3.2:3b', prompt: '', keep_alive: 0 });
		expect(unload).toMatchObject({ done: true, done_reason: 'unload' });
		expect((await ollama.ps()).models).toEqual([]);
		expect(fake.loadedModel).toBeUndefined();
	});
});

describe('fake Ollama, raw HTTP as curl sees it', () => {
	it('streams by default on native routes (NDJSON), answers curl -d bodies, keeps connections alive', async () => {
		const fake = await startFake({ tokens: 3 });
		// No Content-Type, no `stream`: Ollama's own curl examples; the answer must still stream.
		const body = await new Promise<{ headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
			const request = http.request(`${fake.url}/api/generate`, { method: 'POST' }, (response) => {
				let text = '';
				response.setEncoding('utf8');
				response.on('data', (chunk: string) => (text += chunk));
				response.on('end', () => resolve({ headers: response.headers, text }));
			});
			request.on('error', reject);
			request.end(JSON.stringify({ model: MODEL, prompt: 'hi' }));
		});
		expect(body.headers['content-type']).toBe('application/x-ndjson');
		expect(body.headers.connection).toBe('keep-alive');
		const lines = body.text.trim().split('\n').map((line) => JSON.parse(line));
		expect(lines.map((line) => line.done)).toEqual([false, false, false, true]);
		expect(lines[3]).toMatchObject({ done_reason: 'stop', context: [], eval_count: 3, load_duration: expect.any(Number) });
		const sse = await fetch(`${fake.url}/v1/chat/completions`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'x' }], stream: true }),
		});
		expect(sse.headers.get('content-type')).toBe('text/event-stream');
		expect((await sse.text()).trim().split('\n\n').pop()).toBe('data: [DONE]');
		const broken = await fetch(`${fake.url}/api/chat`, { method: 'POST', body: '{not json' });
		expect(broken.status).toBe(400);
		expect(await broken.json()).toEqual({ error: expect.any(String) });
	});
});

describe('fake Ollama, OpenAI-compatible API through the official openai client', () => {
	it('completes a chat with usage, and streams it as SSE chunks ending in a finish reason', async () => {
		const fake = await startFake({ tokens: 6, tokensPerSecond: 100 });
		const openai = openAiFor(fake);
		const completion = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'two words' }] });
		expect(completion.object).toBe('chat.completion');
		expect(completion.choices[0]).toMatchObject({ finish_reason: 'stop', message: { role: 'assistant' } });
		expect(completion.choices[0].message.content!.split(' ')).toHaveLength(6);
		expect(completion.usage).toEqual({ prompt_tokens: 2, completion_tokens: 6, total_tokens: 8 });
		const stream = await openai.chat.completions.create({
			model: MODEL,
			messages: [{ role: 'user', content: 'two words' }],
			stream: true,
			stream_options: { include_usage: true },
		});
		const chunks = [];
		for await (const chunk of stream) chunks.push(chunk);
		expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
		expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(completion.choices[0].message.content);
		expect(chunks.filter((chunk) => chunk.choices[0]?.finish_reason === 'stop')).toHaveLength(1);
		expect(chunks[chunks.length - 1]).toMatchObject({ choices: [], usage: { completion_tokens: 6 } });
		const text = await openai.completions.create({ model: MODEL, prompt: 'Say this is a test', max_tokens: 3 });
		expect(text.choices[0]).toMatchObject({ finish_reason: 'length' });
		expect(text.choices[0].text.split(' ')).toHaveLength(3);
		expect(fake.records().map((record) => record.path)).toEqual(['/v1/chat/completions', '/v1/chat/completions', '/v1/completions']);
	});

	it('returns tool calls in OpenAI shape: id, type, JSON-string arguments, finish_reason tool_calls', async () => {
		const fake = await startFake({ scenario: EXAMPLE_SCENARIO });
		const openai = openAiFor(fake);
		const request = {
			model: MODEL,
			messages: [{ role: 'user' as const, content: 'Bellevue est en panne ?' }],
			tools: [{ type: 'function' as const, function: { name: 'observium_device_status', parameters: { type: 'object' } } }],
		};
		const completion = await openai.chat.completions.create(request);
		expect(completion.choices[0].finish_reason).toBe('tool_calls');
		const [call] = completion.choices[0].message.tool_calls!;
		expect(call).toMatchObject({ id: expect.stringMatching(/^call_/), type: 'function' });
		if (call.type !== 'function') throw new Error('expected a function call');
		expect(call.function.name).toBe('observium_device_status');
		expect(JSON.parse(call.function.arguments)).toEqual({ device: 'EHPAD-Bellevue-RTR01' });
		const chunks = [];
		for await (const chunk of await openai.chat.completions.create({ ...request, stream: true })) chunks.push(chunk);
		const streamedCall = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? [])[0];
		expect(streamedCall).toMatchObject({ index: 0, type: 'function', function: { name: 'observium_device_status' } });
		expect(JSON.parse(streamedCall.function!.arguments!)).toEqual({ device: 'EHPAD-Bellevue-RTR01' });
		expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('tool_calls');
	});

	it('embeds (the client asks for base64 by default) and lists models; unknown models are NotFound', async () => {
		const fake = await startFake();
		const openai = openAiFor(fake);
		const native = await new Ollama({ host: fake.url }).embed({ model: 'nomic-embed-text', input: 'même texte' });
		const decoded = await openai.embeddings.create({ model: 'nomic-embed-text', input: ['même texte', 'autre'] });
		expect(decoded.data).toHaveLength(2);
		expect(decoded.data[0].embedding).toEqual(native.embeddings[0]);
		const plain = await openai.embeddings.create({ model: 'nomic-embed-text', input: 'même texte', encoding_format: 'float' });
		expect(plain.data[0].embedding).toEqual(native.embeddings[0]);
		const models = [];
		for await (const model of openai.models.list()) models.push(model);
		expect(models.map((model) => model.id)).toEqual(['qwen2.5:7b', 'nomic-embed-text:latest']);
		expect(models[0]).toMatchObject({ object: 'model', owned_by: 'library' });
		expect((await openai.models.retrieve(MODEL)).id).toBe(MODEL);
		const missing = openai.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] });
		await expect(missing).rejects.toBeInstanceOf(OpenAI.NotFoundError);
		await expect(missing).rejects.toMatchObject({ status: 404, error: { message: 'model "nope" not found, try pulling it first' } });
	});
});

describe('fake Ollama, recording for the GPU proxy tests and benchmark', () => {
	it('sees parallel requests as concurrent and sequential ones as not, with the priority header', async () => {
		const fake = await startFake({ latencyMs: 150, tokens: 3 });
		const urgent = new Ollama({ host: fake.url, headers: { 'x-widip-priority': 'interactive' } });
		const ollama = new Ollama({ host: fake.url });
		const ask = (client: Ollama) => client.chat({ model: MODEL, messages: [{ role: 'user', content: 'x' }] });
		await ask(ollama);
		await ask(ollama);
		expect(fake.maxConcurrency).toBe(1);
		const [a, b] = fake.records();
		expect(b.startedAt).toBeGreaterThanOrEqual(a.endedAt!);
		fake.reset();
		expect(fake.records()).toEqual([]);
		expect(fake.maxConcurrency).toBe(0);
		const running = Promise.all([ask(urgent), ask(ollama), ask(ollama)]);
		await until(() => fake.active === 3);
		await running;
		expect(fake.active).toBe(0);
		expect(fake.maxConcurrency).toBe(3);
		const records = fake.records();
		expect(records.map((record) => record.priorityHeader)).toEqual(['interactive', undefined, undefined]);
		// Overlap, as a benchmark would detect it: each started before the others ended.
		for (const record of records) expect(records.every((other) => other.startedAt < record.endedAt!)).toBe(true);
		const control = await (await fetch(`${fake.url}/__fake/records`)).json();
		expect(control).toMatchObject({ active: 0, maxConcurrency: 3, loadedModel: MODEL, records: [{ id: 3 }, { id: 4 }, { id: 5 }] });
	});

	it('stops a stream the client aborts (ollama.abort()) and records it aborted at once', async () => {
		const fake = await startFake({ tokens: 100, tokensPerSecond: 20 });
		const ollama = new Ollama({ host: fake.url });
		const stream = await ollama.chat({ model: MODEL, messages: [{ role: 'user', content: 'long' }], stream: true });
		let received = 0;
		let abortedAt = 0;
		await expect(
			(async () => {
				for await (const part of stream) {
					if (part.message.content && ++received === 3) {
						abortedAt = performance.now();
						ollama.abort();
					}
				}
			})(),
		).rejects.toThrow();
		await until(() => fake.records()[0].aborted, 500);
		const [record] = fake.records();
		expect(record.abortedAt! - abortedAt).toBeLessThan(100);
		expect(record.endedAt).toBe(record.abortedAt);
		expect(fake.active).toBe(0);
		const sentAtAbort = record.tokensSent;
		expect(sentAtAbort).toBeGreaterThanOrEqual(3);
		expect(sentAtAbort).toBeLessThan(10);
		// At 20 tokens/s, six more would have been written by now if generation had gone on.
		await new Promise((resolve) => setTimeout(resolve, 300));
		expect(fake.records()[0].tokensSent).toBe(sentAtAbort);
		// Keep-alive and the server survive: the next request is answered normally.
		fake.configure({ tokens: 2, tokensPerSecond: 0 });
		expect((await ollama.chat({ model: MODEL, messages: [{ role: 'user', content: 'x' }] })).done).toBe(true);
	});

	it('records an aborted OpenAI stream and a non-streamed request dropped while waiting', async () => {
		const fake = await startFake({ tokens: 100, tokensPerSecond: 20, latencyMs: 20 });
		const openai = openAiFor(fake);
		const stream = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], stream: true });
		let chunks = 0;
		let abortedAt = 0;
		try {
			for await (const chunk of stream) {
				if (chunk.choices.length && ++chunks === 2) {
					abortedAt = performance.now();
					stream.controller.abort();
				}
			}
		} catch {
			// The client reports its own abort; what matters is what the server saw.
		}
		await until(() => fake.records()[0].aborted, 500);
		expect(fake.records()[0].abortedAt! - abortedAt).toBeLessThan(100);
		fake.configure({ latencyMs: 2000 });
		const controller = new AbortController();
		const pending = fetch(`${fake.url}/api/chat`, {
			method: 'POST',
			body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'x' }], stream: false }),
			signal: controller.signal,
		});
		await until(() => fake.active === 1);
		controller.abort();
		await expect(pending).rejects.toThrow();
		await until(() => fake.records()[1]?.aborted, 500);
		const dropped = fake.records()[1];
		expect(dropped).toMatchObject({ path: '/api/chat', stream: false, tokensSent: 0 });
		expect(dropped.firstByteAt).toBeUndefined();
		expect(dropped.endedAt! - dropped.startedAt).toBeLessThan(1000);
		expect(fake.active).toBe(0);
	});

	it('changes its behaviour at runtime through POST /__fake/config', async () => {
		const fake = await startFake();
		const ollama = new Ollama({ host: fake.url });
		const response = await fetch(`${fake.url}/__fake/config`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ tokens: 4, scenario: { rules: [{ match: { lastUserContains: 'bonjour' }, reply: { content: 'Salut à toi' } }] } }),
		});
		expect(await response.json()).toMatchObject({ tokens: 4, models: ['qwen2.5:7b', 'nomic-embed-text'] });
		expect((await ollama.generate({ model: MODEL, prompt: 'hello' })).eval_count).toBe(4);
		expect((await ollama.chat({ model: MODEL, messages: [{ role: 'user', content: 'Bonjour !' }] })).message.content).toBe('Salut à toi');
		const refused = await fetch(`${fake.url}/__fake/config`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ latencyMs: -1 }),
		});
		expect(refused.status).toBe(400);
		expect(fake.settings.latencyMs).toBe(0);
	});
});
