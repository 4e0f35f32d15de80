import type { ObserviumAlertCheck, ObserviumAlertLogEntry } from './records';

/** What each alert_log type means, in the words a technician would use. */
const MEANINGS: Record<string, string> = {
	FAIL: 'checks failed',
	FAIL_DELAYED: 'checks failed, alert delayed',
	FAIL_SUPPRESSED: 'checks failed, alert suppressed',
	ALERT_NOTIFY: 'alert notification sent',
	OK: 'checks OK again',
	RECOVER_NOTIFY: 'recovery notification sent',
	RECOVER_SUPPRESSED: 'recovery notification suppressed',
};

const FAILING = new Set(['FAIL', 'FAIL_DELAYED', 'FAIL_SUPPRESSED', 'ALERT_NOTIFY']);
const RECOVERING = new Set(['OK', 'RECOVER_NOTIFY', 'RECOVER_SUPPRESSED']);

export function eventMeaning(type: string): string {
	return MEANINGS[type] ?? type.toLowerCase().replace(/_/g, ' ');
}

/** Checks that watch the device's own up/down status (Observium's `device_status` metric). */
export function deviceStatusCheckIds(checks: readonly ObserviumAlertCheck[]): Set<number> {
	return new Set(
		checks
			.filter((check) => check.entityType === 'device' && check.metrics.includes('device_status'))
			.map((check) => check.checkId),
	);
}

export interface Downtime {
	downtimeMs: number;
	/** Distinct down periods touching the window, including one still running. */
	episodes: number;
}

/**
 * Down time of a device inside [fromMs, toMs], replayed from its device-status alert_log entries.
 * A first entry that is a recovery means the device was already down when the window opened; no
 * entry at all while the device is down now means it was down for the whole window.
 */
export function deviceDowntime(
	entries: readonly ObserviumAlertLogEntry[],
	statusCheckIds: ReadonlySet<number>,
	window: { fromMs: number; toMs: number },
	upNow: boolean,
): Downtime {
	const relevant = entries.filter(
		(entry) => entry.entityType === 'device' && entry.checkId !== null && statusCheckIds.has(entry.checkId) && entry.at !== null,
	);
	let state: 'unknown' | 'up' | 'down' = 'unknown';
	let downSince = window.fromMs;
	let downtimeMs = 0;
	let episodes = 0;
	for (const entry of relevant) {
		const at = Math.min(Math.max(entry.at!, window.fromMs), window.toMs);
		if (FAILING.has(entry.type) && state !== 'down') {
			state = 'down';
			downSince = at;
			episodes++;
		} else if (RECOVERING.has(entry.type) && state !== 'up') {
			if (state === 'unknown') episodes++;
			downtimeMs += at - (state === 'down' ? downSince : window.fromMs);
			state = 'up';
		}
	}
	if (state === 'down') downtimeMs += window.toMs - downSince;
	if (state === 'unknown' && !upNow) {
		downtimeMs = window.toMs - window.fromMs;
		episodes = 1;
	}
	return { downtimeMs, episodes };
}

/** Share of the window the device was up, 0–100, one decimal. */
export function stabilityPercent(downtimeMs: number, windowMs: number): number {
	if (windowMs <= 0) return 100;
	const up = 100 * (1 - downtimeMs / windowMs);
	return Math.round(Math.min(100, Math.max(0, up)) * 10) / 10;
}
