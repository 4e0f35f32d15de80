import { z } from 'zod/v4';

/**
 * Phibee's diagnostic API as WE define it: Phibee publishes no spec, so this contract is drawn
 * from the seed's operations (diagnose_outage, test_link_status, get_link_info,
 * get_client_incidents). It is the only file that knows paths, methods, the auth header and the
 * wire format (snake_case); the client maps it to our model. When a real spec arrives, replace
 * this file and the mapping in client.ts; operations and nodes do not change.
 */

/** The API key travels in this header on every call. */
export const PHIBEE_API_KEY_HEADER = 'X-API-Key';

/** Path templates; `:name` segments are filled (URL-encoded) by `phibeePath`. The simulator routes on the same templates. */
export const PHIBEE_ROUTES = {
	/** POST, body `outageRequest`. Read-only despite the verb: the target travels in a body, nothing changes, so a retry is safe. */
	diagnoseOutage: { method: 'POST', path: '/api/v1/diagnostics/outage' },
	linkStatus: { method: 'GET', path: '/api/v1/links/:link_id/status' },
	/** Query: `client_id` (the client's links), `limit`. Without `client_id`: the account's links (the credential test). */
	listLinks: { method: 'GET', path: '/api/v1/links' },
	getLink: { method: 'GET', path: '/api/v1/links/:link_id' },
	/** Query: `status` = open | closed | all (default all). */
	clientIncidents: { method: 'GET', path: '/api/v1/clients/:client_id/incidents' },
} as const;

export function phibeePath(template: string, params: Record<string, string> = {}): string {
	return template.replace(/:([a-z_]+)/g, (_, name: string) =>
		encodeURIComponent(params[name] ?? ''),
	);
}

const isoDateTime = z.iso.datetime({ offset: true });

export const RESPONSIBILITIES = ['phibee_fai', 'router_client', 'power', 'none'] as const;
export const TICKET_ACTIONS = [
	'open_provider_ticket',
	'dispatch_technician',
	'contact_site',
	'none',
] as const;
export const LINK_STATES = ['up', 'down', 'degraded'] as const;
export const ONT_STATES = ['online', 'loss_of_signal', 'dying_gasp'] as const;
export const INCIDENT_FILTERS = ['open', 'closed', 'all'] as const;

/** At least one target; when several are given they must name the same link. */
export const outageRequest = z.object({
	client_id: z.string().optional(),
	ip: z.string().optional(),
	device: z.string().optional(),
});

export const outageDiagnosisBody = z.object({
	link_id: z.string(),
	client_id: z.string(),
	responsibility: z.enum(RESPONSIBILITIES),
	diagnosis: z.string(),
	recommendation: z.string(),
	ticket_action: z.enum(TICKET_ACTIONS),
	/** Phibee's own ticket when it already tracks the fault, else null. */
	provider_ticket: z.string().nullable(),
	/** Expected restoration time when Phibee announces one, else null. */
	eta: isoDateTime.nullable(),
	link_status: z.enum(LINK_STATES),
	checked_at: isoDateTime,
});

export const linkStatusBody = z.object({
	link_id: z.string(),
	status: z.enum(LINK_STATES),
	/** Round trip to the client's router; null when it does not answer. */
	latency_ms: z.number().nonnegative().nullable(),
	packet_loss_pct: z.number().min(0).max(100),
	ont_status: z.enum(ONT_STATES),
	/** Whether the client's router answers on its WAN address. */
	cpe_reachable: z.boolean(),
	last_change: isoDateTime,
	checked_at: isoDateTime,
});

export const linkBody = z.object({
	link_id: z.string(),
	client_id: z.string(),
	site_name: z.string(),
	technology: z.enum(['FTTH', 'FTTO']),
	bandwidth_down_mbps: z.number().positive(),
	bandwidth_up_mbps: z.number().positive(),
	address: z.object({ street: z.string(), postal_code: z.string(), city: z.string() }),
	wan_ip: z.string(),
	contract: z.object({
		reference: z.string(),
		/** e.g. "GTR 4h" (guaranteed time to restore). */
		sla: z.string(),
		start_date: z.iso.date(),
	}),
});

export const linkListBody = z.object({ links: z.array(linkBody) });

export const incidentBody = z.object({
	id: z.string(),
	link_id: z.string(),
	status: z.enum(['open', 'closed']),
	kind: z.string(),
	title: z.string(),
	opened_at: isoDateTime,
	closed_at: isoDateTime.nullable(),
	eta: isoDateTime.nullable(),
});

export const incidentListBody = z.object({
	client_id: z.string(),
	incidents: z.array(incidentBody),
});

/** Every error answer, whatever the status. */
export const phibeeErrorBody = z.object({
	error: z.object({ code: z.string(), message: z.string() }),
});

export type OutageRequest = z.infer<typeof outageRequest>;
export type OutageDiagnosisBody = z.infer<typeof outageDiagnosisBody>;
export type LinkStatusBody = z.infer<typeof linkStatusBody>;
export type LinkBody = z.infer<typeof linkBody>;
export type IncidentBody = z.infer<typeof incidentBody>;
export type PhibeeErrorBody = z.infer<typeof phibeeErrorBody>;
