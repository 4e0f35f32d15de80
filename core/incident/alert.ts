import { createHash } from 'node:crypto';

import { z } from 'zod/v4';

import { ALERT_STATES } from '../observium/alert-webhook';
import type { IncidentSettings } from './settings';

/**
 * What intake reads of an alert: the fields Observium Normalize Alert produces (the whole object may
 * be passed; other fields are ignored). Capped like the normaliser caps them, because a workflow may
 * also feed intake from elsewhere.
 */
const text = (max: number) => z.string().max(max).nullable().optional();

export const incidentAlertSchema = z.looseObject({
	alertId: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
	state: z.enum(ALERT_STATES),
	unixTime: z.number().int().min(0).max(32_503_680_000),
	severity: text(32),
	title: text(300),
	message: text(4000),
	device: z.looseObject({
		hostname: z
			.string()
			.min(1)
			.max(253)
			.regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and . _ : - only'),
		id: z.number().int().nullable().optional(),
		location: text(255),
		type: text(64),
		hardware: text(255),
	}),
	entity: z
		.looseObject({
			type: text(64),
			id: z.number().int().nullable().optional(),
			name: text(255),
		})
		.optional(),
});

export type IncidentAlert = z.output<typeof incidentAlertSchema>;

const sha = (value: string) => createHash('sha256').update(value).digest('hex');

/** The parts of an alert's identity, lower-cased so `RTR01` and `rtr01` are one device. */
function identityParts(alert: IncidentAlert): Record<'device' | 'entity' | 'check', string> {
	const entity = alert.entity;
	const entityName = entity ? `${entity.type ?? ''}:${entity.id ?? entity.name ?? ''}` : 'device:';
	// The check's own message (ALERT_MESSAGE) is the same for its alert, reminders and recovery;
	// conditions carry live values and change. Without a message, Observium's alert entry id.
	const check = alert.message?.trim() ? alert.message.trim() : `alert:${alert.alertId}`;
	return { device: alert.device.hostname, entity: entityName, check };
}

/**
 * The dedup key, like PagerDuty's: a hash of the configured identity fields. The same problem gives
 * the same fingerprint in every worker, whatever the alert's other fields say.
 */
export function fingerprintOf(alert: IncidentAlert, settings: Pick<IncidentSettings, 'fingerprintFields'>): string {
	const parts = identityParts(alert);
	const key = settings.fingerprintFields.map((field) => `${field}=${parts[field].toLowerCase()}`).join('\n');
	return sha(key).slice(0, 32);
}

/**
 * One delivery of one notification: Observium (or a proxy) retrying a webhook sends the same alert
 * entry, state and time again; that is a duplicate delivery, not a new sample for flap detection.
 */
export function deliveryIdOf(alert: IncidentAlert): string {
	return sha(`${alert.alertId}\n${alert.state}\n${alert.unixTime}\n${alert.device.hostname.toLowerCase()}`).slice(0, 16);
}

export type AlertKind = 'failure' | 'reminder' | 'recovery';

export function kindOf(alert: IncidentAlert): AlertKind {
	if (alert.state === 'RECOVER') return 'recovery';
	if (alert.state === 'ALERT REMINDER') return 'reminder';
	return 'failure';
}
