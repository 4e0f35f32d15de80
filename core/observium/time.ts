/**
 * Observium speaks two time dialects: MySQL datetimes in the server's own zone without an offset
 * (`last_polled`, alert_log `timestamp`) and unix seconds as strings (`last_changed`). Everything
 * we return is ISO 8601 UTC.
 */

export function isValidTimeZone(timeZone: string): boolean {
	try {
		new Intl.DateTimeFormat('en-US', { timeZone });
		return true;
	} catch {
		return false;
	}
}

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;

/** Wall-clock fields of an instant in a zone, packed as if they were UTC. */
function wallClockAsUtc(instantMs: number, timeZone: string): number {
	const parts = new Intl.DateTimeFormat('en-US', {
		timeZone,
		hourCycle: 'h23',
		year: 'numeric',
		month: '2-digit',
		day: '2-digit',
		hour: '2-digit',
		minute: '2-digit',
		second: '2-digit',
	}).formatToParts(new Date(instantMs));
	const field = (type: string) => Number(parts.find((part) => part.type === type)?.value);
	return Date.UTC(field('year'), field('month') - 1, field('day'), field('hour'), field('minute'), field('second'));
}

/** `2024-05-01 14:00:00` read in `timeZone` → epoch ms; undefined for zero/empty/garbage dates. */
export function parseServerDatetime(text: unknown, timeZone: string): number | undefined {
	const match = typeof text === 'string' ? DATETIME.exec(text.trim()) : null;
	if (!match || match[1] === '0000') return undefined;
	const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
	const wall = Date.UTC(year, month - 1, day, hour, minute, second);
	// Two passes settle the offset even on the day a DST change happens.
	let instant = wall - (wallClockAsUtc(wall, timeZone) - wall);
	instant = wall - (wallClockAsUtc(instant, timeZone) - instant);
	return instant;
}

/** Epoch ms → `2024-05-01 14:00:00` in the server's zone, the form Observium's filters take. */
export function formatServerDatetime(instantMs: number, timeZone: string): string {
	return new Date(wallClockAsUtc(instantMs, timeZone)).toISOString().slice(0, 19).replace('T', ' ');
}

/** Unix seconds (number or numeric string) → epoch ms; Observium writes "0" for "never". */
export function parseUnixSeconds(value: unknown): number | undefined {
	const seconds = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
	return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

export function isoOrNull(epochMs: number | undefined): string | null {
	return epochMs === undefined ? null : new Date(epochMs).toISOString();
}

/** 1 000 000 s → "11d 13h 46m": what a technician reads in Observium's own UI. */
export function formatDuration(totalSeconds: number): string {
	const seconds = Math.max(0, Math.floor(totalSeconds));
	const units: Array<[string, number]> = [
		['d', 86_400],
		['h', 3600],
		['m', 60],
	];
	const parts: string[] = [];
	let left = seconds;
	for (const [unit, size] of units) {
		const count = Math.floor(left / size);
		left -= count * size;
		if (count > 0 || parts.length > 0) parts.push(`${count}${unit}`);
	}
	if (parts.length === 0) return `${seconds}s`;
	return parts.filter((part, index) => index === 0 || !part.startsWith('0')).join(' ');
}

/** "1d 2h 4m 29s (2020-09-19 19:22:35)" → seconds; undefined when there is no duration in it. */
export function parseDurationText(text: string): number | undefined {
	const units: Record<string, number> = { w: 604_800, d: 86_400, h: 3600, m: 60, s: 1 };
	let total = 0;
	let found = false;
	for (const match of text.replace(/\(.*\)/, '').matchAll(/(\d+)\s*([wdhms])\b/g)) {
		total += Number(match[1]) * units[match[2]];
		found = true;
	}
	return found ? total : undefined;
}
