export function percentile(samples: number[], p: number): number {
	const sorted = [...samples].sort((a, b) => a - b);
	const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
	return sorted[index];
}

export function summary(samples: number[]): string {
	const f = (n: number) => (n < 10 ? n.toFixed(3) : n.toFixed(1)).padStart(7);
	return `median ${f(percentile(samples, 50))} ms   p90 ${f(percentile(samples, 90))} ms   p99 ${f(percentile(samples, 99))} ms   (n=${samples.length})`;
}

export function nowMs(): number {
	return Number(process.hrtime.bigint()) / 1e6;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
