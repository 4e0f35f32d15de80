import { createHash } from 'node:crypto';

import type { ScenarioToolCall } from './ollama-model';

/**
 * How one generated answer is written on each of the fake Ollama's four generation routes, as
 * the real server writes it: native NDJSON (/api/chat, /api/generate) and OpenAI-compatible SSE
 * (/v1/chat/completions, /v1/completions). The timing engine in ollama.ts only calls these.
 */

/** What the engine knows once an answer is over; durations are nanoseconds, as Ollama reports them. */
export interface Outcome {
	content: string;
	toolCalls: ScenarioToolCall[];
	doneReason: 'stop' | 'length';
	promptTokens: number;
	evalCount: number;
	totalNs: number;
	loadNs: number;
	promptEvalNs: number;
	evalNs: number;
}

export interface Encoder {
	/** Content-Type of the streamed form. */
	streamType: string;
	token(text: string): string;
	toolCalls(calls: ScenarioToolCall[]): string;
	/** Everything written after the last token: Ollama's done line, or OpenAI's last chunk and [DONE]. */
	end(outcome: Outcome): string;
	/** The body of the non-streamed answer. */
	whole(outcome: Outcome): unknown;
}

export type Route = 'chat' | 'generate' | 'openai-chat' | 'openai-completion';

export interface EncoderContext {
	route: Route;
	model: string;
	/** The request's record id, so ids in the answer can be traced back to it. */
	id: number;
	/** OpenAI's `stream_options.include_usage`: a usage chunk before [DONE]. */
	includeUsage: boolean;
}

const line = (value: unknown): string => `${JSON.stringify(value)}\n`;
const event = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`;

function counters(outcome: Outcome) {
	return {
		total_duration: outcome.totalNs,
		load_duration: outcome.loadNs,
		prompt_eval_count: outcome.promptTokens,
		prompt_eval_duration: outcome.promptEvalNs,
		eval_count: outcome.evalCount,
		eval_duration: outcome.evalNs,
	};
}

function usage(outcome: Outcome) {
	return {
		prompt_tokens: outcome.promptTokens,
		completion_tokens: outcome.evalCount,
		total_tokens: outcome.promptTokens + outcome.evalCount,
	};
}

/** OpenAI's shape: an id, a type, and the arguments as a JSON string. */
function openAiToolCalls(id: number, calls: ScenarioToolCall[], withIndex: boolean) {
	return calls.map((call, index) => ({
		...(withIndex ? { index } : {}),
		id: `call_${createHash('sha256').update(`${id}:${index}`).digest('hex').slice(0, 8)}`,
		type: 'function' as const,
		function: { name: call.function.name, arguments: JSON.stringify(call.function.arguments ?? {}) },
	}));
}

export function encoderFor({ route, model, id, includeUsage }: EncoderContext): Encoder {
	const createdAt = () => new Date().toISOString();
	switch (route) {
		case 'chat': {
			const message = (content: string, toolCalls?: ScenarioToolCall[]) => ({
				role: 'assistant',
				content,
				...(toolCalls?.length ? { tool_calls: toolCalls } : {}),
			});
			const done = (outcome: Outcome, content: string, toolCalls?: ScenarioToolCall[]) => ({
				model,
				created_at: createdAt(),
				message: message(content, toolCalls),
				done: true,
				done_reason: outcome.doneReason,
				...counters(outcome),
			});
			return {
				streamType: 'application/x-ndjson',
				token: (text) => line({ model, created_at: createdAt(), message: message(text), done: false }),
				toolCalls: (calls) => line({ model, created_at: createdAt(), message: message('', calls), done: false }),
				end: (outcome) => line(done(outcome, '')),
				whole: (outcome) => done(outcome, outcome.content, outcome.toolCalls),
			};
		}
		case 'generate': {
			const done = (outcome: Outcome, response: string) => ({
				model,
				created_at: createdAt(),
				response,
				done: true,
				done_reason: outcome.doneReason,
				// Real Ollama returns the prompt's token ids here; nothing reads them from a fake.
				context: [],
				...counters(outcome),
			});
			return {
				streamType: 'application/x-ndjson',
				token: (text) => line({ model, created_at: createdAt(), response: text, done: false }),
				toolCalls: () => '',
				end: (outcome) => line(done(outcome, '')),
				whole: (outcome) => done(outcome, outcome.content),
			};
		}
		case 'openai-chat':
		case 'openai-completion': {
			const chat = route === 'openai-chat';
			const base = () => ({
				id: `${chat ? 'chatcmpl' : 'cmpl'}-${id}`,
				object: chat ? 'chat.completion.chunk' : 'text_completion',
				created: Math.floor(Date.now() / 1000),
				model,
				system_fingerprint: 'fp_ollama',
			});
			const choice = (text: string, finish: string | null, toolCalls?: ScenarioToolCall[]) =>
				chat
					? {
							index: 0,
							delta: {
								role: 'assistant',
								content: text,
								...(toolCalls?.length ? { tool_calls: openAiToolCalls(id, toolCalls, true) } : {}),
							},
							finish_reason: finish,
						}
					: { text, index: 0, finish_reason: finish };
			const finishReason = (outcome: Outcome) => (outcome.toolCalls.length ? 'tool_calls' : outcome.doneReason);
			return {
				streamType: 'text/event-stream',
				token: (text) => event({ ...base(), choices: [choice(text, null)] }),
				toolCalls: (calls) => (chat ? event({ ...base(), choices: [choice('', null, calls)] }) : ''),
				end: (outcome) =>
					event({ ...base(), choices: [choice('', finishReason(outcome))] }) +
					(includeUsage ? event({ ...base(), choices: [], usage: usage(outcome) }) : '') +
					'data: [DONE]\n\n',
				whole: (outcome) => ({
					...base(),
					object: chat ? 'chat.completion' : 'text_completion',
					choices: [
						chat
							? {
									index: 0,
									message: {
										role: 'assistant',
										content: outcome.content,
										...(outcome.toolCalls.length ? { tool_calls: openAiToolCalls(id, outcome.toolCalls, false) } : {}),
									},
									finish_reason: finishReason(outcome),
								}
							: { text: outcome.content, index: 0, finish_reason: finishReason(outcome) },
					],
					usage: usage(outcome),
				}),
			};
		}
	}
}
