import { z } from 'zod/v4';

import { ALERT_STATES } from './alert-webhook';

/** Output schemas of the Observium operations: what nodes, MCP tools and tests can rely on. */

const text = z.string().nullable();
const isoTime = z.string().nullable();

const deviceIdentity = {
	deviceId: z.number().int(),
	hostname: z.string(),
};

export const deviceStatusOutput = z.object({
	...deviceIdentity,
	status: z.enum(['up', 'down']),
	isUp: z.boolean(),
	downReason: text,
	disabled: z.boolean(),
	ignored: z.boolean(),
	uptimeSeconds: z.number().nullable(),
	uptime: text,
	lastRebooted: isoTime,
	lastPolled: isoTime,
	sysName: text,
	ip: text,
	os: text,
	version: text,
	hardware: text,
	vendor: text,
	serial: text,
	type: text,
	location: text,
	description: text,
	summary: z.string(),
});

export const portOutput = z.object({
	portId: z.number().int(),
	ifIndex: z.number().int().nullable(),
	name: z.string(),
	description: text,
	adminStatus: z.string(),
	operStatus: z.string(),
	speedMbps: z.number().nullable(),
	inBitsPerSecond: z.number(),
	outBitsPerSecond: z.number(),
	inUtilisationPercent: z.number().nullable(),
	outUtilisationPercent: z.number().nullable(),
	inErrorsPerSecond: z.number(),
	outErrorsPerSecond: z.number(),
	lastChange: isoTime,
});

export const deviceMetricsOutput = z.object({
	...deviceIdentity,
	deviceUp: z.boolean(),
	ports: z.array(portOutput),
	totals: z.object({
		ports: z.number().int(),
		up: z.number().int(),
		down: z.number().int(),
		adminDown: z.number().int(),
		inBitsPerSecond: z.number(),
		outBitsPerSecond: z.number(),
		errorsPerSecond: z.number(),
		portsWithErrors: z.number().int(),
	}),
	summary: z.string(),
});

export const alertOutput = z.object({
	alertId: z.number().int(),
	checkId: z.number().int(),
	checkName: z.string(),
	severity: text,
	status: z.enum(['failed', 'ok', 'delayed', 'suppressed', 'unknown']),
	entityType: z.string(),
	entityId: z.number().int().nullable(),
	entityName: text,
	message: text,
	since: isoTime,
	lastChecked: isoTime,
	failedConditions: z.array(z.string()),
	metrics: z.record(z.string(), z.string()),
});

export const deviceAlertsOutput = z.object({
	...deviceIdentity,
	deviceUp: z.boolean(),
	failedCount: z.number().int(),
	alerts: z.array(alertOutput),
	summary: z.string(),
});

export const historyEventOutput = z.object({
	eventId: z.number().int(),
	time: isoTime,
	type: z.string(),
	meaning: z.string(),
	checkName: text,
	entityType: z.string(),
	entityId: z.number().int().nullable(),
	message: text,
});

export const deviceHistoryOutput = z.object({
	...deviceIdentity,
	hours: z.number(),
	from: z.string(),
	to: z.string(),
	isUp: z.boolean(),
	downtimeMinutes: z.number(),
	downEpisodes: z.number().int(),
	stabilityPercent: z.number().min(0).max(100),
	eventCount: z.number().int(),
	events: z.array(historyEventOutput),
	summary: z.string(),
});

export const normalizedAlertOutput = z.object({
	alertId: z.number().int(),
	state: z.enum(ALERT_STATES),
	isRecovery: z.boolean(),
	isReminder: z.boolean(),
	status: z.enum(['failed', 'ok']),
	severity: text,
	time: z.string(),
	unixTime: z.number().int(),
	title: text,
	message: text,
	device: z.object({
		id: z.number().int().nullable(),
		hostname: z.string(),
		sysName: text,
		location: text,
		hardware: text,
		os: text,
		type: text,
		uptime: text,
	}),
	entity: z.object({ type: text, id: z.number().int().nullable(), name: text, description: text }),
	conditions: z.array(z.string()),
	metrics: z.array(z.string()),
	duration: text,
	durationSeconds: z.number().nullable(),
	url: text,
	syslogMessage: text,
});
