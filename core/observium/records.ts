import { parseJsonText, toFlag, toNumber, toText, type RawRow } from './raw';
import { isoOrNull, parseServerDatetime, parseUnixSeconds } from './time';

/** Typed views of Observium rows: numbers as numbers, times as ISO UTC, flags as booleans. */

export interface ObserviumDevice {
	id: number;
	hostname: string;
	sysName: string | null;
	ip: string | null;
	up: boolean;
	/** Why Observium marks it down: `ping`, `snmp`, `dns`… (null when up). */
	downReason: string | null;
	disabled: boolean;
	ignored: boolean;
	os: string | null;
	version: string | null;
	hardware: string | null;
	vendor: string | null;
	serial: string | null;
	type: string | null;
	location: string | null;
	description: string | null;
	uptimeSeconds: number | null;
	lastRebooted: string | null;
	lastPolled: string | null;
}

export interface ObserviumPort {
	portId: number;
	ifIndex: number | null;
	name: string;
	description: string | null;
	adminStatus: string;
	operStatus: string;
	speedMbps: number | null;
	/** Observium reports octets per second; these are bits per second. */
	inBitsPerSecond: number;
	outBitsPerSecond: number;
	inErrorsPerSecond: number;
	outErrorsPerSecond: number;
	lastChange: string | null;
	disabled: boolean;
	deleted: boolean;
}

export type AlertStatus = 'failed' | 'ok' | 'delayed' | 'suppressed' | 'unknown';

export interface ObserviumAlertCheck {
	checkId: number;
	name: string;
	entityType: string;
	severity: string | null;
	message: string | null;
	/** Metrics the check tests, e.g. `device_status`: tells a device-down check from the rest. */
	metrics: string[];
	conditions: string[];
}

export interface ObserviumAlert {
	alertId: number;
	checkId: number;
	deviceId: number;
	status: AlertStatus;
	entityType: string;
	entityId: number | null;
	entityName: string | null;
	message: string | null;
	since: string | null;
	lastChecked: string | null;
	lastAlerted: string | null;
	failedConditions: string[];
	metrics: Record<string, string>;
}

export interface ObserviumAlertLogEntry {
	eventId: number;
	checkId: number | null;
	deviceId: number;
	entityType: string;
	entityId: number | null;
	/** Epoch ms; null when the row had no readable time. */
	at: number | null;
	/** Observium's log_type: FAIL, FAIL_DELAYED, FAIL_SUPPRESSED, ALERT_NOTIFY, OK, RECOVER_NOTIFY… */
	type: string;
	message: string | null;
}

const ALERT_STATUS: Record<string, AlertStatus> = { '0': 'failed', '1': 'ok', '2': 'delayed', '3': 'suppressed' };

export function toDevice(row: RawRow, timeZone: string): ObserviumDevice {
	const up = toNumber(row.status) === 1;
	return {
		id: toNumber(row.device_id) ?? 0,
		hostname: toText(row.hostname) ?? '',
		sysName: toText(row.sysName),
		ip: toText(row.ip),
		up,
		downReason: up ? null : (toText(row.status_type) ?? 'unknown'),
		disabled: toFlag(row.disabled),
		ignored: toFlag(row.ignore),
		os: toText(row.os_text) ?? toText(row.os),
		version: toText(row.version),
		hardware: toText(row.hardware),
		vendor: toText(row.vendor),
		serial: toText(row.serial),
		type: toText(row.type),
		location: toText(row.location),
		description: toText(row.purpose) ?? toText(row.sysDescr),
		uptimeSeconds: toNumber(row.uptime),
		lastRebooted: isoOrNull(parseUnixSeconds(row.last_rebooted)),
		lastPolled: isoOrNull(parseServerDatetime(row.last_polled, timeZone)),
	};
}

