import { catalogue } from '../../core/catalogue';
import { renderTemplate } from '../../core/mail/templates';
import { SmtpSink } from '../../sandbox/simulators/smtp-sink';
import { SMTP_PASSWORD, sinkClient } from './support';

const operation = 'mail.send_template_mail';
const LINK = 'https://secret.widip.fr/s/Zq7pK2mW9xR4tY8u?a=1&b=2';

/** The character references mustache writes, read back as an HTML parser reads them. */
function decodeHtml(html: string): string {
	return html.replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16))).replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * The Assist flow's mail after an approved password reset: it carries the one-time MySecret link,
 * never a password, in French, HTML + text like the other templates (their common rules are checked
 * for every template in templates.test.ts).
 */
describe('password_reset mail template', () => {
	it('gives the account, the link and its expiry; the optional requester name and views appear only when given', async () => {
		const bare = await renderTemplate('password_reset', { ticketId: 4242, account: 'm.dubois', link: LINK, expiresAt: '03/12/2026 à 14:05' }, { operation });
		expect(bare.subject).toBe('[WIDIP] Demande n°4242 : votre nouveau mot de passe');
		expect(bare.text).toMatch(/^Bonjour,\n/);
		expect(bare.text).toContain('le mot de passe du compte m.dubois a été');
		expect(bare.text).toContain(`\n${LINK}\n`);
		expect(bare.text).toContain('Le lien expire le 03/12/2026 à 14:05.');
		expect(bare.text).not.toContain('consultation(s)');
		// In HTML the link is an attribute and a text, escaped once (mustache also escapes / and =):
		// decoded as a mail client decodes it, it is the same URL.
		expect(decodeHtml(bare.html!)).toContain(`<a href="${LINK}"`);
		expect(bare.html).not.toContain('&amp;amp;');

		const full = await renderTemplate(
			'password_reset',
			{ ticketId: 4242, account: 'm.dubois', link: LINK, expiresAt: '03/12/2026 à 14:05', requesterName: 'Marie Dubois', viewsLeft: 3 },
			{ operation },
		);
		expect(full.text).toMatch(/^Bonjour Marie Dubois,\n/);
		expect(full.text).toContain('Le lien expire le 03/12/2026 à 14:05 ou après 3 consultation(s).');
		expect(full.html).toContain('<p>Bonjour Marie Dubois,</p>');
	});

	it('refuses to send without the link, naming what is missing', async () => {
		await expect(renderTemplate('password_reset', { ticketId: 4242, account: 'm.dubois', expiresAt: 'demain' }, { operation })).rejects.toMatchObject({
			kind: 'bad_request',
			message: 'Mail template "password_reset" needs variable(s) missing or empty: link',
		});
	});

	it('is sent through the Mail operation to a real SMTP server: one message, the link in both parts', async () => {
		const sink = await SmtpSink.start(SMTP_PASSWORD);
		try {
			const mail = sinkClient(sink);
			const sent = (await catalogue.run(
				operation,
				{ template: 'password_reset', to: 'marie.dubois@bellevue.example.fr', variables: { ticketId: 4242, account: 'm.dubois', link: LINK, expiresAt: '03/12/2026 à 14:05', viewsLeft: 3 } },
				{ mail },
			)) as Record<string, unknown>;
			await mail.close();
			expect(sent).toMatchObject({ success: true, template: 'password_reset', subject: '[WIDIP] Demande n°4242 : votre nouveau mot de passe', accepted: ['marie.dubois@bellevue.example.fr'] });
			const [message] = await sink.messages();
			expect(message.parsed.to?.map((to) => to.address)).toEqual(['marie.dubois@bellevue.example.fr']);
			expect(message.parsed.text).toContain(LINK);
			expect(decodeHtml(message.parsed.html!)).toContain(`href="${LINK}"`);
		} finally {
			await sink.stop();
		}
	});
});
