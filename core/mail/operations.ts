import { z } from 'zod/v4';

import { defineOperation } from '../catalogue/operation';
import { WidipError } from '../errors';
import { invalidAddresses, splitAddressList, uniqueAddresses } from './addresses';
import type { SentMail } from './client';
import { MAIL_GROUPS } from './config';
import { TEMPLATE_NAMES } from './templates';

function addressList(title: string, description: string) {
	return z
		.string()
		.max(4000)
		.refine((list) => splitAddressList(list).length > 0, 'give at least one e-mail address')
		.refine((list) => invalidAddresses(splitAddressList(list)).length === 0, {
			error: (issue) => `not an e-mail address: ${invalidAddresses(splitAddressList(String(issue.input))).join(', ')}`,
		})
		.describe(description)
		.meta({ title, placeholder: 'technicien@widip.fr, astreinte@widip.fr' });
}

const to = addressList('To', 'Recipients, separated by commas. Example: technicien@widip.fr, direction@ehpad-bellevue.fr');
const cc = addressList('CC', 'Recipients in copy, separated by commas. Example: astreinte@widip.fr').optional();

const subject = z
	.string()
	.min(1)
	.max(250)
	.regex(/^[^\r\n]*$/, 'must be one line')
	.describe('Subject line. Example: [WIDIP] Coupure réseau EHPAD Les Tilleuls')
	.meta({ title: 'Subject' });

const body = z
	.string()
	.min(1)
	.max(200_000)
	.describe('Plain-text body of the mail (always sent; mail clients without HTML show it)')
	.meta({ title: 'Body', placeholder: 'Bonjour,\n\n…\n\nL’équipe support WIDIP', rows: 8 });

const priority = z
	.enum(['high', 'normal', 'low'])
	.default('normal')
	.describe('Importance shown by mail clients (X-Priority / Importance headers); use high for outages only')
	.meta({ title: 'Priority' });

const sentOutput = z.object({
	success: z.boolean(),
	messageId: z.string(),
	accepted: z.array(z.string()),
	rejected: z.array(z.string()),
	message: z.string(),
});

function summary(sent: SentMail): string {
	const rejected = sent.rejected.length > 0 ? `; rejected: ${sent.rejected.join(', ')}` : '';
	return `Mail accepted by the SMTP server for ${sent.accepted.length} recipient(s)${rejected}`;
}

function recipients(list: string | undefined): string[] | undefined {
	return list === undefined ? undefined : uniqueAddresses(splitAddressList(list));
}

export const sendMail = defineOperation({
	id: 'mail.send_mail',
	service: 'mail',
	displayName: 'Send Mail',
	summary: 'Send one e-mail from the WIDIP support address.',
	description:
		'Send one e-mail (plain text, optionally with an HTML version) from the WIDIP support address. Returns {success, messageId, accepted, rejected}: a recipient the server refused is listed in rejected while the others still get the mail.',
	level: 1,
	input: z.strictObject({
		to,
		cc,
		subject,
		body,
		html: z
			.string()
			.max(500_000)
			.optional()
			.describe('Optional HTML version of the body; the plain-text body is still sent alongside it')
			.meta({ title: 'HTML Body', rows: 8 }),
		priority,
	}),
	output: sentOutput,
	handler: async (input, mail) => {
		const sent = await mail.send('mail.send_mail', {
			to: recipients(input.to)!,
			cc: recipients(input.cc),
			subject: input.subject,
			text: input.body,
			html: input.html,
			priority: input.priority,
		});
		return { success: true, ...sent, message: summary(sent) };
	},
});

export const sendTemplateMail = defineOperation({
	id: 'mail.send_template_mail',
	service: 'mail',
	displayName: 'Send Template Mail',
	summary: 'Send a WIDIP mail written from a template (French, HTML and text).',
	description:
		'Send a WIDIP mail written from a template (French, HTML + text). Templates and their variables: ticket_created (ticketId, site, title, diagnosis; optional device, priority, technician, ticketUrl), client_not_found (device, alert; optional ipAddress, alertTime, searched), provider_incident (provider, site, reference, description; optional link, startedAt, estimatedResolution, ticketId), resolution_confirmed (ticketId, site, title, resolution; optional requesterName, technician, resolvedAt), password_reset (ticketId, account, link, expiresAt; optional requesterName, viewsLeft), whose link is the one-time link of Reset Password, never a password. A missing required variable fails with its name. Returns {success, messageId, subject, accepted, rejected}.',
	level: 1,
	input: z.strictObject({
		template: z.enum(TEMPLATE_NAMES).describe('Which mail to send').meta({ title: 'Template' }),
		to,
		cc,
		variables: z
			.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), z.union([z.string().max(20_000), z.number(), z.boolean(), z.null()]))
			.describe('Values the template fills in, as a JSON object. Example: {"ticketId": 48213, "site": "EHPAD Les Tilleuls", "title": "Coupure Internet", "diagnosis": "Lien fibre Phibee coupé"}')
			.meta({ title: 'Variables' }),
		priority,
	}),
	output: sentOutput.extend({ template: z.enum(TEMPLATE_NAMES), subject: z.string() }),
	handler: async (input, mail) => {
		const rendered = await mail.render('mail.send_template_mail', input.template, input.variables);
		const sent = await mail.send('mail.send_template_mail', {
			to: recipients(input.to)!,
			cc: recipients(input.cc),
			subject: rendered.subject,
			text: rendered.text,
			html: rendered.html,
			priority: input.priority,
		});
		return { success: true, template: input.template, subject: rendered.subject, ...sent, message: summary(sent) };
	},
});

export const sendBulkNotification = defineOperation({
	id: 'mail.send_bulk_notification',
	service: 'mail',
	displayName: 'Send Bulk Notification',
	summary: 'Send one notification to a whole group: team, managers, admins or all.',
	description:
		'Send one notification to a whole group from the SMTP credential: team, managers, admins, or all (everyone in those groups). Each person receives it once, even when listed in several groups; members do not see each other\'s addresses. Returns {success, group, recipients, messageId, accepted, rejected}.',
	level: 1,
	input: z.strictObject({
		group: z.enum(MAIL_GROUPS).describe('Who receives it: team, managers, admins, or all of them').meta({ title: 'Group' }),
		subject,
		body,
		priority,
	}),
	output: sentOutput.extend({ group: z.enum(MAIL_GROUPS), recipients: z.number().int() }),
	handler: async (input, mail) => {
		const members = mail.recipientsOf(input.group);
		if (members.length === 0) {
			throw new WidipError('bad_request', `mail.send_bulk_notification: the group "${input.group}" has no members in the SMTP credential`, {
				service: 'mail',
				operation: 'mail.send_bulk_notification',
			});
		}
		// One SMTP transaction with every member as a hidden recipient: one copy each, and the
		// visible To is the sender so the list of people stays private.
		const sent = await mail.send('mail.send_bulk_notification', {
			to: [mail.config.from],
			envelopeTo: members,
			subject: input.subject,
			text: input.body,
			priority: input.priority,
		});
		return { success: true, group: input.group, recipients: members.length, ...sent, message: summary(sent) };
	},
});

export const mailOperations = [sendMail, sendTemplateMail, sendBulkNotification];