export function toPort(row: RawRow, timeZone: string): ObserviumPort {
	const rate = (value: unknown) => toNumber(value) ?? 0;
	const highSpeed = toNumber(row.ifHighSpeed);
	const speedBps = toNumber(row.ifSpeed);
	return {
		portId: toNumber(row.port_id) ?? 0,
		ifIndex: toNumber(row.ifIndex),
		name:
			toText(row.port_label_short) ??
			toText(row.port_label) ??
			toText(row.ifName) ??
			toText(row.ifDescr) ??
			`port ${String(row.port_id)}`,
		description: toText(row.ifAlias),
		adminStatus: toText(row.ifAdminStatus) ?? 'unknown',
		operStatus: toText(row.ifOperStatus) ?? 'unknown',
		speedMbps: highSpeed ?? (speedBps === null ? null : speedBps / 1_000_000),
		inBitsPerSecond: rate(row.ifInOctets_rate) * 8,
		outBitsPerSecond: rate(row.ifOutOctets_rate) * 8,
		inErrorsPerSecond: rate(row.ifInErrors_rate),
		outErrorsPerSecond: rate(row.ifOutErrors_rate),
		lastChange: isoOrNull(parseServerDatetime(row.ifLastChange, timeZone) ?? parseUnixSeconds(row.ifLastChange)),
		disabled: toFlag(row.disabled),
		deleted: toFlag(row.deleted),
	};
}

interface RawCondition {
	metric?: unknown;
	condition?: unknown;
	value?: unknown;
}

function conditionText(condition: RawCondition): string {
	return [condition.metric, condition.condition, condition.value]
		.map((part) => String(part ?? ''))
		.join(' ')
		.trim();
}

function conditionList(value: unknown): RawCondition[] {
	const parsed = parseJsonText(value);
	return Array.isArray(parsed) ? parsed.filter((item): item is RawCondition => typeof item === 'object' && item !== null) : [];
}

export function toAlertCheck(row: RawRow): ObserviumAlertCheck {
	const conditions = conditionList(row.conditions);
	return {
		checkId: toNumber(row.alert_test_id) ?? 0,
		name: toText(row.alert_name) ?? `check ${String(row.alert_test_id)}`,
		entityType: toText(row.entity_type) ?? 'unknown',
		severity: toText(row.severity),
		message: toText(row.alert_message),
		metrics: conditions.map((condition) => String(condition.metric ?? '')).filter(Boolean),
		conditions: conditions.map(conditionText),
	};
}

export function toAlert(row: RawRow): ObserviumAlert {
	const state = parseJsonText(row.state) as { failed?: unknown; metrics?: unknown } | null;
	const failed = Array.isArray(state?.failed) ? (state.failed as RawCondition[]) : [];
	const metrics: Record<string, string> = {};
	if (state && typeof state.metrics === 'object' && state.metrics !== null) {
		for (const [name, value] of Object.entries(state.metrics)) metrics[name] = String(value ?? '');
	}
	return {
		alertId: toNumber(row.alert_table_id) ?? 0,
		checkId: toNumber(row.alert_test_id) ?? 0,
		deviceId: toNumber(row.device_id) ?? 0,
		status: ALERT_STATUS[String(row.alert_status)] ?? 'unknown',
		entityType: toText(row.entity_type) ?? 'unknown',
		entityId: toNumber(row.entity_id),
		entityName: toText(row.entity_name) ?? toText(row.entity_shortname),
		message: toText(row.last_message),
		since: isoOrNull(parseUnixSeconds(row.last_changed)),
		lastChecked: isoOrNull(parseUnixSeconds(row.last_checked)),
		lastAlerted: isoOrNull(parseUnixSeconds(row.last_alerted)),
		failedConditions: failed.map(conditionText),
		metrics,
	};
}

export function toAlertLogEntry(row: RawRow, timeZone: string): ObserviumAlertLogEntry {
	return {
		eventId: toNumber(row.event_id) ?? toNumber(row.id) ?? 0,
		checkId: toNumber(row.alert_test_id),
		deviceId: toNumber(row.device_id) ?? 0,
		entityType: toText(row.entity_type) ?? 'unknown',
		entityId: toNumber(row.entity_id),
		at: parseServerDatetime(row.timestamp, timeZone) ?? parseUnixSeconds(row.timestamp) ?? null,
		type: toText(row.log_type) ?? 'UNKNOWN',
		message: toText(row.message),
	};
}
