import { z } from 'zod/v4';

import { defineOperation } from '../catalogue/operation';
import { ValidationError } from '../errors';
import { incidentAlertSchema } from './alert';
import { DIAGNOSIS_CLAIM_MS, INCIDENT_ID, MAX_DIAGNOSIS_LENGTH } from './engine';
import { incidentSettingsSchema, resolveSettings } from './settings';
import { incidentViewSchema } from './view';

const incidentId = z
	.string()
	.regex(INCIDENT_ID, 'expected an incident id such as inc-mi3x8k2p-1a2b3c4d')
	.describe('The incident id, as intake returned it (incident.id)')
	.meta({ title: 'Incident ID', n8nDefault: '={{ $json.incident.id }}' });

/** A diagnosis claim's token, as Save Diagnosis and Release Diagnosis Claim take it. */
const claimToken = z
	.string()
	.regex(/^[0-9a-f]{32}$/, 'expected the 32-character claim token')
	.describe('The claim token (diagnosisClaim.token from Intake Alert, or token from Claim Diagnosis)')
	.meta({ title: 'Claim Token', n8nDefault: '={{ $json.diagnosisClaim.token }}' });

/** Settings inputs, as the intake and review both take them; `settings` turns them into IncidentSettings. */
const settingsShape = incidentSettingsSchema.shape;

function settingsOf(input: z.output<typeof incidentSettingsSchema>, operation: string) {
	try {
		return resolveSettings(input);
	} catch (error) {
		const message = (error as Error).message;
		throw new ValidationError(`Invalid input for ${operation}: ${message}`, [message], { service: 'incident', operation });
	}
}

const decisionOutput = z.object({
	decision: z.enum(['new', 'update', 'recovered', 'suppressed']),
	reason: z.string(),
	message: z.string(),
	fingerprint: z.string(),
	site: z.string().nullable(),
	rule: z.string().nullable(),
	flapping: z.boolean(),
	flapPercent: z.number(),
	incident: incidentViewSchema.nullable(),
	diagnosisClaim: z.object({ token: z.string(), expiresAt: z.string() }).nullable(),
});

export const incidentIntake = defineOperation({
	id: 'incident.intake',
	service: 'incident',
	resource: 'alert',
	displayName: 'Intake Alert',
	summary: 'Decide what an alert means: new incident, update, recovered or suppressed.',
	description:
		'Decide what a normalised Observium alert means, against every alert seen before by any worker: decision "new" (a new incident: diagnose it; this caller holds its diagnosis claim), "update" (a known incident changed: reopened, another device of the site, flapping started or re-notified, reminder after the interval, partial recovery), "recovered" (close the loop) or "suppressed" (duplicate, reminder, flapping, ignored device/type/check, maintenance window, unknown recovery), with the reason and the incident record. Duplicates, reminders and flapping never open a second incident.',
	level: 1,
	workflowOnly: true,
	input: z.strictObject({
		alert: incidentAlertSchema
			.describe('The alert as Observium Normalize Alert returns it; in n8n usually {{ $json }} of that node')
			.meta({ title: 'Alert', n8nDefault: '={{ $json }}' }),
		...settingsShape,
	}),
	output: decisionOutput,
	handler: async ({ alert, ...settings }, coordination) => {
		const resolved = settingsOf(settings, 'incident.intake');
		return await coordination.guard('incident.intake', () => coordination.incidents.intake(alert, resolved));
	},
});

export const incidentReview = defineOperation({
	id: 'incident.review',
	service: 'incident',
	resource: 'alert',
	displayName: 'Review Flapping Incidents',
	summary: 'Run every minute: count the quiet checks of flapping incidents and close those that settled.',
	description:
		'Run on a schedule (every minute or so) with the same settings as Intake Alert: Observium sends nothing while a device is steadily up, so this counts the quiet checks of flapping incidents. Returns {reviewed, changes}: each change is a decision like intake\'s ("recovered" when a device stopped flapping and is up, "update" when it stopped flapping but is still down).',
	level: 1,
	workflowOnly: true,
	input: z.strictObject({ ...settingsShape }),
	output: z.object({ reviewed: z.number().int(), changes: z.array(decisionOutput) }),
	handler: async (settings, coordination) => {
		const resolved = settingsOf(settings, 'incident.review');
		return await coordination.guard('incident.review', () => coordination.incidents.review(resolved));
	},
});

export const incidentGet = defineOperation({
	id: 'incident.get',
	service: 'incident',
	resource: 'incident',
	displayName: 'Get Incident',
	summary: 'Read one incident by its id.',
	description:
		'Read one incident by id: status (open/recovered), kind (device or site), site, devices with their state, likely cause, flapping, alert count, diagnosis (with whether it is still fresh, under 20 min) and the last alert. Returns {found: false} for an unknown or expired id.',
	level: 0,
	input: z.strictObject({ incidentId }),
	output: z.object({ found: z.boolean(), incident: incidentViewSchema.nullable() }),
	handler: async ({ incidentId }, coordination) => {
		const incident = await coordination.guard('incident.get', () => coordination.incidents.get(incidentId));
		return { found: incident !== null, incident };
	},
});

