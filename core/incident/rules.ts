import type { IncidentAlert } from './alert';
import type { IncidentSettings, MaintenanceWindow } from './settings';

/**
 * Hostname patterns: `*` (any run of characters) and `?` (one), whole name, case-insensitive.
 * Hand-written rather than a glob library or a RegExp: names have no path separators, braces or
 * classes, and this greedy matcher with one backtrack point runs in O(name × pattern) whatever the
 * pattern, where a RegExp of many `.*` can take exponential time on a long hostname.
 */
export function globMatches(pattern: string, name: string): boolean {
	const p = pattern.toLowerCase();
	const n = name.toLowerCase();
	let pi = 0;
	let ni = 0;
	let star = -1;
	let resume = 0;
	while (ni < n.length) {
		if (pi < p.length && (p[pi] === '?' || p[pi] === n[ni])) {
			pi++;
			ni++;
		} else if (pi < p.length && p[pi] === '*') {
			star = pi++;
			resume = ni;
		} else if (star >= 0) {
			pi = star + 1;
			ni = ++resume;
		} else {
			return false;
		}
	}
	while (pi < p.length && p[pi] === '*') pi++;
	return pi === p.length;
}

const anyMatches = (patterns: readonly string[], name: string) => patterns.some((pattern) => globMatches(pattern, name));

export interface Suppression {
	reason: 'ignored_device' | 'ignored_entity_type' | 'ignored_check' | 'maintenance';
	/** The rule that matched, for the record: a pattern, a type, a text or a window's name. */
	rule: string;
}

/** The site a device belongs to: the first site pattern it matches, else its location if allowed. */
export function siteOf(alert: IncidentAlert, settings: IncidentSettings): string | null {
	const hostname = alert.device.hostname;
	for (const { site, devices } of settings.sites) if (anyMatches(devices, hostname)) return site;
	if (!settings.siteFromLocation) return null;
	const location = alert.device.location?.trim();
	return location ? location.slice(0, 120) : null;
}

export function isUpstream(hostname: string, settings: IncidentSettings): boolean {
	return anyMatches(settings.upstreamDevices, hostname);
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const minutesOf = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

/** Weekday and minute of the day at `at` in `timeZone` (Intl: no time-zone table of our own). */
function localTime(at: number, timeZone: string): { day: (typeof WEEKDAYS)[number]; minute: number } {
	const parts = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
	const get = (type: string) => parts.find((part) => part.type === type)?.value ?? '';
	const day = get('weekday').toLowerCase().slice(0, 3) as (typeof WEEKDAYS)[number];
	return { day, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

/** Is a window running at `at`? A weekly window whose end is before its start runs past midnight into the next day. */
export function windowRuns(window: MaintenanceWindow, at: number): boolean {
	if (window.from !== undefined && window.to !== undefined) return at >= Date.parse(window.from) && at < Date.parse(window.to);
	const { day, minute } = localTime(at, window.timeZone ?? 'UTC');
	const start = minutesOf(window.start!);
	const end = minutesOf(window.end!);
	const days = window.days ?? [];
	if (start <= end) return days.includes(day) && minute >= start && minute < end;
	const yesterday = WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7];
	return (days.includes(day) && minute >= start) || (days.includes(yesterday) && minute < end);
}

/** The first ignore rule or running maintenance window that covers the alert, or undefined. */
export function suppressionOf(alert: IncidentAlert, site: string | null, settings: IncidentSettings, at: number): Suppression | undefined {
	const hostname = alert.device.hostname;
	const device = settings.ignoreDevices.find((pattern) => globMatches(pattern, hostname));
	if (device) return { reason: 'ignored_device', rule: device };
	const entityType = alert.entity?.type?.toLowerCase();
	const type = entityType ? settings.ignoreEntityTypes.find((candidate) => candidate.toLowerCase() === entityType) : undefined;
	if (type) return { reason: 'ignored_entity_type', rule: type };
	const message = `${alert.message ?? ''}\n${alert.title ?? ''}`.toLowerCase();
	const check = settings.ignoreChecks.find((text) => message.includes(text.toLowerCase()));
	if (check) return { reason: 'ignored_check', rule: check };
	const window = settings.maintenance.find(
		(candidate) =>
			(anyMatches(candidate.devices ?? [], hostname) || (site !== null && (candidate.sites ?? []).some((name) => name.toLowerCase() === site.toLowerCase()))) &&
			windowRuns(candidate, at),
	);
	if (window) return { reason: 'maintenance', rule: window.name };
	return undefined;
}
