import { WidipError } from '../errors';
import { cleanLine, cleanLines, hasControls, quote, splitLines, truncate, TRUNCATED, typeName } from './alert-text';

/**
 * Reading one tag of an Observium alert webhook with its type, size and character checks. The
 * body comes from whoever can reach the webhook URL, so no value is trusted as it arrives.
 */

/** Tag name (upper case, `OBSERVIUM_` prefix removed) → value, as sent. */
export type Tags = Map<string, unknown>;

/**
 * - `exact`: a value something matches or looks up. Cutting or cleaning it would silently make it
 *   another value, so it is refused whole (too long, or with control characters).
 * - `line` / `lines`: free text for people and prompts. Cleaned (terminal escapes and control
 *   characters removed; `lines` keeps \n) and cut with "… [truncated]", the marker included in `max`.
 */
export interface TextRule {
	max: number;
	kind: 'exact' | 'line' | 'lines';
	/** Only for `exact`: what the whole value must look like, and how to say so. */
	pattern?: RegExp;
	hint?: string;
}

/** Every text tag we read, with its cap in characters (UTF-16 units). */
export const ALERT_TEXT_RULES = {
	// The device's DNS name (253 is DNS's maximum) or IP address. It is what observium.device_status
	// and the other operations look up, and their `device` input takes only these characters.
	DEVICE_HOSTNAME: { max: 253, kind: 'exact', pattern: /^[A-Za-z0-9_.:-]+$/, hint: 'letters, digits and . _ : - only' },
	// Words workflows branch on ("ALERT", "Critical", "port"): cut or cleaned they would match nothing.
	ALERT_STATE: { max: 32, kind: 'exact' },
	ALERT_STATUS: { max: 8, kind: 'exact' },
	ALERT_SEVERITY: { max: 32, kind: 'exact' },
	ENTITY_TYPE: { max: 64, kind: 'exact' },
	// A cut link leads nowhere. 2,000 is what browsers, mail clients and GLPI keep reliably.
	ALERT_URL: { max: 2000, kind: 'exact' },
	// Parsed as dates; no real timestamp is longer.
	ALERT_TIMESTAMP: { max: 64, kind: 'exact' },
	ALERT_TIMESTAMP_RFC3339: { max: 64, kind: 'exact' },
	// GLPI's ticket title column is varchar(255).
	TITLE: { max: 255, kind: 'line' },
	// A screenful a technician reads, and a bounded share of an LLM prompt.
	ALERT_MESSAGE: { max: 4000, kind: 'lines' },
	SYSLOG_MESSAGE: { max: 4000, kind: 'lines' },
	// SNMP's sysName/sysLocation/sysDescr are DisplayStrings of at most 255.
	DEVICE_SYSNAME: { max: 255, kind: 'line' },
	DEVICE_LOCATION: { max: 255, kind: 'line' },
	DEVICE_HARDWARE: { max: 255, kind: 'line' },
	DEVICE_OS: { max: 255, kind: 'line' },
	ENTITY_NAME: { max: 255, kind: 'line' },
	ENTITY_DESCRIPTION: { max: 1000, kind: 'line' },
	// Short labels: "network", "57d 7h 20m", "4m 29s (2020-09-19 19:22:35)".
	DEVICE_TYPE: { max: 64, kind: 'line' },
	DEVICE_UPTIME: { max: 64, kind: 'line' },
	DURATION: { max: 128, kind: 'line' },
} as const satisfies Record<string, TextRule>;

export type TextTag = keyof typeof ALERT_TEXT_RULES;

/** CONDITIONS and METRICS: one line per failed condition or metric, as many as a ticket can show. */
export const ALERT_LIST_RULE = { itemMax: 500, maxItems: 50 } as const;
export type ListTag = 'CONDITIONS' | 'METRICS';

/** Ids are MySQL auto-increment integers, written in decimal; 15 digits stay exact in a JS number. */
export type IdTag = 'ALERT_ID' | 'DEVICE_ID' | 'ENTITY_ID';
const DECIMAL_ID = /^\d{1,15}$/;

export function malformed(operation: string, detail: string): WidipError {
	return new WidipError('bad_request', `Observium alert payload (${operation}): ${detail}`, { service: 'observium', operation });
}

export interface TagReader {
	/** The tag's cleaned text; null when absent, null or blank. */
	text(tag: TextTag): string | null;
	/** A strict decimal id: "12" or 12; null when absent or blank. */
	id(tag: IdTag): number | null;
	/** Text split on line breaks, or a list of text; cleaned and capped. */
	list(tag: ListTag): string[];
}

export function tagReader(tags: Tags, operation: string): TagReader {
	const fail = (detail: string) => malformed(operation, detail);

	/** Numbers are text too: Observium's values are strings, but a hand-made body may hold 42. */
	const rawText = (name: string, value: unknown): string | null => {
		if (value === undefined || value === null) return null;
		if (typeof value === 'string') return value;
		if (typeof value === 'number' && Number.isFinite(value)) return String(value);
		throw fail(`${name} must be text, got ${typeName(value)}`);
	};

	const text = (tag: TextTag): string | null => {
		const raw = rawText(tag, tags.get(tag));
		if (raw === null) return null;
		const rule: TextRule = ALERT_TEXT_RULES[tag];
		if (rule.kind !== 'exact') {
			const clean = rule.kind === 'lines' ? cleanLines(raw) : cleanLine(raw);
			return clean === '' ? null : truncate(clean, rule.max);
		}
		const value = raw.trim();
		if (value === '') return null;
		if (value.length > rule.max) throw fail(`${tag} is ${value.length} characters long, more than its ${rule.max}`);
		if (hasControls(value)) throw fail(`${tag} ${quote(value)} contains control characters`);
		if (rule.pattern && !rule.pattern.test(value)) throw fail(`${tag} ${quote(value)} is not valid (${rule.hint})`);
		return value;
	};

	const id = (tag: IdTag): number | null => {
		const value = tags.get(tag);
		const what = `Observium's numeric ${tag.split('_')[0].toLowerCase()} id`;
		if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return null;
		if (typeof value === 'number') {
			if (Number.isSafeInteger(value) && value >= 0) return value;
			throw fail(`${tag} ${quote(value)} is not ${what} (a whole number, 0 or more)`);
		}
		if (typeof value !== 'string') throw fail(`${tag} must be text or a number, got ${typeName(value)}`);
		// Number() would also read "0x10" as 16, "1e3" as 1000 and " 12 " as 12: another alert's id.
		if (!DECIMAL_ID.test(value)) throw fail(`${tag} ${quote(value)} is not ${what} (decimal digits only, e.g. "12")`);
		return Number(value);
	};

	const list = (tag: ListTag): string[] => {
		const value = tags.get(tag);
		let items: string[];
		if (value === undefined || value === null) return [];
		if (typeof value === 'string') items = splitLines(value);
		else if (Array.isArray(value)) {
			items = value.map((item, index) => cleanLine(rawText(`${tag}[${index}]`, item) ?? '')).filter(Boolean);
		} else throw fail(`${tag} must be text or a list of text, got ${typeName(value)}`);
		const { itemMax, maxItems } = ALERT_LIST_RULE;
		const capped = items.map((item) => truncate(item, itemMax));
		if (capped.length <= maxItems) return capped;
		const kept = capped.slice(0, maxItems - 1);
		return [...kept, `${TRUNCATED.slice(0, -1)}: ${capped.length - kept.length} more]`];
	};

	return { text, id, list };
}
