import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * The fake Ollama's model side: catalogue entries (/api/tags, /api/show, /api/ps), deterministic
 * embeddings, word tokens, keep_alive durations and scripted scenarios. Kept apart from the HTTP
 * server so ollama.ts stays about timing, streaming and recording.
 */

/** A tool call as Ollama's native API writes it: arguments are an object, not a JSON string. */
export interface ScenarioToolCall {
	function: { name: string; arguments: Record<string, unknown> };
}

export interface ScenarioReply {
	content?: string;
	tool_calls?: ScenarioToolCall[];
}

export interface ScenarioRule {
	/** Every given condition must hold; an empty match always matches. The first matching rule wins. */
	match?: {
		model?: string;
		/** Case-insensitive substring of the last user message (the prompt on completion routes). */
		lastUserContains?: string;
		/** Role of the last message: `tool` lets an agent loop end after its tool answered. */
		lastRole?: 'system' | 'user' | 'assistant' | 'tool';
		/**
		 * Tools the model already called in this conversation (a name matches when the called name ends
		 * with it, since n8n's MCP Client Tool prefixes names with its node name).
		 */
		called?: string[];
		/** Tools not called yet: with `called`, an agent's steps follow one another as a model's would. */
		notCalled?: string[];
		/**
		 * Case-insensitive substring of the last tool result. JSON nested as text (n8n's MCP Client Tool
		 * passes an MCP text result as `[{"type":"text","text":"{\\"locked\\":true}"}]`) is also read with
		 * its quotes unescaped, so `"locked":true` matches either way, as a model reads it.
		 */
		lastToolContains?: string;
		/**
		 * A regular expression (case-insensitive) the user and system messages must match; its named
		 * groups fill `{{name}}` in the reply, so arguments come from the prompt as a model's would.
		 */
		promptMatches?: string;
	};
	reply: ScenarioReply;
}

export interface Scenario {
	/** What the scenario plays, for the reader of the file. */
	description?: string;
	rules: ScenarioRule[];
	/** Answer when no rule matches (otherwise the fixed sentence cut to `tokens` words). */
	default?: ScenarioReply;
}

/** A scenario file path, a scenario, or a bare list of rules. */
export type ScenarioInput = string | Scenario | ScenarioRule[];

/** The request fields the fake reads, from any route; everything is checked before use. */
export interface OllamaRequestBody {
	model?: unknown;
	name?: unknown;
	messages?: unknown;
	prompt?: unknown;
	system?: unknown;
	stream?: unknown;
	keep_alive?: unknown;
	options?: { num_predict?: number };
	max_tokens?: number;
	max_completion_tokens?: number;
	stream_options?: { include_usage?: boolean };
	input?: unknown;
	dimensions?: unknown;
	encoding_format?: unknown;
}

export interface ChatTurn {
	role: string;
	content: string;
	/** Names of the tools an assistant turn called. */
	toolCalls?: string[];
}

export function loadScenario(input: ScenarioInput | undefined): Scenario {
	if (input === undefined) return { rules: [] };
	const value: unknown = typeof input === 'string' ? JSON.parse(readFileSync(input, 'utf8')) : input;
	const scenario = Array.isArray(value) ? { rules: value as ScenarioRule[] } : (value as Scenario);
	if (!Array.isArray(scenario.rules) || scenario.rules.some((rule) => !rule || typeof rule.reply !== 'object')) {
		throw new Error('an Ollama scenario needs "rules": [{ "match": {...}, "reply": {...} }]');
	}
	return scenario;
}

export function pickReply(scenario: Scenario, model: string, turns: ChatTurn[]): ScenarioReply | undefined {
	const lastUser = [...turns].reverse().find((turn) => turn.role === 'user')?.content.toLowerCase() ?? '';
	const lastRole = turns[turns.length - 1]?.role;
	const lastTool = [...turns].reverse().find((turn) => turn.role === 'tool')?.content.toLowerCase() ?? '';
	const lastToolUnescaped = lastTool.replace(/\\+"/g, '"');
	const calledNames = turns.flatMap((turn) => turn.toolCalls ?? []);
	const wasCalled = (name: string) => calledNames.some((called) => called === name || called.endsWith(`_${name}`));
	const prompt = turns.filter((turn) => turn.role === 'user' || turn.role === 'system').map((turn) => turn.content).join('\n');
	let captures: Record<string, string> = {};
	const rule = scenario.rules.find(({ match = {} }) => {
		if (match.model !== undefined && normaliseModel(match.model) !== normaliseModel(model)) return false;
		if (match.lastUserContains !== undefined && !lastUser.includes(match.lastUserContains.toLowerCase())) return false;
		if (match.lastRole !== undefined && match.lastRole !== lastRole) return false;
		if (match.called?.some((name) => !wasCalled(name))) return false;
		if (match.notCalled?.some((name) => wasCalled(name))) return false;
		if (match.lastToolContains !== undefined) {
			const wanted = match.lastToolContains.toLowerCase();
			if (!lastTool.includes(wanted) && !lastToolUnescaped.includes(wanted)) return false;
		}
		if (match.promptMatches !== undefined) {
			const found = new RegExp(match.promptMatches, 'i').exec(prompt);
			if (!found) return false;
			captures = { ...(found.groups ?? {}) };
		} else {
			captures = {};
		}
		return true;
	});
	const reply = rule?.reply ?? scenario.default;
	return reply && Object.keys(captures).length > 0 ? fillCaptures(reply, captures) : reply;
}

/** `{{name}}` in the reply's text and string arguments, from the prompt's named groups. */
function fillCaptures<T>(value: T, captures: Record<string, string>): T {
	if (typeof value === 'string') {
		// A whole-string `{{n}}` whose capture is a number becomes a number, as a model writes ids.
		const whole = /^\{\{(\w+)\}\}$/.exec(value);
		if (whole && /^\d+$/.test(captures[whole[1]] ?? '')) return Number(captures[whole[1]]) as T;
		return value.replace(/\{\{(\w+)\}\}/g, (all, name: string) => captures[name] ?? all) as T;
	}
	if (Array.isArray(value)) return value.map((item) => fillCaptures(item, captures)) as T;
	if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, fillCaptures(child, captures)])) as T;
	return value;
}

