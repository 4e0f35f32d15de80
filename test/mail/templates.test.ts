import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { catalogue } from '../../core/catalogue';
import type { MailClient } from '../../core/mail/client';
import { sendTemplateMail } from '../../core/mail/operations';
import { BUILT_IN_TEMPLATES_DIR, renderTemplate, requiredVariables, TEMPLATE_NAMES } from '../../core/mail/templates';
import { SMTP_PASSWORD, sinkClient } from './support';
import { SmtpSink } from '../../sandbox/simulators/smtp-sink';

const operation = 'mail.send_template_mail';

/** "ticket_created (ticketId, site, title, diagnosis; optional …)" in the operation's description. */
function documentedRequired(template: string): string[] {
	const match = new RegExp(`${template} \\(([^;)]+)`).exec(sendTemplateMail.description);
	if (!match) throw new Error(`the description does not document ${template}`);
	return match[1].split(',').map((name) => name.trim());
}

function documentedOptional(template: string): string[] {
	const match = new RegExp(`${template} \\([^;)]+; optional ([^)]+)\\)`).exec(sendTemplateMail.description);
	return match ? match[1].split(',').map((name) => name.trim()) : [];
}

describe('built-in mail templates', () => {
	it.each(TEMPLATE_NAMES.map((name) => [name]))('%s needs exactly the variables the operation documents', async (name) => {
		const required = documentedRequired(name);
		const only = Object.fromEntries(required.map((variable) => [variable, `valeur-${variable}`]));
		const rendered = await renderTemplate(name, only, { operation });
		for (const part of [rendered.subject, rendered.text, rendered.html!]) {
			expect(part).not.toMatch(/\{\{|\}\}/);
		}
		expect(rendered.subject).toMatch(/^\[WIDIP\] /);
		expect(rendered.text).toMatch(/^Bonjour/);
		expect(rendered.html).toMatch(/^<!DOCTYPE html>\n<html lang="fr">/);
		for (const variable of required) {
			expect(rendered.text).toContain(`valeur-${variable}`);
			expect(rendered.html).toContain(`valeur-${variable}`);
		}
		// Each optional variable documented is really used by the template, and only when given.
		for (const variable of documentedOptional(name)) {
			const withIt = await renderTemplate(name, { ...only, [variable]: `option-${variable}` }, { operation });
			expect(withIt.text).toContain(`option-${variable}`);
		}
	});

	it('reports every missing or empty required variable by name, without sending', async () => {
		await expect(
			renderTemplate('ticket_created', { ticketId: 48213, title: 'Coupure', site: '  ' }, { operation }),
		).rejects.toMatchObject({
			kind: 'bad_request',
			operation,
			message: 'Mail template "ticket_created" needs variable(s) missing or empty: diagnosis, site',
		});
	});

	it('finds variables printed outside sections only', () => {
		expect(requiredVariables('{{a}} {{{b}}} {{&c}} {{#d}}{{e}}{{/d}} {{^f}}{{g}}{{/f}} {{a}}')).toEqual(['a', 'b', 'c']);
	});

	it('lives next to the compiled module (core/mail/templates here, dist/core/mail/templates when built)', () => {
		expect(BUILT_IN_TEMPLATES_DIR).toBe(path.join(__dirname, '../../core/mail/templates'));
	});
});

describe('templates in use (real SMTP server)', () => {
	let sink: SmtpSink;
	let customDir: string;

	beforeAll(async () => {
		sink = await SmtpSink.start(SMTP_PASSWORD);
		customDir = mkdtempSync(path.join(tmpdir(), 'widip-templates-'));
		const folder = path.join(customDir, 'resolution_confirmed');
		mkdirSync(folder);
		writeFileSync(path.join(folder, 'subject.mustache'), 'Clôture de votre demande {{ticketId}} – Groupe Âge d\'Or\n');
		writeFileSync(path.join(folder, 'text.mustache'), 'Madame, Monsieur,\nVotre demande {{ticketId}} est close : {{resolution}}.\n');
		writeFileSync(path.join(folder, 'html.mustache'), '<p>Demande <b>{{ticketId}}</b> close : {{resolution}}</p>\n');
	});
	afterEach(() => sink.clear());
	afterAll(async () => {
		await sink.stop();
		rmSync(customDir, { recursive: true, force: true });
	});

	async function send(mail: MailClient, template: string, variables: Record<string, unknown>) {
		return (await catalogue.run(operation, { template, to: 'accueil@ehpad-les-pins.fr', variables }, { mail })) as Record<string, unknown>;
	}

	it('a user templates folder replaces a built-in template; the others stay built-in', async () => {
		const mail = sinkClient(sink, undefined, { templatesDir: customDir });
		const custom = await send(mail, 'resolution_confirmed', { ticketId: 51002, resolution: 'imprimante <HP> réinstallée' });
		expect(custom.subject).toBe('Clôture de votre demande 51002 – Groupe Âge d\'Or');
		const builtIn = await send(mail, 'client_not_found', { device: 'PINS-SW02', alert: 'Port Gi0/1 down' });
		expect(builtIn.subject).toBe('[WIDIP] Alerte sans client GLPI : PINS-SW02');
		await mail.close();

		const [first, second] = await sink.messages();
		expect(first.parsed.subject).toBe('Clôture de votre demande 51002 – Groupe Âge d\'Or');
		expect(first.parsed.text?.trimEnd()).toBe('Madame, Monsieur,\nVotre demande 51002 est close : imprimante <HP> réinstallée.');
		expect(first.parsed.html).toContain('<p>Demande <b>51002</b> close : imprimante &lt;HP&gt; réinstallée</p>');
		expect(second.parsed.text).toContain('Équipement : PINS-SW02');
		expect(second.parsed.text).not.toContain('Adresse IP');
	});

	it('a missing variable fails with its name and sends nothing', async () => {
		const mail = sinkClient(sink);
		await expect(send(mail, 'provider_incident', { provider: 'Phibee Telecom', site: 'EHPAD Les Pins' })).rejects.toThrow(
			'Mail template "provider_incident" needs variable(s) missing or empty: description, reference',
		);
		await mail.close();
		expect(await sink.messages()).toEqual([]);
	});

	it('a templates folder that does not exist is named in the error', async () => {
		const mail = sinkClient(sink, undefined, { templatesDir: path.join(customDir, 'absent') });
		await expect(send(mail, 'ticket_created', {})).rejects.toThrow(
			`Mail templates folder "${path.join(customDir, 'absent')}" does not exist or is not a folder`,
		);
		await mail.close();
	});
});
