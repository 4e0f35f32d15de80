/**
 * GLPI's own codes (src/CommonITILObject.php and the legacy API docs). Our inputs and outputs use
 * these numbers unchanged, so a value read here means the same thing in GLPI's UI.
 */
export const TICKET_STATUS = {
	1: 'new',
	2: 'processing (assigned)',
	3: 'processing (planned)',
	4: 'pending',
	5: 'solved',
	6: 'closed',
} as const;
export type TicketStatus = keyof typeof TICKET_STATUS;

/** 1..6, where 6 is "Major"; normally computed by GLPI from urgency × impact. */
export const PRIORITY = { 1: 'very low', 2: 'low', 3: 'medium', 4: 'high', 5: 'very high', 6: 'major' } as const;
/** Urgency and impact share this 1..5 scale. */
export const URGENCY_IMPACT = { 1: 'very low', 2: 'low', 3: 'medium', 4: 'high', 5: 'very high' } as const;
export const TICKET_TYPE = { 1: 'incident', 2: 'request' } as const;

/** Ticket_User / actor types. */
export const ACTOR_TYPE = { requester: 1, assigned: 2, observer: 3 } as const;

/** Search-option ids (stable core ids; listSearchOptions gives the full list). */
export const TICKET_FIELD = {
	title: 1,
	id: 2,
	priority: 3,
	requester: 4,
	urgency: 10,
	impact: 11,
	status: 12,
	type: 14,
	openedAt: 15,
	updatedAt: 19,
	content: 21,
	entity: 80,
} as const;

export const USER_FIELD = {
	login: 1,
	id: 2,
	email: 5,
	phone: 6,
	firstname: 9,
	phone2: 10,
	mobile: 11,
	realname: 34,
	entity: 80,
} as const;

export function statusLabel(status: number): string {
	return TICKET_STATUS[status as TicketStatus] ?? `unknown (${status})`;
}
