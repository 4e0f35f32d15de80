import { z } from 'zod/v4';

/** What every face (node, MCP tool, technicians) reads of an incident. */
export const incidentDeviceSchema = z.object({
	hostname: z.string(),
	entity: z.string(),
	state: z.enum(['failed', 'ok']),
	since: z.string(),
	upstream: z.boolean(),
});

export const incidentViewSchema = z.object({
	id: z.string(),
	status: z.enum(['open', 'recovered']),
	kind: z.enum(['device', 'site']),
	site: z.string().nullable(),
	title: z.string().nullable(),
	severity: z.string().nullable(),
	openedAt: z.string(),
	updatedAt: z.string(),
	recoveredAt: z.string().nullable(),
	alertCount: z.number().int(),
	flapping: z.boolean(),
	flapPercent: z.number(),
	devices: z.array(incidentDeviceSchema),
	devicesNotListed: z.number().int(),
	likelyCause: z.object({ hostname: z.string(), reason: z.string() }).nullable(),
	diagnosis: z.object({ text: z.string(), at: z.string(), fresh: z.boolean() }).nullable(),
	/** The GLPI ticket made for it (Link Ticket), or null while it has none (e.g. GLPI was down). */
	ticketId: z.number().int().nullable(),
	lastAlert: z.record(z.string(), z.unknown()).nullable(),
});

export type IncidentView = z.output<typeof incidentViewSchema>;
export type IncidentDevice = z.output<typeof incidentDeviceSchema>;

const iso = (ms: string | undefined) => (ms && Number(ms) > 0 ? new Date(Number(ms)).toISOString() : null);

function parseDevices(raw: Record<string, string>): IncidentDevice[] {
	const devices: IncidentDevice[] = [];
	for (const value of Object.values(raw)) {
		const match = /^(\d)\|(\d+)\|([^|]*)\|(\d)\|(.*)$/s.exec(value);
		if (!match) continue;
		devices.push({
			hostname: match[3],
			entity: match[5],
			state: match[1] === '1' ? 'failed' : 'ok',
			since: new Date(Number(match[2])).toISOString(),
			upstream: match[4] === '1',
		});
	}
	return devices.sort((a, b) => a.since.localeCompare(b.since) || a.hostname.localeCompare(b.hostname));
}

/**
 * The likely cause of a site incident, where the data gives one: a failing upstream device
 * (router, firewall) that the other failing devices of the site sit behind.
 */
function likelyCause(kind: string, site: string | null, devices: IncidentDevice[]): IncidentView['likelyCause'] {
	if (kind !== 'site') return null;
	const failing = devices.filter((device) => device.state === 'failed');
	const upstream = failing.find((device) => device.upstream);
	if (!upstream || failing.length < 2) return null;
	const others = new Set(failing.filter((device) => device.hostname !== upstream.hostname).map((device) => device.hostname));
	return {
		hostname: upstream.hostname,
		reason: `${upstream.hostname} is an upstream device (router, firewall or gateway) of ${site ?? 'the site'}; ${others.size} other failing device(s) of the site depend on it`,
	};
}

export function incidentView(record: Record<string, string>, devicesRaw: Record<string, string>, now: number, diagnosisFreshMs: number): IncidentView {
	const devices = parseDevices(devicesRaw);
	const kind = record.kind === 'site' ? 'site' : 'device';
	const site = record.site ? record.site : null;
	let lastAlert: Record<string, unknown> | null = null;
	try {
		lastAlert = record.lastAlert ? (JSON.parse(record.lastAlert) as Record<string, unknown>) : null;
	} catch {
		lastAlert = null;
	}
	const diagnosedAt = Number(record.diagnosedAt);
	return {
		id: record.id,
		status: record.status === 'recovered' ? 'recovered' : 'open',
		kind,
		site,
		title: record.title || null,
		severity: record.severity || null,
		openedAt: iso(record.openedAt) ?? new Date(0).toISOString(),
		updatedAt: iso(record.updatedAt) ?? iso(record.openedAt) ?? new Date(0).toISOString(),
		recoveredAt: record.status === 'recovered' ? iso(record.recoveredAt) : null,
		alertCount: Number(record.alertCount ?? 0),
		flapping: record.flapping === '1',
		flapPercent: Math.round(Number(record.flapPercent ?? 0) * 100) / 100,
		devices,
		devicesNotListed: Number(record.devicesNotListed ?? 0),
		likelyCause: likelyCause(kind, site, devices),
		diagnosis:
			record.diagnosis && diagnosedAt > 0
				? { text: record.diagnosis, at: new Date(diagnosedAt).toISOString(), fresh: now - diagnosedAt < diagnosisFreshMs }
				: null,
		ticketId: Number(record.ticketId) > 0 ? Number(record.ticketId) : null,
		lastAlert,
	};
}
