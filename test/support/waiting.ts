import type { GenerationRecord } from '../../sandbox/simulators/ollama';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls a condition that changes asynchronously; fails naming what it waited for. */
export async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!check()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await sleep(2);
	}
}

/** Generations that overlapped in time, as the scripted Ollama saw them. */
export function overlaps(records: GenerationRecord[]): number {
	const sorted = [...records].sort((a, b) => a.startedAt - b.startedAt);
	let count = 0;
	for (let i = 1; i < sorted.length; i++) if (sorted[i].startedAt < (sorted[i - 1].endedAt ?? Infinity)) count++;
	return count;
}

/** Polls until `check` returns a value (not undefined/false), or fails with what it last saw. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let last: unknown;
	for (;;) {
		try {
			const value = await check();
			if (value !== undefined && value !== false) return value;
		} catch (error) {
			last = error;
		}
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
		await sleep(250);
	}
}
