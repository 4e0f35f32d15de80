import { incidentAlertSchema, type IncidentAlert } from '../../core/incident/alert';
import { normalizeAlert } from '../../core/observium/alert-webhook';
import { ALERT } from '../observium/alert-fixture';

/** A fixed, realistic clock: 2026-11-02 08:00 UTC. Tests move it forward explicitly. */
export const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);

export interface AlertSpec {
	state?: 'ALERT' | 'RECOVER' | 'ALERT REMINDER';
	host?: string;
	location?: string;
	/** Observium's alert-table entry: one per (check, entity). */
	alertId?: number;
	message?: string;
	entityType?: string;
	entityName?: string;
	type?: string;
	at: number;
}

/**
 * An Observium webhook body, as its notification template sends it (tags of
 * test/observium/alert-fixture.ts), passed through the real normaliser: what intake gets in a flow.
 */
export function observiumAlert(spec: AlertSpec): IncidentAlert {
	const host = spec.host ?? 'EHPAD-Bellevue-RTR01';
	const state = spec.state ?? 'ALERT';
	const payload = {
		...ALERT,
		ALERT_STATE: state,
		ALERT_STATUS: state === 'RECOVER' ? '1' : '0',
		ALERT_UNIXTIME: Math.floor(spec.at / 1000),
		ALERT_TIMESTAMP: undefined,
		ALERT_ID: String(spec.alertId ?? 9827),
		ALERT_MESSAGE: spec.message ?? 'up/down',
		DEVICE_HOSTNAME: host,
		DEVICE_SYSNAME: `${host}.widip.lan`,
		DEVICE_LOCATION: spec.location ?? 'EHPAD Bellevue, Lyon, France',
		DEVICE_TYPE: spec.type ?? 'network',
		ENTITY_TYPE: spec.entityType ?? 'device',
		ENTITY_NAME: spec.entityName ?? host,
		TITLE: `${state}: [${host}] [device] ${spec.message ?? 'up/down'}`,
	};
	return incidentAlertSchema.parse(normalizeAlert(payload, 'observium.normalize_alert', spec.at + 60_000));
}
