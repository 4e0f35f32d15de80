import { z } from 'zod/v4';

import type { AnyOperation } from '../catalogue/operation';
import { defineOperation } from '../catalogue/operation';
import { CLAIM_TOKEN, CLAIM_TTL, DONE_KEEP, OWNER } from './claims';

const ticketId = z
	.number()
	.int()
	.min(1)
	.max(Number.MAX_SAFE_INTEGER)
	.describe('GLPI ticket id. Example: 4242')
	.meta({ title: 'Ticket ID' });

const token = z
	.string()
	.regex(CLAIM_TOKEN, 'expected the 32-character token returned by Claim Ticket')
	.describe('The token returned by Claim Ticket')
	.meta({ title: 'Token', n8nDefault: '={{ $json.token }}' });

const ttlSeconds = z
	.number()
	.min(CLAIM_TTL.min)
	.max(CLAIM_TTL.max)
	.default(CLAIM_TTL.default)
	.describe('Seconds the claim lasts unless renewed: if the worker crashes, another may take the ticket after this (not before)')
	.meta({ title: 'TTL (Seconds)' });

const owner = z
	.string()
	.regex(OWNER, 'use 1–100 letters, digits or _ . : @ / -')
	.optional()
	.describe('Who handles the ticket, shown to other workers ("held by …"). Example: assist-worker-2')
	.meta({ title: 'Owner' });

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);

export const claimTicket = defineOperation({
	id: 'claim.claim_ticket',
	service: 'claim',
	resource: 'ticket claim',
	displayName: 'Claim Ticket',
	summary: 'Claim a GLPI ticket so that only this worker handles it.',
	description:
		'Claim a GLPI ticket so that only this worker handles it, for TTL seconds. Returns {claimed: true, token, expiresAt}, or {claimed: false, reason}: held (another worker has it until heldUntil) or done (it was already handled: skip it for good). Complete Ticket when handled, Release Ticket to give it back. Workflows only.',
	level: 1,
	workflowOnly: true,
	input: z.strictObject({ ticketId, ttlSeconds, owner }),
	output: z.object({
		claimed: z.boolean(),
		ticketId: z.number().int(),
		token: z.string().nullable(),
		expiresAt: z.string().nullable(),
		reason: z.enum(['held', 'done']).nullable(),
		heldUntil: z.string().nullable(),
		doneAt: z.string().nullable(),
		owner: z.string().nullable(),
		message: z.string(),
	}),
	handler: async ({ ticketId, ttlSeconds, owner }, coordination) => {
		const r = await coordination.guard('claim.claim_ticket', () => coordination.claims.claim(ticketId, { ttlSeconds, owner }));
		const base = { ticketId, token: null, expiresAt: null, reason: null, heldUntil: null, doneAt: null, owner: null };
		if (r.claimed) {
			return { ...base, claimed: true, token: r.token, expiresAt: iso(r.expiresAt), owner: owner ?? null, message: `Ticket ${ticketId} claimed until ${iso(r.expiresAt)}` };
		}
		const by = r.owner ? ` by ${r.owner}` : '';
		if (r.reason === 'done') {
			return { ...base, claimed: false, reason: 'done' as const, doneAt: iso(r.doneAt), owner: r.owner ?? null, message: `Ticket ${ticketId} was already handled${by} at ${iso(r.doneAt)}; skip it` };
		}
		return { ...base, claimed: false, reason: 'held' as const, heldUntil: iso(r.heldUntil), owner: r.owner ?? null, message: `Ticket ${ticketId} is being handled${by} until ${iso(r.heldUntil)}; skip it` };
	},
});

export const releaseTicket = defineOperation({
	id: 'claim.release_ticket',
	service: 'claim',
	resource: 'ticket claim',
	displayName: 'Release Ticket',
	summary: 'Give a claimed ticket back without marking it handled.',
	description:
		'Give back a claimed ticket without marking it handled, so another worker may claim it at once. Only the claim\'s token releases it; a wrong or expired token changes nothing and returns {released: false}. Workflows only.',
	level: 1,
	idempotent: true,
	workflowOnly: true,
	input: z.strictObject({ ticketId, token }),
	output: z.object({ released: z.boolean(), ticketId: z.number().int(), message: z.string() }),
	handler: async ({ ticketId, token }, coordination) => {
		const released = await coordination.guard('claim.release_ticket', () => coordination.claims.release(ticketId, token));
		return {
			released,
			ticketId,
			message: released ? `Ticket ${ticketId} released` : `Ticket ${ticketId} is not claimed with this token (expired or released); nothing changed`,
		};
	},
});

