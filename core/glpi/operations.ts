import { z } from 'zod/v4';

import { defineOperation } from '../catalogue/operation';
import { statusLabel } from './constants';

const URGENCY_IMPACT_LABELS = { 1: 'Very Low', 2: 'Low', 3: 'Medium', 4: 'High', 5: 'Very High' };

const ticketId = z.number().int().min(1).describe('GLPI ticket number').meta({ title: 'Ticket ID' });
const scale = (what: string) =>
	z
		.literal([1, 2, 3, 4, 5])
		.default(3)
		.describe(`${what}: 1 very low, 2 low, 3 medium, 4 high, 5 very high`)
		.meta({ title: what, labels: URGENCY_IMPACT_LABELS });

const person = z.object({
	id: z.number().int(),
	login: z.string(),
	firstname: z.string(),
	lastname: z.string(),
	email: z.string(),
	phone: z.string(),
	mobile: z.string(),
	entity: z.string(),
});

export const searchClient = defineOperation({
	id: 'glpi.search_client',
	service: 'glpi',
	resource: 'client',
	displayName: 'Search Client',
	summary: 'Find a person (staff of a client site) in GLPI by name, e-mail or phone.',
	description:
		'Find people (GLPI users: staff of the client sites) by name, e-mail or phone, to identify who reported a problem. An e-mail must match whole; a name or phone matches when it contains the text. Returns {clients: [{id, login, firstname, lastname, email, phone, mobile, entity}], total}.',
	level: 0,
	input: z.strictObject({
		searchBy: z.enum(['name', 'email', 'phone']).default('name').describe('Which field to search').meta({ title: 'Search By' }),
		value: z.string().min(2).max(200).describe('Text to look for, e.g. "Dubois", "marie.martin@bellevue.example.fr" or "04 72 10"').meta({ title: 'Value' }),
		limit: z.number().int().min(1).max(1000).default(20).describe('Maximum number of people returned').meta({ title: 'Limit' }),
	}),
	output: z.object({ clients: z.array(person), total: z.number().int() }),
	handler: async ({ searchBy, value, limit }, glpi) => glpi.searchClients(searchBy, value, limit),
});

export const createTicket = defineOperation({
	id: 'glpi.create_ticket',
	service: 'glpi',
	resource: 'ticket',
	displayName: 'Create Ticket',
	summary: 'Open a new GLPI ticket; an idempotency key makes a retry safe.',
	description:
		'Open a GLPI ticket. Type 1 = incident, 2 = request; urgency and impact on GLPI\'s 1–5 scale; priority 1–6 (6 = major) is computed by GLPI from urgency × impact unless given. Give an idempotency key to make retries safe: the same key never creates a second ticket. Returns {id, created}.',
	level: 1,
	input: z.strictObject({
		title: z.string().min(3).max(255).describe('Short summary, e.g. "EHPAD Bellevue: router EHPAD-Bellevue-RTR01 down"').meta({ title: 'Title' }),
		content: z.string().min(1).max(65_000).describe('Full description (HTML allowed)').meta({ title: 'Content', rows: 6 }),
		entityId: z.number().int().min(0).optional().describe('GLPI entity (client site) id').meta({ title: 'Entity ID' }),
		requesterId: z.number().int().min(1).optional().describe('GLPI user id of the requester (from Search Client)').meta({ title: 'Requester ID' }),
		type: z.literal([1, 2]).default(1).describe('1 incident, 2 request').meta({ title: 'Type', labels: { 1: 'Incident', 2: 'Request' } }),
		urgency: scale('Urgency'),
		impact: scale('Impact'),
		priority: z.number().int().min(1).max(6).optional().describe('1 very low … 5 very high, 6 major; omit to let GLPI compute it').meta({ title: 'Priority' }),
		idempotencyKey: z
			.string()
			.regex(/^[A-Za-z0-9_.:-]{8,100}$/, 'use 8–100 letters, digits or _ . : -')
			.optional()
			.describe('Stable key for this ticket (e.g. the alert id): repeating the call with it never makes a second ticket')
			.meta({ title: 'Idempotency Key' }),
	}),
	output: z.object({ id: z.number().int().min(1), created: z.boolean() }),
	handler: async (input, glpi) => glpi.createTicket(input),
});

