/**
 * Reading Observium's API answers, which come straight from PHP and MySQL: collections are
 * objects keyed by id (`{"277": {...}}`), an empty collection is `[]` (PHP encodes an empty array
 * as a list), and almost every value is a string, numbers included ("1", "0.0333").
 */

export type RawRow = Record<string, unknown>;

function isObject(value: unknown): value is RawRow {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The answer's envelope is `{"status":"ok", …}`; anything else did not come from the API. */
export function isApiAnswer(body: unknown): body is RawRow {
	return isObject(body) && body.status === 'ok';
}

/** `{"devices": {"277": {...}}}` (or `[]` when empty) → the rows, in id order. */
export function collectionRows(body: RawRow, key: string): RawRow[] {
	const collection = body[key];
	if (Array.isArray(collection)) return collection.filter(isObject);
	if (!isObject(collection)) return [];
	return Object.values(collection).filter(isObject);
}

export function singleRow(body: RawRow, key: string): RawRow | undefined {
	const row = body[key];
	return isObject(row) ? row : undefined;
}

/** "1523456" → 1523456; empty, null and non-numeric text → null (Observium has no value yet). */
export function toNumber(value: unknown): number | null {
	if (typeof value === 'number') return Number.isFinite(value) ? value : null;
	if (typeof value !== 'string' || value.trim() === '') return null;
	const number = Number(value);
	return Number.isFinite(number) ? number : null;
}

export function toText(value: unknown): string | null {
	if (typeof value === 'number') return String(value);
	if (typeof value !== 'string') return null;
	const text = value.trim();
	return text === '' ? null : text;
}

/** MySQL flags arrive as "1"/"0" (sometimes numbers). */
export function toFlag(value: unknown): boolean {
	return value === '1' || value === 1 || value === true;
}

/** Observium stores small JSON documents as strings (alert `state`, check `conditions`). */
export function parseJsonText(value: unknown): unknown {
	if (typeof value !== 'string' || value.trim() === '') return value ?? null;
	try {
		return JSON.parse(value) as unknown;
	} catch {
		return null;
	}
}
