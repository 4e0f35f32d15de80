import type { z } from 'zod/v4';

import { deviceDowntime, deviceStatusCheckIds, eventMeaning, stabilityPercent } from './history';
import type { deviceAlertsOutput, deviceHistoryOutput, deviceMetricsOutput, deviceStatusOutput, portOutput } from './outputs';
import type { ObserviumAlert, ObserviumAlertCheck, ObserviumAlertLogEntry, ObserviumDevice, ObserviumPort } from './records';
import { formatDuration } from './time';

/** Turns typed Observium records into the answers of the catalogue operations. */

type Out<T extends z.ZodType> = z.input<T>;

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

function label(device: ObserviumDevice): string {
	const facts = [[device.vendor, device.hardware].filter(Boolean).join(' '), device.location].filter(Boolean);
	return facts.length > 0 ? `${device.hostname} (${facts.join(', ')})` : device.hostname;
}

export function deviceStatusView(device: ObserviumDevice): Out<typeof deviceStatusOutput> {
	const uptimeSeconds = device.up ? device.uptimeSeconds : null;
	const state = device.up
		? `is UP${uptimeSeconds !== null ? `, uptime ${formatDuration(uptimeSeconds)}` : ''}`
		: `is DOWN (${device.downReason} check failing)`;
	const flags = [device.disabled ? 'polling disabled' : '', device.ignored ? 'alerts ignored' : ''].filter(Boolean);
	return {
		deviceId: device.id,
		hostname: device.hostname,
		status: device.up ? 'up' : 'down',
		isUp: device.up,
		downReason: device.downReason,
		disabled: device.disabled,
		ignored: device.ignored,
		uptimeSeconds,
		uptime: uptimeSeconds === null ? null : formatDuration(uptimeSeconds),
		lastRebooted: device.lastRebooted,
		lastPolled: device.lastPolled,
		sysName: device.sysName,
		ip: device.ip,
		os: device.os,
		version: device.version,
		hardware: device.hardware,
		vendor: device.vendor,
		serial: device.serial,
		type: device.type,
		location: device.location,
		description: device.description,
		summary: `${label(device)} ${state}; last polled ${device.lastPolled ?? 'never'}${flags.length ? `; ${flags.join(', ')}` : ''}.`,
	};
}

function utilisation(bitsPerSecond: number, speedMbps: number | null): number | null {
	return speedMbps && speedMbps > 0 ? round((100 * bitsPerSecond) / (speedMbps * 1_000_000), 1) : null;
}

function portView(port: ObserviumPort): Out<typeof portOutput> {
	return {
		portId: port.portId,
		ifIndex: port.ifIndex,
		name: port.name,
		description: port.description,
		adminStatus: port.adminStatus,
		operStatus: port.operStatus,
		speedMbps: port.speedMbps,
		inBitsPerSecond: Math.round(port.inBitsPerSecond),
		outBitsPerSecond: Math.round(port.outBitsPerSecond),
		inUtilisationPercent: utilisation(port.inBitsPerSecond, port.speedMbps),
		outUtilisationPercent: utilisation(port.outBitsPerSecond, port.speedMbps),
		inErrorsPerSecond: round(port.inErrorsPerSecond, 3),
		outErrorsPerSecond: round(port.outErrorsPerSecond, 3),
		lastChange: port.lastChange,
	};
}

function megabits(bitsPerSecond: number): string {
	return `${round(bitsPerSecond / 1_000_000, 1)} Mbit/s`;
}

export function deviceMetricsView(device: ObserviumDevice, ports: readonly ObserviumPort[]): Out<typeof deviceMetricsOutput> {
	const views = ports.map(portView);
	const faulty = views.filter((port) => port.adminStatus === 'up' && port.operStatus !== 'up');
	const withErrors = views.filter((port) => port.inErrorsPerSecond + port.outErrorsPerSecond > 0);
	const sum = (pick: (port: Out<typeof portOutput>) => number) => views.reduce((total, port) => total + pick(port), 0);
	const totals = {
		ports: views.length,
		up: views.filter((port) => port.operStatus === 'up').length,
		down: faulty.length,
		adminDown: views.filter((port) => port.adminStatus === 'down').length,
		inBitsPerSecond: sum((port) => port.inBitsPerSecond),
		outBitsPerSecond: sum((port) => port.outBitsPerSecond),
		errorsPerSecond: round(
			sum((port) => port.inErrorsPerSecond + port.outErrorsPerSecond),
			3,
		),
		portsWithErrors: withErrors.length,
	};
	const problems = [
		faulty.length ? `down while enabled: ${faulty.map((port) => port.name).join(', ')}` : '',
		withErrors.length ? `errors on: ${withErrors.map((port) => port.name).join(', ')}` : '',
	].filter(Boolean);
	return {
		deviceId: device.id,
		hostname: device.hostname,
		deviceUp: device.up,
		ports: views,
		totals,
		summary:
			`${device.hostname}: ${totals.ports} ports, ${totals.up} up, in ${megabits(totals.inBitsPerSecond)}, out ${megabits(totals.outBitsPerSecond)}` +
			`${problems.length ? `; ${problems.join('; ')}` : '; no port problems'}` +
			`${device.up ? '' : '; device is DOWN, figures are from its last successful poll'}.`,
	};
}

