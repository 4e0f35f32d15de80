import { mac } from './signing';

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

/**
 * What an approval is bound to: an HMAC of the operation id and its canonical arguments under the
 * request's own random salt. Keyed, so a redacted secret cannot be recovered from it by trying a
 * dictionary; and neither the digest nor the salt ever leaves Redis (API, page, audit, export).
 */
export function argumentsDigest(operationId: string, args: unknown, salt: string): string {
	return mac(salt, 'widip-approval-arguments', `${operationId}\n${canonicalJson(args)}`);
}
