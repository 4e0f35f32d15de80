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
