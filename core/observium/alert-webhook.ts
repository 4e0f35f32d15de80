import { WidipError } from '../errors';
import { toNumber, toText } from './raw';
import { parseDurationText } from './time';

/**
 * Observium's alert notifications carry Mustache tags (ALERT_STATE, ALERT_ID, DEVICE_HOSTNAME…).
 * A webhook body may hold them as an object, as JSON text, inside n8n's Webhook output (`body`),
 * or as the script transport's `OBSERVIUM_<TAG>` names; all end in one shape.
 */

export const ALERT_STATES = ['ALERT', 'RECOVER', 'SYSLOG', 'ALERT REMINDER'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export interface NormalizedAlert {
	alertId: number;
	state: AlertState;
	isRecovery: boolean;
	isReminder: boolean;
	status: 'failed' | 'ok';
	severity: string | null;
	time: string;
	unixTime: number;
	title: string | null;
	message: string | null;
	device: {
		id: number | null;
		hostname: string;
		sysName: string | null;
		location: string | null;
		hardware: string | null;
		os: string | null;
		type: string | null;
		uptime: string | null;
	};
	entity: { type: string | null; id: number | null; name: string | null; description: string | null };
	conditions: string[];
	metrics: string[];
	duration: string | null;
	durationSeconds: number | null;
	url: string | null;
	syslogMessage: string | null;
}

type Tags = Map<string, unknown>;

function malformed(operation: string, detail: string): WidipError {
	return new WidipError('bad_request', `Observium alert payload (${operation}): ${detail}`, { service: 'observium', operation });
}

function asObject(value: unknown): Record<string, unknown> | undefined {
	if (typeof value === 'string') {
		try {
			return asObject(JSON.parse(value));
		} catch {
			return undefined;
		}
	}
	return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function readTags(payload: Record<string, unknown>): Tags {
	const tags: Tags = new Map();
	for (const [key, value] of Object.entries(payload)) {
		tags.set(key.toUpperCase().replace(/^OBSERVIUM_/, ''), value);
	}
	return tags;
}

/** The tags themselves, or those inside `body` when the whole n8n Webhook item was passed. */
function findTags(payload: Record<string, unknown>): Tags {
	const tags = readTags(payload);
	if (tags.has('ALERT_STATE') || tags.has('ALERT_ID')) return tags;
	const body = asObject(tags.get('BODY'));
	return body ? readTags(body) : tags;
}

function lines(value: unknown): string[] {
	const text = toText(value);
	if (!text) return [];
	return text
		.split(/\r?\n|<br\s*\/?>/i)
		.map((line) => line.trim())
		.filter(Boolean);
}

function eventTime(tags: Tags, operation: string): number {
	const unix = toNumber(tags.get('ALERT_UNIXTIME'));
	if (unix !== null) {
		if (unix <= 0) throw malformed(operation, `ALERT_UNIXTIME "${String(tags.get('ALERT_UNIXTIME'))}" is not a unix time`);
		return unix * 1000;
	}
	for (const tag of ['ALERT_TIMESTAMP_RFC3339', 'ALERT_TIMESTAMP']) {
		const text = toText(tags.get(tag));
		if (!text) continue;
		// "2020-09-19 19:27:04 +03:00" → "2020-09-19T19:27:04+03:00"
		const parsed = Date.parse(text.replace(/^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) ?/, '$1T$2'));
		if (Number.isFinite(parsed)) return parsed;
		throw malformed(operation, `${tag} "${text}" is not a date`);
	}
	throw malformed(operation, 'missing ALERT_UNIXTIME (the event time; ALERT_TIMESTAMP also works)');
}

function alertState(tags: Tags, operation: string): AlertState {
	const state = String(tags.get('ALERT_STATE')).trim().toUpperCase().replace(/\s+/g, ' ');
	const known = ALERT_STATES.find((candidate) => candidate === state) ?? (state === 'REMINDER' ? 'ALERT REMINDER' : undefined);
	if (!known) throw malformed(operation, `ALERT_STATE "${state}" is not one of ${ALERT_STATES.join(', ')}`);
	return known;
}

export function normalizeAlert(payload: Record<string, unknown>, operation = 'observium.normalize_alert'): NormalizedAlert {
	const tags = findTags(payload);
	const missing = ['ALERT_STATE', 'ALERT_ID', 'DEVICE_HOSTNAME'].filter((tag) => toText(tags.get(tag)) === null);
	if (missing.length > 0) {
		throw malformed(operation, `missing ${missing.join(', ')} (expected Observium's ALL_CAPS notification tags)`);
	}
	const alertId = toNumber(tags.get('ALERT_ID'));
	if (alertId === null || !Number.isInteger(alertId)) {
		throw malformed(operation, `ALERT_ID "${String(tags.get('ALERT_ID'))}" is not Observium's numeric alert id`);
	}
	const state = alertState(tags, operation);
	const at = eventTime(tags, operation);
	const statusTag = toText(tags.get('ALERT_STATUS'));
	const duration = toText(tags.get('DURATION'));
	const text = (tag: string) => toText(tags.get(tag));
	return {
		alertId,
		state,
		isRecovery: state === 'RECOVER',
		isReminder: state === 'ALERT REMINDER',
		status: statusTag === '1' || (statusTag === null && state === 'RECOVER') ? 'ok' : 'failed',
		severity: text('ALERT_SEVERITY'),
		time: new Date(at).toISOString(),
		unixTime: Math.floor(at / 1000),
		title: text('TITLE'),
		message: text('ALERT_MESSAGE'),
		device: {
			id: toNumber(tags.get('DEVICE_ID')),
			hostname: text('DEVICE_HOSTNAME')!,
			sysName: text('DEVICE_SYSNAME'),
			location: text('DEVICE_LOCATION'),
			hardware: text('DEVICE_HARDWARE'),
			os: text('DEVICE_OS'),
			type: text('DEVICE_TYPE'),
			uptime: text('DEVICE_UPTIME'),
		},
		entity: {
			type: text('ENTITY_TYPE'),
			id: toNumber(tags.get('ENTITY_ID')),
			name: text('ENTITY_NAME'),
			description: text('ENTITY_DESCRIPTION'),
		},
		conditions: lines(tags.get('CONDITIONS')),
		metrics: lines(tags.get('METRICS')),
		duration,
		durationSeconds: duration ? (parseDurationText(duration) ?? null) : null,
		url: text('ALERT_URL'),
		syslogMessage: text('SYSLOG_MESSAGE'),
	};
}