export const incidentList = defineOperation({
	id: 'incident.list',
	service: 'incident',
	resource: 'incident',
	displayName: 'List Incidents',
	summary: 'List open or recently recovered incidents, newest first.',
	description: 'List incidents, newest first: the open ones (default) or the recently recovered ones, each with its devices, flapping and diagnosis. Returns {count, incidents}.',
	level: 0,
	input: z.strictObject({
		status: z.enum(['open', 'recovered']).default('open').describe('Open incidents, or those recently recovered').meta({ title: 'Status' }),
		limit: z.number().int().min(1).max(200).default(50).describe('At most this many incidents').meta({ title: 'Limit' }),
		withoutTicket: z
			.boolean()
			.default(false)
			.describe('Only incidents that have no GLPI ticket yet (e.g. they arrived while GLPI was down)')
			.meta({ title: 'Only Without Ticket' }),
	}),
	output: z.object({ count: z.number().int(), incidents: z.array(incidentViewSchema) }),
	handler: async ({ status, limit, withoutTicket }, coordination) => {
		const incidents = await coordination.guard('incident.list', () => coordination.incidents.list(status, limit, undefined, { withoutTicket }));
		return { count: incidents.length, incidents };
	},
});

export const incidentClaimDiagnosis = defineOperation({
	id: 'incident.claim_diagnosis',
	service: 'incident',
	resource: 'incident',
	displayName: 'Claim Diagnosis',
	summary: 'Become the one worker allowed to diagnose an incident again.',
	description:
		'Before diagnosing an incident again (its diagnosis is older than 20 min, or intake did not give you the claim): exactly one caller gets {claimed: true, token}; the others get {claimed: false, why: "diagnosis_fresh" | "claimed_by_another", heldUntil} and the incident with its diagnosis. Save with Save Diagnosis and the token.',
	level: 1,
	workflowOnly: true,
	input: z.strictObject({
		incidentId,
		claimSeconds: z
			.number()
			.min(1)
			.max(3600)
			.default(DIAGNOSIS_CLAIM_MS / 1000)
			.describe('How long the claim holds if the diagnosis is never saved (a crashed worker)')
			.meta({ title: 'Claim (Seconds)' }),
	}),
	output: z.object({
		claimed: z.boolean(),
		token: z.string().optional(),
		expiresAt: z.string().optional(),
		why: z.enum(['diagnosis_fresh', 'claimed_by_another']).optional(),
		heldUntil: z.string().nullable().optional(),
		incident: incidentViewSchema.nullable(),
	}),
	handler: async ({ incidentId, claimSeconds }, coordination) =>
		coordination.guard('incident.claim_diagnosis', () => coordination.incidents.claimDiagnosis(incidentId, claimSeconds * 1000)),
});

export const incidentSaveDiagnosis = defineOperation({
	id: 'incident.save_diagnosis',
	service: 'incident',
	resource: 'incident',
	displayName: 'Save Diagnosis',
	summary: 'Store an incident\'s diagnosis so its later alerts reuse it.',
	description:
		'Store the diagnosis of an incident with the claim token from Intake Alert (diagnosisClaim.token) or Claim Diagnosis; it is served to every later alert of the incident for 20 min. Returns {saved: false, why: "claim_not_held"} when another worker holds the claim.',
	level: 1,
	workflowOnly: true,
	input: z.strictObject({
		incidentId,
		claimToken,
		diagnosis: z
			.string()
			.min(1)
			.max(MAX_DIAGNOSIS_LENGTH)
			.describe('The diagnosis text (the Sentinel\'s answer)')
			.meta({ title: 'Diagnosis', rows: 6 }),
	}),
	output: z.object({ saved: z.boolean(), why: z.string().nullable(), incident: incidentViewSchema.nullable() }),
	handler: async ({ incidentId, claimToken, diagnosis }, coordination) =>
		coordination.guard('incident.save_diagnosis', () => coordination.incidents.saveDiagnosis(incidentId, claimToken, diagnosis)),
});

export const incidentLinkTicket = defineOperation({
	id: 'incident.link_ticket',
	service: 'incident',
	resource: 'incident',
	displayName: 'Link Ticket',
	summary: 'Record the GLPI ticket made for an incident (once).',
	description:
		'Record the GLPI ticket made for an incident, so updates and recoveries add followups to it and List Incidents (Only Without Ticket) finds those still waiting for one. The first ticket stays: a later call returns {linked: false, ticketId: <the first>}. Workflows only.',
	level: 1,
	workflowOnly: true,
	input: z.strictObject({
		incidentId,
		ticketId: z.number().int().positive().describe('The GLPI ticket id (Create Ticket returns it as id)').meta({ title: 'Ticket ID' }),
	}),
	output: z.object({ linked: z.boolean(), ticketId: z.number().int(), incident: incidentViewSchema.nullable() }),
	handler: async ({ incidentId, ticketId }, coordination) =>
		coordination.guard('incident.link_ticket', () => coordination.incidents.linkTicket(incidentId, ticketId)),
});

export const incidentReleaseDiagnosis = defineOperation({
	id: 'incident.release_diagnosis',
	service: 'incident',
	resource: 'incident',
	displayName: 'Release Diagnosis Claim',
	summary: 'Give back a diagnosis claim unused, so another run may diagnose at once.',
	description:
		'Give back the diagnosis claim of an incident without saving a diagnosis (the diagnosis could not be made or used now, e.g. GLPI is down), so another caller may claim it at once instead of after 5 minutes. Only the holder can: returns {released: false, why: "claim_not_held"} otherwise. Workflows only.',
	level: 1,
	workflowOnly: true,
	input: z.strictObject({
		incidentId,
		claimToken,
	}),
	output: z.object({ released: z.boolean(), why: z.string().nullable() }),
	handler: async ({ incidentId, claimToken }, coordination) =>
		coordination.guard('incident.release_diagnosis', () => coordination.incidents.releaseDiagnosis(incidentId, claimToken)),
});

export const incidentOperations = [
	incidentIntake,
	incidentReview,
	incidentGet,
	incidentList,
	incidentClaimDiagnosis,
	incidentSaveDiagnosis,
	incidentReleaseDiagnosis,
	incidentLinkTicket,
];
