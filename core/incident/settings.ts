import { z } from 'zod/v4';

import { DEFAULT_FLAP_HIGH, DEFAULT_FLAP_LOW } from './flapping';

/**
 * How alerts become incidents. Every worker of a flow must use the same settings (they are the
 * workflow's own parameters, or the runtime's config), since they share the state in Redis.
 * Windows are in seconds; fractions are allowed so tests and drills can run fast.
 */

const seconds = (fallback: number, max: number, what: string) =>
	z.number().min(0.05).max(max).optional().describe(`${what} (default ${fallback})`);

/** Hostname patterns: `*` any run of characters, `?` one; case-insensitive. */
const glob = z.string().min(1).max(253).regex(/^[A-Za-z0-9_.:*?-]+$/, 'use letters, digits, . _ : - and the wildcards * ?');
const siteName = z.string().min(1).max(120);

const weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'use HH:MM (24 h)');

export const maintenanceWindowSchema = z
	.strictObject({
		name: z.string().min(1).max(120),
		devices: z.array(glob).max(200).optional(),
		sites: z.array(siteName).max(200).optional(),
		/** A one-off window. */
		from: z.iso.datetime({ offset: true }).optional(),
		to: z.iso.datetime({ offset: true }).optional(),
		/** A weekly window, e.g. nightly backups: days, start and end in the given time zone (end may pass midnight). */
		days: z.array(weekday).min(1).max(7).optional(),
		start: clock.optional(),
		end: clock.optional(),
		timeZone: z.string().min(1).max(64).optional(),
	})
	.refine((window) => (window.devices?.length ?? 0) + (window.sites?.length ?? 0) > 0, {
		error: 'a maintenance window names devices or sites',
	})
	.refine((window) => (window.from !== undefined && window.to !== undefined) !== (window.days !== undefined && window.start !== undefined && window.end !== undefined), {
		error: 'a maintenance window is either one-off (from, to) or weekly (days, start, end)',
	})
	.refine((window) => window.from === undefined || window.to === undefined || Date.parse(window.from) < Date.parse(window.to), {
		error: '"from" must be before "to"',
	});

export const incidentSettingsSchema = z.strictObject({
	fingerprintFields: z
		.array(z.enum(['device', 'entity', 'check']))
		.min(1)
		.max(3)
		.optional()
		.describe('What makes two alerts the same problem, like a PagerDuty dedup key (default device, entity and check)'),
	dedupWindowSeconds: seconds(900, 86_400, 'An alert this soon after its incident recovered reopens it instead of opening a new one'),
	reminderIntervalSeconds: seconds(3600, 7 * 86_400, 'Reminders of a known incident produce an update at most this often'),
	flapLowThreshold: z.number().min(0).max(100).optional().describe(`Flapping stops at or below this percent state change (default ${DEFAULT_FLAP_LOW})`),
	flapHighThreshold: z.number().min(0).max(100).optional().describe(`Flapping starts at or above this percent state change (default ${DEFAULT_FLAP_HIGH})`),
	flapNotifyIntervalSeconds: seconds(1800, 7 * 86_400, 'A flapping incident is re-notified at most this often'),
	checkIntervalSeconds: seconds(300, 86_400, "Observium's polling interval: a quiet stretch counts as that many unchanged checks"),
	siteWindowSeconds: seconds(300, 86_400, 'Devices of one site failing within this window form one site incident'),
	maxDevicesPerIncident: z.number().int().min(1).max(500).optional().describe('Devices a site incident lists; more are counted, not listed (default 50)'),
	incidentTtlHours: z.number().min(0.001).max(24 * 90).optional().describe('An open incident without news is forgotten after this (default 168 = 7 days)'),
	closedTtlHours: z.number().min(0.001).max(24 * 90).optional().describe('A recovered incident stays readable this long (default 24)'),
	sites: z
		.array(z.strictObject({ site: siteName, devices: z.array(glob).min(1).max(500) }))
		.max(2000)
		.optional()
		.describe('Which devices make up a site; a device matching none falls back to its Observium location'),
	siteFromLocation: z.boolean().optional().describe("Use the device's Observium location as its site when no site pattern matches (default true)"),
	upstreamDevices: z
		.array(glob)
		.max(200)
		.optional()
		.describe('Devices that others of the site depend on (routers, firewalls): the likely cause of a site incident (default *RTR*, *ROUTER*, *FW*, *GW*)'),
	ignoreDevices: z.array(glob).max(1000).optional().describe('Alerts of these devices are suppressed (reason recorded)'),
	ignoreEntityTypes: z.array(z.string().min(1).max(64)).max(100).optional().describe('Alerts on these entity types (e.g. storage, sensor) are suppressed'),
	ignoreChecks: z.array(z.string().min(1).max(200)).max(200).optional().describe('Alerts whose check message contains one of these texts (case-insensitive) are suppressed'),
	maintenance: z.array(maintenanceWindowSchema).max(500).optional().describe('Maintenance windows: alerts of their devices or sites are suppressed while they run'),
});

