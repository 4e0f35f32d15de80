import { z } from 'zod/v4';

import {
	INCIDENT_FILTERS,
	LINK_STATES,
	ONT_STATES,
	RESPONSIBILITIES,
	TICKET_ACTIONS,
} from './contract';

/**
 * What Phibee answers, in our words (camelCase). Operations return these shapes and the client
 * maps the wire format to them, so a new Phibee spec changes the mapping, not the operations.
 */
export const outageDiagnosis = z.object({
	linkId: z.string(),
	clientId: z.string(),
	responsibility: z.enum(RESPONSIBILITIES),
	diagnosis: z.string(),
	recommendation: z.string(),
	ticketAction: z.enum(TICKET_ACTIONS),
	providerTicket: z.string().nullable(),
	eta: z.string().nullable(),
	linkStatus: z.enum(LINK_STATES),
	checkedAt: z.string(),
});

export const linkStatus = z.object({
	linkId: z.string(),
	status: z.enum(LINK_STATES),
	latencyMs: z.number().nullable(),
	packetLossPct: z.number(),
	ontStatus: z.enum(ONT_STATES),
	cpeReachable: z.boolean(),
	lastChange: z.string(),
	checkedAt: z.string(),
});

export const linkInfo = z.object({
	linkId: z.string(),
	clientId: z.string(),
	siteName: z.string(),
	technology: z.enum(['FTTH', 'FTTO']),
	bandwidthDownMbps: z.number(),
	bandwidthUpMbps: z.number(),
	address: z.object({ street: z.string(), postalCode: z.string(), city: z.string() }),
	wanIp: z.string(),
	contract: z.object({ reference: z.string(), sla: z.string(), startDate: z.string() }),
});

export const incident = z.object({
	id: z.string(),
	linkId: z.string(),
	status: z.enum(['open', 'closed']),
	kind: z.string(),
	title: z.string(),
	openedAt: z.string(),
	closedAt: z.string().nullable(),
	eta: z.string().nullable(),
});

export type OutageDiagnosis = z.infer<typeof outageDiagnosis>;
export type LinkStatus = z.infer<typeof linkStatus>;
export type LinkInfo = z.infer<typeof linkInfo>;
export type Incident = z.infer<typeof incident>;
export type IncidentFilter = (typeof INCIDENT_FILTERS)[number];

/** Who or what an outage is aimed at: at least one of them. */
export interface OutageTarget {
	clientId?: string;
	ip?: string;
	device?: string;
}
