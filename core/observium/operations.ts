import { z } from 'zod/v4';

import { defineOperation } from '../catalogue/operation';
import { normalizeAlert } from './alert-webhook';
import {
	deviceAlertsOutput,
	deviceHistoryOutput,
	deviceMetricsOutput,
	deviceStatusOutput,
	normalizedAlertOutput,
} from './outputs';
import { deviceAlertsView, deviceHistoryView, deviceMetricsView, deviceStatusView, MAX_HISTORY_EVENTS } from './views';

const device = z
	.string()
	.trim()
	.min(1)
	.max(255)
	// It becomes a URL path segment: only what hostnames, IP addresses and ids are made of.
	.regex(/^(?!\.{1,2}$)[A-Za-z0-9_.:-]+$/, 'use a hostname, an IP address or a numeric device id')
	.describe(
		'The device: its Observium hostname (e.g. EHPAD-Bellevue-RTR01; a short name also finds name.domain when unique) or its numeric Observium device id (e.g. 101)',
	)
	.meta({ title: 'Device', placeholder: 'EHPAD-Bellevue-RTR01' });

export const observiumDeviceStatus = defineOperation({
	id: 'observium.device_status',
	service: 'observium',
	displayName: 'Get Device Status',
	summary: 'Tell whether a device is up or down right now.',
	description:
		'Tell whether a network device watched by Observium is up or down right now. Returns {status: "up"|"down", isUp, downReason (ping/snmp…), uptime, lastPolled, lastRebooted, os, hardware, vendor, location, summary}. Use it first when an alert or a ticket names a device.',
	level: 0,
	input: z.strictObject({ device }),
	output: deviceStatusOutput,
	handler: async ({ device }, observium) => deviceStatusView(await observium.device('observium.device_status', device)),
});

export const observiumDeviceMetrics = defineOperation({
	id: 'observium.device_metrics',
	service: 'observium',
	displayName: 'Get Device Metrics',
	summary: 'Read a device\'s ports: status, traffic, utilisation and errors.',
	description:
		'Read the ports of a device from Observium: admin/oper status, speed, in/out traffic in bit/s with utilisation %, error rates per second, plus totals (ports up, down while enabled, with errors). Use it to spot a dead WAN link, a saturated uplink or a faulty cable. Figures are from the last poll (every 5 min).',
	level: 0,
	input: z.strictObject({ device }),
	output: deviceMetricsOutput,
	handler: async ({ device }, observium) => {
		const found = await observium.device('observium.device_metrics', device);
		return deviceMetricsView(found, await observium.ports('observium.device_metrics', found.id));
	},
});

export const observiumDeviceAlerts = defineOperation({
	id: 'observium.device_alerts',
	service: 'observium',
	displayName: 'Get Device Alerts',
	summary: 'List the alerts Observium reports for a device, failing ones first.',
	description:
		'List the Observium alerts of a device: each with its check name, severity, status (failed/ok/delayed/suppressed), entity (device, port…), message, since when, and the failed conditions. Failing alerts come first; failedCount says how many. Use it to see what Observium currently reports as broken.',
	level: 0,
	input: z.strictObject({
		device,
		status: z
			.enum(['all', 'failed'])
			.default('all')
			.describe('"all" lists every alert entry of the device (failing and OK); "failed" only those failing now')
			.meta({ title: 'Alert Status' }),
	}),
	output: deviceAlertsOutput,
	handler: async ({ device, status }, observium) => {
		const operation = 'observium.device_alerts';
		const found = await observium.device(operation, device);
		const [alerts, checks] = await Promise.all([observium.alerts(operation, found.id, status), observium.alertChecks(operation)]);
		return deviceAlertsView(found, alerts, checks);
	},
});

export const observiumDeviceHistory = defineOperation({
	id: 'observium.device_history',
	service: 'observium',
	displayName: 'Get Device History',
	summary: 'Summarise a device\'s last hours: outages, minutes down and stability.',
	description: `Summarise a device's recent history from Observium's alert log: over the last N hours, how many times it went down, minutes down, a stability figure (0–100 %, the share of the window it was up) and the alert events (failed, notified, recovered) in time order, at most ${MAX_HISTORY_EVENTS} most recent. Use it to tell a one-off outage from a flapping link.`,
	level: 0,
	input: z.strictObject({
		device,
		hours: z
			.number()
			.int()
			.min(1)
			.max(720)
			.default(24)
			.describe('How far back to look, in hours (1–720, i.e. up to 30 days)')
			.meta({ title: 'Hours' }),
	}),
	output: deviceHistoryOutput,
	handler: async ({ device, hours }, observium) => {
		const operation = 'observium.device_history';
		const toMs = Date.now();
		const fromMs = toMs - hours * 3_600_000;
		const [found, checks] = await Promise.all([observium.device(operation, device), observium.alertChecks(operation)]);
		const entries = await observium.alertLog(operation, found.id, fromMs, toMs);
		return deviceHistoryView(found, entries, checks, { fromMs, toMs, hours });
	},
});

export const observiumNormalizeAlert = defineOperation({
	id: 'observium.normalize_alert',
	service: 'observium',
	displayName: 'Normalize Alert',
	summary: 'Turn the body of an Observium alert webhook into one clean alert (no call to Observium).',
	description:
		'Turn the body of an Observium alert webhook (its ALL_CAPS tags: ALERT_STATE, ALERT_ID, ALERT_UNIXTIME, DEVICE_HOSTNAME, ENTITY_*, ALERT_MESSAGE, CONDITIONS…) into one clean alert: {alertId, state ALERT|RECOVER|SYSLOG|ALERT REMINDER, isRecovery, severity, time (ISO), device, entity, conditions, metrics, duration, title, url}. No call to Observium. A payload missing a required tag, or with a malformed one (id, time, hostname), fails with the tag named; free text is cleaned of control characters and capped ("… [truncated]").',
	level: 0,
	input: z.strictObject({
		// Any object, whatever its keys: z.record refuses one with an own `constructor` key (zod's
		// plain-object test reads it), which let one junk tag fail the whole alert.
		payload: z
			.looseObject({})
			.describe(
				'The webhook body Observium sent, as an object of its notification tags; in n8n usually {{ $json.body }} of the Webhook node (the whole Webhook item also works)',
			)
			.meta({ title: 'Alert Payload' }),
	}),
	output: normalizedAlertOutput,
	handler: async ({ payload }) => normalizeAlert(payload),
});

export const observiumOperations = [
	observiumDeviceStatus,
	observiumDeviceMetrics,
	observiumDeviceAlerts,
	observiumDeviceHistory,
	observiumNormalizeAlert,
];
