import { catalogue } from '../../core/catalogue';
import { ValidationError } from '../../core/errors';
import type { MailClient } from '../../core/mail/client';
import { capturingLogger, FROM, SMTP_PASSWORD, sinkClient } from './support';
import { SmtpSink } from '../../sandbox/simulators/smtp-sink';

/** The three operations against a real SMTP server (smtp-server, AUTH required), mails parsed back. */
describe('mail operations (real SMTP server)', () => {
	const logger = capturingLogger();
	let sink: SmtpSink;
	let mail: MailClient;

	beforeAll(async () => {
		sink = await SmtpSink.start(SMTP_PASSWORD);
		mail = sinkClient(sink, logger, {
			groups: {
				team: ['tech.nord@widip.fr', 'tech.sud@widip.fr', 'astreinte@widip.fr'],
				managers: ['direction@widip.fr', 'Tech.Nord@widip.fr'],
				admins: ['admin.sys@widip.fr', 'astreinte@widip.fr', 'direction@widip.fr'],
			},
		});
	});
	afterEach(() => sink.clear());
	afterAll(async () => {
		await mail.close();
		await sink.stop();
	});

	it('sends a templated mail: French subject and fields filled in, HTML-escaped in the HTML part only', async () => {
		const diagnosis = 'Routeur injoignable <script>alert("x")</script> & lien fibre coupé';
		const result = (await catalogue.run(
			'mail.send_template_mail',
			{
				template: 'ticket_created',
				to: 'tech.nord@widip.fr',
				variables: {
					ticketId: 48213,
					site: 'EHPAD Les Tilleuls',
					title: 'Coupure Internet',
					diagnosis,
					device: 'TILLEULS-RTR01',
					technician: 'Julie Martin',
				},
			},
			{ mail },
		)) as Record<string, unknown>;

		const subject = '[WIDIP] Ticket n°48213 – EHPAD Les Tilleuls : Coupure Internet';
		expect(result).toMatchObject({ success: true, template: 'ticket_created', subject, accepted: ['tech.nord@widip.fr'], rejected: [] });
		const [received] = await sink.messages();
		expect(received.parsed.messageId).toBe(result.messageId);
		expect(received.user).toBe('widip-relay');
		expect(received.parsed.subject).toBe(subject);
		expect(received.parsed.from).toMatchObject({ name: 'Support WIDIP', address: 'support@widip.fr' });
		expect(received.parsed.to).toEqual([{ name: '', address: 'tech.nord@widip.fr' }]);

		const text = received.parsed.text!;
		expect(text).toContain('Un ticket vient d\'être ouvert dans GLPI');
		expect(text).toContain('Ticket        : n°48213');
		expect(text).toContain('Établissement : EHPAD Les Tilleuls');
		expect(text).toContain('Équipement    : TILLEULS-RTR01');
		expect(text).toContain('Technicien    : Julie Martin');
		expect(text).toContain(diagnosis); // plain text carries the value as written
		expect(text).not.toContain('Priorité'); // optional section left out
		expect(text).not.toMatch(/\{\{|&lt;|&amp;/);

		const html = received.parsed.html!;
		expect(html).toContain('<td style="padding:4px 0;">EHPAD Les Tilleuls</td>');
		expect(html).toContain('TILLEULS-RTR01');
		expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;&#x2F;script&gt; &amp; lien fibre coupé');
		expect(html).not.toContain('<script>');
		expect(html).not.toContain('{{');
	});

	it('sends a free mail with CC, HTML version and priority headers', async () => {
		const result = (await catalogue.run(
			'mail.send_mail',
			{
				to: 'direction@ehpad-bellevue.fr, ide.coordinatrice@ehpad-bellevue.fr',
				cc: 'astreinte@widip.fr',
				subject: 'Maintenance du pare-feu ce soir',
				body: 'Bonjour,\n\nUne maintenance aura lieu ce soir entre 22 h et 23 h.\n',
				html: '<p>Une maintenance aura lieu <b>ce soir</b>.</p>',
				priority: 'high',
			},
			{ mail },
		)) as Record<string, unknown>;
		expect(result.accepted).toEqual(['direction@ehpad-bellevue.fr', 'ide.coordinatrice@ehpad-bellevue.fr', 'astreinte@widip.fr']);

		const [received] = await sink.messages();
		expect(received.recipients).toEqual(result.accepted);
		expect(received.parsed.cc).toEqual([{ name: '', address: 'astreinte@widip.fr' }]);
		expect(received.parsed.subject).toBe('Maintenance du pare-feu ce soir');
		expect(received.parsed.text).toContain('entre 22 h et 23 h');
		expect(received.parsed.html).toContain('<b>ce soir</b>');
		expect(received.header('X-Priority')).toBe('1 (Highest)');
		expect(received.header('Importance')).toBe('High');

		await catalogue.run('mail.send_mail', { to: 'a@widip.fr', subject: 'Info', body: 'Pour info', priority: 'low' }, { mail });
		await catalogue.run('mail.send_mail', { to: 'b@widip.fr', subject: 'Info', body: 'Pour info' }, { mail });
		const [, low, normal] = await sink.messages();
		expect(low.header('X-Priority')).toBe('5 (Lowest)');
		expect(low.header('Importance')).toBe('Low');
		expect(normal.header('X-Priority')).toBeUndefined();
		expect(normal.parsed.html).toBeUndefined();
	});

	it('lists a refused recipient in `rejected` while the others still get the mail', async () => {
		sink.refusedRecipients.add('parti@ehpad-bellevue.fr');
		const result = (await catalogue.run(
			'mail.send_mail',
			{ to: 'accueil@ehpad-bellevue.fr, parti@ehpad-bellevue.fr', subject: 'Test', body: 'Corps' },
			{ mail },
		)) as Record<string, unknown>;
		expect(result).toMatchObject({ success: true, accepted: ['accueil@ehpad-bellevue.fr'], rejected: ['parti@ehpad-bellevue.fr'] });
		expect(result.message).toMatch(/1 recipient\(s\); rejected: parti@ehpad-bellevue\.fr/);
		expect((await sink.messages())[0].recipients).toEqual(['accueil@ehpad-bellevue.fr']);

		await expect(
			catalogue.run('mail.send_mail', { to: 'parti@ehpad-bellevue.fr', subject: 'Test', body: 'Corps' }, { mail }),
		).rejects.toMatchObject({
			kind: 'bad_request',
			message: expect.stringMatching(/^mail\.send_mail: SMTP server at 127\.0\.0\.1:\d+ rejected every recipient \(parti@ehpad-bellevue\.fr: 550/),
		});
	});

	it('a bulk notification reaches every member once; "all" merges overlapping groups without repeats', async () => {
		const team = (await catalogue.run(
			'mail.send_bulk_notification',
			{ group: 'team', subject: 'Astreinte du week-end', body: 'Planning en pièce jointe du GLPI.' },
			{ mail },
		)) as Record<string, unknown>;
		expect(team).toMatchObject({ success: true, group: 'team', recipients: 3, rejected: [] });
		expect(Object.fromEntries(await sink.deliveries())).toEqual({
			'tech.nord@widip.fr': 1,
			'tech.sud@widip.fr': 1,
			'astreinte@widip.fr': 1,
		});
		sink.clear();

		const all = (await catalogue.run(
			'mail.send_bulk_notification',
			{ group: 'all', subject: 'Panne GLPI', body: 'GLPI ne répond plus depuis 10 h 05.', priority: 'high' },
			{ mail },
		)) as Record<string, unknown>;
		const everyone = ['tech.nord@widip.fr', 'tech.sud@widip.fr', 'astreinte@widip.fr', 'direction@widip.fr', 'admin.sys@widip.fr'];
		expect(all).toMatchObject({ group: 'all', recipients: 5, accepted: everyone, rejected: [] });
		const deliveries = await sink.deliveries();
		expect([...deliveries.keys()].sort()).toEqual([...everyone].sort());
		expect([...deliveries.values()].every((count) => count === 1)).toBe(true);

		const [received] = await sink.messages();
		expect(received.parsed.messageId).toBe(all.messageId);
		expect(received.parsed.to).toEqual([{ name: 'Support WIDIP', address: 'support@widip.fr' }]);
		expect(received.raw).not.toMatch(/tech\.sud@widip\.fr/); // members stay hidden from each other
		expect(received.header('Importance')).toBe('High');
		expect(received.parsed.text).toContain('GLPI ne répond plus');
	});

	it('refuses an empty group and invalid addresses with messages naming them', async () => {
		const lonely = sinkClient(sink, logger, { groups: { team: ['tech@widip.fr'] } });
		await expect(
			catalogue.run('mail.send_bulk_notification', { group: 'admins', subject: 'S', body: 'B' }, { mail: lonely }),
		).rejects.toThrow('the group "admins" has no members in the SMTP credential');
		await lonely.close();

		const invalid = catalogue.run('mail.send_mail', { to: 'tech@widip.fr, pas-une-adresse', subject: 'S', body: 'B' }, { mail });
		await expect(invalid).rejects.toBeInstanceOf(ValidationError);
		await expect(invalid).rejects.toThrow('to: not an e-mail address: pas-une-adresse');
		await expect(
			catalogue.run('mail.send_mail', { to: 'tech@widip.fr', subject: 'Deux\nlignes', body: 'B' }, { mail }),
		).rejects.toThrow(/subject: must be one line/);
		expect(await sink.messages()).toEqual([]);
	});

	it('never logs the SMTP password, subjects or bodies', () => {
		expect(logger.lines.length).toBeGreaterThan(5);
		expect(logger.lines.some((line) => line.startsWith('info Mail sent'))).toBe(true);
		const all = logger.lines.join('\n');
		for (const secret of [SMTP_PASSWORD, 'Coupure Internet', 'alert(', 'maintenance', 'Panne GLPI', 'ne répond plus', FROM]) {
			expect(all).not.toContain(secret);
		}
	});
});
