/**
 * Cleaning the text of an Observium alert webhook. Its tags end up in GLPI tickets, mails and LLM
 * prompts, and anyone who can reach the webhook URL can send them: every value is cleaned of
 * terminal escapes and control characters, and capped, before it goes anywhere.
 */

/** Added where free text was cut, so a reader knows there was more. */
export const TRUNCATED = '… [truncated]';

// Terminal escape sequences (colours, cursor moves, window titles), removed whole: dropping only
// the ESC byte would leave "[31m" behind as text. CSI (also as the 8-bit byte 0x9B), then
// OSC/DCS/PM/APC strings up to their terminator, then any other ESC sequence. An unterminated
// string loses only its introducer, so the text after it stays visible.
// eslint-disable-next-line no-control-regex
const ANSI = /(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?|\x1b[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)|\x1b[ -/]*[0-~]?/g;
// Characters that break a line when shown: CR, LF, VT, FF, NEL and Unicode's line/paragraph separators.
const LINE_BREAKS = /\r\n|[\n\v\f\r\x85\u2028\u2029]/g;
const LINE_SPLIT = new RegExp(`${LINE_BREAKS.source}|<br\\s*\\/?>`, 'i');
// C0 controls (NUL, ESC, BEL…), DEL, C1 controls, and bidi overrides (they reorder what a reader sees).
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
// The same but \n, kept by multi-line text.
// eslint-disable-next-line no-control-regex
const CONTROLS_BUT_LF = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

export function stripAnsi(text: string): string {
	return text.replace(ANSI, '');
}

/** One line: line breaks and tabs become a space (they separated words), other controls go. */
export function cleanLine(text: string): string {
	return stripAnsi(text).replace(LINE_BREAKS, ' ').replace(/\t/g, ' ').replace(CONTROLS, '').trim();
}

/** Several lines: every line break becomes \n, tabs a space, other controls go. */
export function cleanLines(text: string): string {
	return stripAnsi(text).replace(LINE_BREAKS, '\n').replace(/\t/g, ' ').replace(CONTROLS_BUT_LF, '').trim();
}

/** Splits on line breaks (and Observium's HTML `<br>`), each line cleaned; blank lines dropped. */
export function splitLines(text: string): string[] {
	return stripAnsi(text)
		.split(LINE_SPLIT)
		.map(cleanLine)
		.filter(Boolean);
}

export function hasControls(text: string): boolean {
	return text.search(CONTROLS) !== -1;
}

/**
 * At most `max` UTF-16 units, marker included; never ends on half a surrogate pair (an emoji cut
 * in two is invalid text in JSON and SQL). UTF-16 units ≥ characters, so a column of `max`
 * characters (GLPI's varchar) always fits.
 */
export function truncate(text: string, max: number): string {
	if (text.length <= max) return text;
	let kept = text.slice(0, Math.max(0, max - TRUNCATED.length));
	if (/[\ud800-\udbff]$/.test(kept)) kept = kept.slice(0, -1);
	return `${kept.trimEnd()}${TRUNCATED}`;
}

/**
 * A value quoted in an error message: short, and its control characters shown as \u001b, so the
 * error says what was wrong without carrying the attack on into logs and prompts.
 */
export function quote(value: unknown): string {
	const shown = truncate(String(value), 60).replace(CONTROLS, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
	return `"${shown}"`;
}

/** "object", "array", "boolean"…: how an error names what it received. */
export function typeName(value: unknown): string {
	if (value === null) return 'null';
	return Array.isArray(value) ? 'array' : typeof value;
}