export const renewTicket = defineOperation({
	id: 'claim.renew_ticket',
	service: 'claim',
	resource: 'ticket claim',
	displayName: 'Renew Ticket',
	summary: 'Extend a claim for work that takes longer than planned.',
	description:
		'Extend a claim still held by its token to TTL seconds from now, for work that takes longer than planned. Returns {renewed: false} when the claim was lost (expired, released): then stop, another worker may have the ticket. Workflows only.',
	level: 1,
	idempotent: true,
	workflowOnly: true,
	input: z.strictObject({ ticketId, token, ttlSeconds }),
	output: z.object({ renewed: z.boolean(), ticketId: z.number().int(), expiresAt: z.string().nullable(), message: z.string() }),
	handler: async ({ ticketId, token, ttlSeconds }, coordination) => {
		const expiresAt = await coordination.guard('claim.renew_ticket', () => coordination.claims.renew(ticketId, token, ttlSeconds));
		return expiresAt
			? { renewed: true, ticketId, expiresAt: iso(expiresAt), message: `Ticket ${ticketId} claimed until ${iso(expiresAt)}` }
			: { renewed: false, ticketId, expiresAt: null, message: `Ticket ${ticketId} is no longer claimed with this token; stop handling it` };
	},
});

export const completeTicket = defineOperation({
	id: 'claim.complete_ticket',
	service: 'claim',
	resource: 'ticket claim',
	displayName: 'Complete Ticket',
	summary: 'Mark a claimed ticket as handled so nobody handles it again.',
	description:
		'Mark a claimed ticket as handled and end the claim: for Keep seconds (7 days by default) Claim Ticket answers done and nobody handles it again. Accepted from the claim\'s token, also just after the claim expired if nobody claimed the ticket since; refused, changing nothing, while another worker holds it. Workflows only.',
	level: 1,
	idempotent: true,
	workflowOnly: true,
	input: z.strictObject({
		ticketId,
		token,
		keepSeconds: z
			.number()
			.min(DONE_KEEP.min)
			.max(DONE_KEEP.max)
			.default(DONE_KEEP.default)
			.describe('Seconds the "handled" marker is kept; within them the ticket is never handled again')
			.meta({ title: 'Keep (Seconds)' }),
		owner,
	}),
	output: z.object({
		completed: z.boolean(),
		ticketId: z.number().int(),
		how: z.enum(['completed', 'late', 'already']).nullable(),
		reason: z.enum(['held', 'done']).nullable(),
		doneAt: z.string().nullable(),
		heldUntil: z.string().nullable(),
		owner: z.string().nullable(),
		message: z.string(),
	}),
	handler: async ({ ticketId, token, keepSeconds, owner }, coordination) => {
		const r = await coordination.guard('claim.complete_ticket', () => coordination.claims.complete(ticketId, token, { keepSeconds, owner }));
		const base = { ticketId, how: null, reason: null, doneAt: null, heldUntil: null, owner: null };
		if (r.completed) {
			const late = r.how === 'late' ? ' (its claim had expired, nobody took it since)' : r.how === 'already' ? ' (already recorded)' : '';
			return { ...base, completed: true, how: r.how, doneAt: iso(r.doneAt), message: `Ticket ${ticketId} marked handled${late}` };
		}
		const by = r.owner ? ` by ${r.owner}` : '';
		if (r.reason === 'done') {
			return { ...base, completed: false, reason: 'done' as const, doneAt: iso(r.doneAt), owner: r.owner ?? null, message: `Ticket ${ticketId} was already completed${by} under another claim; nothing changed` };
		}
		return { ...base, completed: false, reason: 'held' as const, heldUntil: iso(r.heldUntil), owner: r.owner ?? null, message: `Ticket ${ticketId} is claimed${by} with another token; nothing changed` };
	},
});

export const claimOperations: AnyOperation[] = [claimTicket, releaseTicket, renewTicket, completeTicket];