const ticketSummary = z.object({
	id: z.number().int(),
	title: z.string(),
	content: z.string(),
	status: z.number().int(),
	statusLabel: z.string(),
	priority: z.number().int(),
	openedAt: z.string(),
	requester: z.string(),
	entity: z.string(),
});

export const searchNewTickets = defineOperation({
	id: 'glpi.search_new_tickets',
	service: 'glpi',
	resource: 'ticket',
	displayName: 'Search New Tickets',
	summary: 'List the new tickets opened in the last minutes, oldest first.',
	description:
		'List tickets still in status 1 (new) opened in the last N minutes, oldest first: the Assist flow\'s work queue. Returns {tickets: [{id, title, content, status, priority, openedAt, requester, entity}], total, since}.',
	level: 0,
	input: z.strictObject({
		sinceMinutes: z.number().int().min(1).max(43_200).default(60).describe('Look back this many minutes').meta({ title: 'Opened In The Last (Minutes)' }),
		limit: z.number().int().min(1).max(500).default(20).describe('Maximum number of tickets returned').meta({ title: 'Limit' }),
	}),
	output: z.object({ tickets: z.array(ticketSummary), total: z.number().int(), since: z.string() }),
	handler: async ({ sinceMinutes, limit }, glpi) => glpi.searchNewTickets(sinceMinutes, limit),
});

export const getTicket = defineOperation({
	id: 'glpi.get_ticket',
	service: 'glpi',
	resource: 'ticket',
	displayName: 'Get Ticket',
	summary: 'Read one ticket with its followups and its solution.',
	description:
		'Read one ticket with its followups and its solution, as raw text. Status: 1 new, 2 assigned, 3 planned, 4 pending, 5 solved, 6 closed.',
	level: 0,
	input: z.strictObject({ ticketId }),
	output: z.object({
		id: z.number().int(),
		title: z.string(),
		content: z.string(),
		status: z.number().int(),
		statusLabel: z.string(),
		priority: z.number().int(),
		urgency: z.number().int(),
		impact: z.number().int(),
		type: z.number().int(),
		entity: z.string(),
		openedAt: z.string(),
		updatedAt: z.string(),
		solvedAt: z.string().nullable(),
		closedAt: z.string().nullable(),
		followups: z.array(z.object({ id: z.number().int(), content: z.string(), isPrivate: z.boolean(), date: z.string(), authorId: z.number().int() })),
		solution: z.object({ id: z.number().int(), content: z.string(), status: z.number().int(), date: z.string() }).nullable(),
	}),
	handler: async ({ ticketId }, glpi) => glpi.getTicket(ticketId),
});

export const addFollowup = defineOperation({
	id: 'glpi.add_followup',
	service: 'glpi',
	resource: 'ticket',
	displayName: 'Add Followup',
	summary: 'Add a comment to a ticket, public or for technicians only.',
	description:
		'Add a followup (comment) to a ticket. A private followup is visible to technicians only. Returns {followupId}.',
	level: 1,
	input: z.strictObject({
		ticketId,
		content: z.string().min(1).max(65_000).describe('Text of the followup (HTML allowed)').meta({ title: 'Content', rows: 5 }),
		isPrivate: z.boolean().default(false).describe('Visible to technicians only').meta({ title: 'Private' }),
	}),
	output: z.object({ followupId: z.number().int().min(1), ticketId: z.number().int() }),
	handler: async ({ ticketId, content, isPrivate }, glpi) => ({ followupId: await glpi.addFollowup(ticketId, content, isPrivate), ticketId }),
});

export const updateStatus = defineOperation({
	id: 'glpi.update_status',
	service: 'glpi',
	resource: 'ticket',
	displayName: 'Update Status',
	summary: 'Move a ticket to new, processing or pending (closing is Close Ticket).',
	description:
		'Move a ticket to status 1 new, 2 processing (assigned), 3 processing (planned) or 4 pending. Solving (5) is Solve Ticket and closing (6) Close Ticket, which record a solution; closing needs a technician\'s approval.',
	level: 2,
	idempotent: true,
	input: z.strictObject({
		ticketId,
		status: z
			.literal([1, 2, 3, 4])
			.describe('1 new, 2 processing (assigned), 3 processing (planned), 4 pending; 5 goes through Solve Ticket, 6 through Close Ticket')
			.meta({ title: 'Status', labels: { 1: 'New', 2: 'Processing (Assigned)', 3: 'Processing (Planned)', 4: 'Pending' } }),
	}),
	output: z.object({ ticketId: z.number().int(), status: z.number().int(), statusLabel: z.string() }),
	handler: async ({ ticketId, status }, glpi) => {
		await glpi.updateStatus(ticketId, status);
		return { ticketId, status, statusLabel: statusLabel(status) };
	},
});