/** Chat message content as text: a string, or OpenAI's list of parts. */
export function textOf(content: unknown): string {
	if (typeof content === 'string') return content;
	if (Array.isArray(content)) {
		return content.map((part) => (typeof part?.text === 'string' ? (part.text as string) : '')).join(' ');
	}
	return '';
}

const DEFAULT_SENTENCE =
	'This is a simulated answer from the fake Ollama server; no model ran, the words only pace the stream.';

/** The default answer, `count` words long (the sentence repeats if needed). */
export function defaultText(count: number): string {
	const words = DEFAULT_SENTENCE.split(' ');
	return Array.from({ length: Math.max(0, count) }, (_, index) => words[index % words.length]).join(' ');
}

/** Word-sized tokens that concatenate back to the text: each keeps its leading whitespace, like a BPE token. */
export function tokenise(text: string): string[] {
	return text.match(/\s*\S+/g) ?? [];
}

export function countWords(text: string): number {
	return text.match(/\S+/g)?.length ?? 0;
}

/**
 * A unit vector seeded by the text's hash: equal texts give equal vectors, different texts
 * almost-orthogonal ones, with no model at all.
 */
export function embed(text: string, dimensions: number): number[] {
	let seed = createHash('sha256').update(text).digest().readUInt32LE(0);
	const next = (): number => {
		// mulberry32: tiny and deterministic, good enough to spread values over [-1, 1].
		seed = (seed + 0x6d2b79f5) >>> 0;
		let t = seed;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	const raw = Array.from({ length: dimensions }, () => next() * 2 - 1);
	const norm = Math.sqrt(raw.reduce((sum, value) => sum + value * value, 0)) || 1;
	// Rounded through float32 so the base64 form the OpenAI client asks for decodes to the same numbers.
	return raw.map((value) => Math.fround(value / norm));
}

/** OpenAI's `encoding_format: "base64"`: little-endian float32s. */
export function embeddingBase64(vector: number[]): string {
	return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

/** Ollama resolves a bare name to its `latest` tag. */
export function normaliseModel(name: string): string {
	return name.includes(':') ? name : `${name}:latest`;
}

export function isEmbeddingModel(name: string): boolean {
	return /embed|bge|minilm/i.test(name);
}

/** Catalogue facts derived from the name alone, stable from run to run. */
export function modelCard(name: string, dimensions: number) {
	const model = normaliseModel(name);
	const [base, tag] = model.split(':');
	const embedding = isEmbeddingModel(model);
	const billions = Number(/(\d+(?:\.\d+)?)b\b/i.exec(tag)?.[1] ?? (embedding ? 0.137 : 7));
	const family = base.replace(/\.\d+$/, '');
	const details = {
		parent_model: '',
		format: 'gguf',
		family,
		families: [family],
		parameter_size: billions < 1 ? `${Math.round(billions * 1000)}M` : `${billions}B`,
		quantization_level: embedding ? 'F16' : 'Q4_K_M',
	};
	return {
		name: model,
		model,
		// Q4 weights are a little over half a byte per parameter.
		size: Math.round(billions * 1e9 * (embedding ? 2 : 0.6)),
		digest: createHash('sha256').update(model).digest('hex'),
		details,
		capabilities: embedding ? ['embedding'] : ['completion', 'tools'],
		contextLength: embedding ? 2048 : 32768,
		modelInfo: {
			'general.architecture': family,
			'general.parameter_count': Math.round(billions * 1e9),
			[`${family}.context_length`]: embedding ? 2048 : 32768,
			[`${family}.embedding_length`]: dimensions,
		},
	};
}

/** Ollama's `keep_alive`: seconds as a number, or a Go duration ("5m", "30s", "-1"); negative = forever. */
export function keepAliveMs(value: unknown, fallbackMs = 5 * 60_000): number {
	if (value === undefined || value === null || value === '') return fallbackMs;
	const seconds = typeof value === 'number' ? value : Number(value);
	if (Number.isFinite(seconds)) return seconds < 0 ? Number.POSITIVE_INFINITY : seconds * 1000;
	const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
	let total = 0;
	const text = String(value).trim();
	const parts = [...text.matchAll(/(-?\d+(?:\.\d+)?)(ms|s|m|h)/g)];
	if (parts.map((part) => part[0]).join('') !== text) return fallbackMs;
	for (const [, amount, unit] of parts) total += Number(amount) * units[unit];
	return total < 0 ? Number.POSITIVE_INFINITY : total;
}

/** Resolves after `ms`, or early (without throwing) once the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
	if (ms <= 0 || signal.aborted) return Promise.resolve();
	return new Promise((resolve) => {
		const done = () => {
			clearTimeout(timer);
			signal.removeEventListener('abort', done);
			resolve();
		};
		const timer = setTimeout(done, ms);
		signal.addEventListener('abort', done, { once: true });
	});
}
