import { malformed, type TagReader, type Tags } from './alert-fields';
import { quote, typeName } from './alert-text';

/**
 * When an alert happened. ALERT_UNIXTIME is unix seconds, but hand-made and JavaScript senders
 * write milliseconds; read as seconds those give the year 58860, and a Date that far away throws
 * a bare RangeError. So the unit is detected, and a time outside a plausible window is refused.
 */

/** Before 2000 is a device or sender with an unset clock (1970), not an alert to act on. */
export const EARLIEST_ALERT_MS = Date.UTC(2000, 0, 1);
/** Up to a day ahead: clock skew between Observium and n8n, or a time zone set wrong by hours. */
export const FUTURE_SLACK_MS = 86_400_000;
/**
 * Over this, the number is milliseconds. 1e11 seconds is the year 5138 and 1e11 milliseconds is
 * 1973, both outside the window, so no accepted time is ambiguous.
 */
export const MILLISECONDS_ABOVE = 1e11;

const UNIX_TEXT = /^\d{1,20}(?:\.\d{1,9})?$/;
// Past ±8.64e15 ms a JavaScript Date is invalid and toISOString throws.
const MAX_DATE_MS = 8.64e15;

function dateText(ms: number): string {
	return Math.abs(ms) <= MAX_DATE_MS ? new Date(ms).toISOString() : 'beyond any representable date';
}

function checkRange(operation: string, what: string, ms: number, now: number): number {
	if (ms >= EARLIEST_ALERT_MS && ms <= now + FUTURE_SLACK_MS) return ms;
	throw malformed(operation, `${what} is ${dateText(ms)}, outside the accepted range (from 2000-01-01 to one day from now)`);
}

function unixTime(operation: string, value: unknown, now: number): number {
	const tag = 'ALERT_UNIXTIME';
	let number: number;
	if (typeof value === 'number') number = value;
	else if (typeof value === 'string' && UNIX_TEXT.test(value.trim())) number = Number(value.trim());
	else if (typeof value === 'string') {
		throw malformed(operation, `${tag} ${quote(value)} is not a unix time (seconds or milliseconds since 1970, digits only)`);
	} else throw malformed(operation, `${tag} must be a number or text, got ${typeName(value)}`);
	if (!Number.isFinite(number) || number <= 0) throw malformed(operation, `${tag} ${quote(value)} is not a unix time`);
	const inMs = number > MILLISECONDS_ABOVE;
	return checkRange(operation, `${tag} ${quote(value)} (read as ${inMs ? 'milliseconds' : 'seconds'})`, inMs ? number : number * 1000, now);
}

/** Epoch ms of the event: ALERT_UNIXTIME when sent (and then it must be right), else a timestamp tag. */
export function alertTime(tags: Tags, read: TagReader, operation: string, now: number): number {
	const unix = tags.get('ALERT_UNIXTIME');
	if (unix !== undefined && unix !== null && !(typeof unix === 'string' && unix.trim() === '')) {
		return unixTime(operation, unix, now);
	}
	for (const tag of ['ALERT_TIMESTAMP_RFC3339', 'ALERT_TIMESTAMP'] as const) {
		const text = read.text(tag);
		if (!text) continue;
		// "2020-09-19 19:27:04 +03:00" → "2020-09-19T19:27:04+03:00"
		const parsed = Date.parse(text.replace(/^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) ?/, '$1T$2'));
		if (!Number.isFinite(parsed)) throw malformed(operation, `${tag} ${quote(text)} is not a date`);
		return checkRange(operation, `${tag} ${quote(text)}`, parsed, now);
	}
	throw malformed(operation, 'missing ALERT_UNIXTIME (the event time; ALERT_TIMESTAMP also works)');
}