export const solveTicket = defineOperation({
	id: 'glpi.solve_ticket',
	service: 'glpi',
	resource: 'ticket',
	displayName: 'Solve Ticket',
	summary: 'Record a solution: the ticket is solved and the requester may accept or refuse it.',
	description:
		'Add a written solution to a ticket: GLPI marks it solved (status 5); the requester may accept it (it closes, or GLPI closes it after the entity\'s delay) or refuse it (it reopens). An entity set to close at once closes it (status 6). Use it when the requester should be able to say the problem is not gone; Close Ticket closes for good. Refused by GLPI if the ticket is already solved or closed. Returns {ticketId, solutionId, status, statusLabel}.',
	level: 2,
	input: z.strictObject({
		ticketId,
		solution: z.string().min(3).max(65_000).describe('What was done to solve the problem, as the requester will read it').meta({ title: 'Solution', rows: 5 }),
		solutionTypeId: z.number().int().min(0).optional().describe('GLPI solution type id').meta({ title: 'Solution Type ID' }),
	}),
	output: z.object({ ticketId: z.number().int(), solutionId: z.number().int(), status: z.number().int(), statusLabel: z.string() }),
	handler: async ({ ticketId, solution, solutionTypeId }, glpi) => glpi.solveTicket(ticketId, solution, solutionTypeId),
});

export const closeTicket = defineOperation({
	id: 'glpi.close_ticket',
	service: 'glpi',
	resource: 'ticket',
	displayName: 'Close Ticket',
	summary: 'Solve a ticket with a written solution and close it.',
	description:
		'Solve a ticket with a written solution and close it (status 6). Refused by GLPI if the ticket is already solved or closed. Returns {ticketId, solutionId, status}.',
	level: 3,
	input: z.strictObject({
		ticketId,
		solution: z.string().min(3).max(65_000).describe('What was done to solve the problem').meta({ title: 'Solution', rows: 5 }),
		solutionTypeId: z.number().int().min(0).optional().describe('GLPI solution type id').meta({ title: 'Solution Type ID' }),
	}),
	output: z.object({ ticketId: z.number().int(), solutionId: z.number().int(), status: z.literal(6) }),
	handler: async ({ ticketId, solution, solutionTypeId }, glpi) => ({ ...(await glpi.closeTicket(ticketId, solution, solutionTypeId)), status: 6 as const }),
});

export const healthPing = defineOperation({
	id: 'glpi.health_ping',
	service: 'glpi',
	resource: 'health',
	displayName: 'Ping',
	summary: 'Check that GLPI answers: reports healthy or not, never fails.',
	description:
		'Check that GLPI answers with a valid session. Never fails: returns {healthy: false, message} when GLPI is down, for the Health-Check flow.',
	level: 0,
	input: z.strictObject({}),
	output: z.object({ healthy: z.boolean(), latencyMs: z.number(), message: z.string() }),
	handler: async (_input, glpi) => glpi.ping(),
});

export const statusCheck = defineOperation({
	id: 'glpi.status_check',
	service: 'glpi',
	resource: 'health',
	displayName: 'Database Status',
	summary: "Ask GLPI's status page whether its database is up, without logging in; never fails.",
	description:
		"Ask GLPI's own status page (status.php?service=db, no login) whether its database answers: healthy when OK or WARNING. Cheap enough for every 30 s; pair it with Ping, which checks an API session. Never fails: returns {healthy: false, status: UNREACHABLE | PROBLEM | NO_DATA, message} when GLPI is down.",
	level: 0,
	input: z.strictObject({}),
	output: z.object({ healthy: z.boolean(), status: z.string(), latencyMs: z.number(), message: z.string() }),
	handler: async (_input, glpi) => await glpi.statusCheck(),
});

export const glpiOperations = [searchClient, createTicket, searchNewTickets, getTicket, addFollowup, updateStatus, solveTicket, closeTicket, healthPing, statusCheck];
