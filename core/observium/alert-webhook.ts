import { malformed, tagReader, type Tags } from './alert-fields';
import { quote } from './alert-text';
import { alertTime } from './alert-time';
import { parseDurationText } from './time';

/**
 * Observium's alert notifications carry Mustache tags (ALERT_STATE, ALERT_ID, DEVICE_HOSTNAME…).
 * A webhook body may hold them as an object, as JSON text, inside n8n's Webhook output (`body`),
 * or as the script transport's `OBSERVIUM_<TAG>` names; all end in one shape. Every tag is checked
 * and capped on the way (alert-fields.ts): the body comes from whoever can reach the webhook.
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

/**
 * Tags go into a Map, read from the body's own keys only: a tag named `constructor`, `__proto__`
 * or `toString` is just an unknown tag (ignored), never a property lookup on an object.
 */
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

function alertState(state: string, operation: string): AlertState {
	const normalized = state.toUpperCase().replace(/\s+/g, ' ');
	const known = ALERT_STATES.find((candidate) => candidate === normalized) ?? (normalized === 'REMINDER' ? 'ALERT REMINDER' : undefined);
	if (!known) throw malformed(operation, `ALERT_STATE ${quote(normalized)} is not one of ${ALERT_STATES.join(', ')}`);
	return known;
}

/** `now` (epoch ms) bounds how far in the future the alert time may be; tests pin it. */
export function normalizeAlert(payload: Record<string, unknown>, operation = 'observium.normalize_alert', now = Date.now()): NormalizedAlert {
	const tags = findTags(payload);
	const read = tagReader(tags, operation);
	const required = { ALERT_STATE: read.text('ALERT_STATE'), ALERT_ID: read.id('ALERT_ID'), DEVICE_HOSTNAME: read.text('DEVICE_HOSTNAME') };
	const missing = Object.entries(required).filter(([, value]) => value === null).map(([tag]) => tag);
	if (missing.length > 0) {
		throw malformed(operation, `missing ${missing.join(', ')} (expected Observium's ALL_CAPS notification tags)`);
	}
	const state = alertState(required.ALERT_STATE!, operation);
	const at = alertTime(tags, read, operation, now);
	const statusTag = read.text('ALERT_STATUS');
	const duration = read.text('DURATION');
	return {
		alertId: required.ALERT_ID!,
		state,
		isRecovery: state === 'RECOVER',
		isReminder: state === 'ALERT REMINDER',
		status: statusTag === '1' || (statusTag === null && state === 'RECOVER') ? 'ok' : 'failed',
		severity: read.text('ALERT_SEVERITY'),
		time: new Date(at).toISOString(),
		unixTime: Math.floor(at / 1000),
		title: read.text('TITLE'),
		message: read.text('ALERT_MESSAGE'),
		device: {
			id: read.id('DEVICE_ID'),
			hostname: required.DEVICE_HOSTNAME!,
			sysName: read.text('DEVICE_SYSNAME'),
			location: read.text('DEVICE_LOCATION'),
			hardware: read.text('DEVICE_HARDWARE'),
			os: read.text('DEVICE_OS'),
			type: read.text('DEVICE_TYPE'),
			uptime: read.text('DEVICE_UPTIME'),
		},
		entity: {
			type: read.text('ENTITY_TYPE'),
			id: read.id('ENTITY_ID'),
			name: read.text('ENTITY_NAME'),
			description: read.text('ENTITY_DESCRIPTION'),
		},
		conditions: read.list('CONDITIONS'),
		metrics: read.list('METRICS'),
		duration,
		durationSeconds: duration ? (parseDurationText(duration) ?? null) : null,
		url: read.text('ALERT_URL'),
		syslogMessage: read.text('SYSLOG_MESSAGE'),
	};
}