const STATUS_ORDER = { failed: 0, delayed: 1, suppressed: 2, unknown: 3, ok: 4 } as const;

export function deviceAlertsView(
	device: ObserviumDevice,
	alerts: readonly ObserviumAlert[],
	checks: readonly ObserviumAlertCheck[],
): Out<typeof deviceAlertsOutput> {
	const checkById = new Map(checks.map((check) => [check.checkId, check]));
	const views = alerts
		.map((alert) => ({
			alertId: alert.alertId,
			checkId: alert.checkId,
			checkName: checkById.get(alert.checkId)?.name ?? `check ${alert.checkId}`,
			severity: checkById.get(alert.checkId)?.severity ?? null,
			status: alert.status,
			entityType: alert.entityType,
			entityId: alert.entityId,
			entityName: alert.entityName,
			message: alert.message,
			since: alert.since,
			lastChecked: alert.lastChecked,
			failedConditions: alert.failedConditions,
			metrics: alert.metrics,
		}))
		.sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || (b.since ?? '').localeCompare(a.since ?? ''));
	const failing = views.filter((alert) => alert.status === 'failed');
	const described = failing.map(
		(alert) =>
			`${alert.checkName} on ${alert.entityType} ${alert.entityName ?? alert.entityId ?? ''}`.trim() +
			` since ${alert.since ?? 'unknown'}`,
	);
	return {
		deviceId: device.id,
		hostname: device.hostname,
		deviceUp: device.up,
		failedCount: failing.length,
		alerts: views,
		summary: failing.length
			? `${device.hostname}: ${failing.length} failing alert(s): ${described.join('; ')}.`
			: `${device.hostname}: no failing alerts (${views.length} alert entries listed).`,
	};
}

/** The history keeps the most recent events: enough for a diagnosis, small enough for a prompt. */
export const MAX_HISTORY_EVENTS = 200;

export function deviceHistoryView(
	device: ObserviumDevice,
	entries: readonly ObserviumAlertLogEntry[],
	checks: readonly ObserviumAlertCheck[],
	window: { fromMs: number; toMs: number; hours: number },
): Out<typeof deviceHistoryOutput> {
	const checkById = new Map(checks.map((check) => [check.checkId, check]));
	const downtime = deviceDowntime(entries, deviceStatusCheckIds(checks), window, device.up);
	const downtimeMinutes = round(downtime.downtimeMs / 60_000, 1);
	const stability = stabilityPercent(downtime.downtimeMs, window.toMs - window.fromMs);
	const events = entries.slice(-MAX_HISTORY_EVENTS).map((entry) => ({
		eventId: entry.eventId,
		time: entry.at === null ? null : new Date(entry.at).toISOString(),
		type: entry.type,
		meaning: eventMeaning(entry.type),
		checkName: entry.checkId === null ? null : (checkById.get(entry.checkId)?.name ?? `check ${entry.checkId}`),
		entityType: entry.entityType,
		entityId: entry.entityId,
		message: entry.message,
	}));
	return {
		deviceId: device.id,
		hostname: device.hostname,
		hours: window.hours,
		from: new Date(window.fromMs).toISOString(),
		to: new Date(window.toMs).toISOString(),
		isUp: device.up,
		downtimeMinutes,
		downEpisodes: downtime.episodes,
		stabilityPercent: stability,
		eventCount: entries.length,
		events,
		summary:
			`${device.hostname} over the last ${window.hours} h: ${downtime.episodes} down period(s), ${downtimeMinutes} min down, ` +
			`${stability} % up, ${entries.length} alert event(s); now ${device.up ? 'UP' : 'DOWN'}.`,
	};
}
