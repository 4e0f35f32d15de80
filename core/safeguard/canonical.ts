import { createHash } from 'node:crypto';

/**
 * Canonical JSON: object keys sorted at every depth, no whitespace. Two argument objects that
 * differ only in key order give the same text; any other difference (a value, a field, the case of
 * a letter) gives another.
 */
export function canonicalJson(value: unknown): string {
	if (value === null || typeof value !== 'object') {
		if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('arguments must be finite JSON numbers');
		if (value === undefined) return 'null';
		return JSON.stringify(value);
	}
	if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
	const entries = Object.entries(value as Record<string, unknown>)
		.filter(([, item]) => item !== undefined)
		.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
	return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

/** SHA-256 of the operation id and its canonical arguments: what an approval is bound to. */
export function argumentsDigest(operationId: string, args: unknown): string {
	return createHash('sha256').update(`${operationId}\n${canonicalJson(args)}`).digest('hex');
}