export type IncidentSettingsInput = z.input<typeof incidentSettingsSchema>;
export type MaintenanceWindow = z.output<typeof maintenanceWindowSchema>;

export interface IncidentSettings {
	fingerprintFields: ReadonlyArray<'device' | 'entity' | 'check'>;
	dedupWindowMs: number;
	reminderIntervalMs: number;
	flapLow: number;
	flapHigh: number;
	flapNotifyIntervalMs: number;
	checkIntervalMs: number;
	siteWindowMs: number;
	maxDevicesPerIncident: number;
	incidentTtlMs: number;
	closedTtlMs: number;
	sites: ReadonlyArray<{ site: string; devices: readonly string[] }>;
	siteFromLocation: boolean;
	upstreamDevices: readonly string[];
	ignoreDevices: readonly string[];
	ignoreEntityTypes: readonly string[];
	ignoreChecks: readonly string[];
	maintenance: readonly MaintenanceWindow[];
}

export const DEFAULT_UPSTREAM_DEVICES = ['*RTR*', '*ROUTER*', '*FW*', '*GW*'];

/** Fills the defaults; settings that contradict each other are refused with the fields named. */
export function resolveSettings(input: z.output<typeof incidentSettingsSchema> = {}): IncidentSettings {
	const flapLow = input.flapLowThreshold ?? DEFAULT_FLAP_LOW;
	const flapHigh = input.flapHighThreshold ?? DEFAULT_FLAP_HIGH;
	if (flapLow > flapHigh) {
		throw new RangeError(`flapLowThreshold (${flapLow}) must not be above flapHighThreshold (${flapHigh})`);
	}
	const ms = (value: number | undefined, fallbackSeconds: number) => Math.round((value ?? fallbackSeconds) * 1000);
	return {
		fingerprintFields: [...new Set(input.fingerprintFields ?? (['device', 'entity', 'check'] as const))],
		dedupWindowMs: ms(input.dedupWindowSeconds, 900),
		reminderIntervalMs: ms(input.reminderIntervalSeconds, 3600),
		flapLow,
		flapHigh,
		flapNotifyIntervalMs: ms(input.flapNotifyIntervalSeconds, 1800),
		checkIntervalMs: ms(input.checkIntervalSeconds, 300),
		siteWindowMs: ms(input.siteWindowSeconds, 300),
		maxDevicesPerIncident: input.maxDevicesPerIncident ?? 50,
		incidentTtlMs: Math.round((input.incidentTtlHours ?? 168) * 3_600_000),
		closedTtlMs: Math.round((input.closedTtlHours ?? 24) * 3_600_000),
		sites: input.sites ?? [],
		siteFromLocation: input.siteFromLocation ?? true,
		upstreamDevices: input.upstreamDevices ?? DEFAULT_UPSTREAM_DEVICES,
		ignoreDevices: input.ignoreDevices ?? [],
		ignoreEntityTypes: input.ignoreEntityTypes ?? [],
		ignoreChecks: input.ignoreChecks ?? [],
		maintenance: input.maintenance ?? [],
	};
}
