import { SINK_USER, SmtpSink } from '../../sandbox/simulators/smtp-sink';
import { loadWorkflow, N8nHarness, outputItems } from './harness';

/**
 * The packed package's `n8n-nodes-widip.mail` node inside a real n8n 2.41.1, against a real SMTP
 * server (smtp-server, AUTH required) started here; every mail that arrives is parsed and checked.
 */
describe('WIDIP Mail in real n8n', () => {
	const password = 'E2e-Smtp-Relay-Secret-9';
	const wrongPassword = 'E2e-Wrong-Smtp-Secret-3';
	let harness: N8nHarness;
	let sink: SmtpSink;

	beforeAll(async () => {
		sink = await SmtpSink.start(password);
		harness = await N8nHarness.create();
		const smtp = (id: string, name: string, data: object) => ({
			id,
			name,
			type: 'widipSmtpApi',
			data: {
				host: '127.0.0.1',
				port: sink.port,
				secure: false,
				requireTLS: false,
				user: SINK_USER,
				password,
				from: 'Support WIDIP <support@widip.fr>',
				groups: JSON.stringify({
					team: ['tech.nord@widip.fr', 'astreinte@widip.fr'],
					managers: ['direction@widip.fr', 'tech.nord@widip.fr'],
					admins: ['admin.sys@widip.fr', 'Astreinte@widip.fr'],
				}),
				// no templates folder: the built-in templates must load from the installed package
				timeoutMs: 3000,
				...data,
			},
		});
		await harness.importCredentials([
			smtp('widipE2eSmtp0001', 'WIDIP SMTP (e2e)', {}),
			smtp('widipE2eSmtpBadP', 'WIDIP SMTP wrong password (e2e)', { password: wrongPassword }),
		]);
		await harness.importWorkflows(['mail-operations.json', 'mail-failures.json'].map(loadWorkflow));
	}, 40 * 60_000);

	afterEach(() => sink.clear());
	afterAll(async () => {
		await sink?.stop();
		harness?.dispose();
	});

	it('sends a template mail, a free mail and a group notification; the sink receives exactly those', async () => {
		const result = await harness.execute('widipE2eMailSend');
		expect(result.error).toBeUndefined();
		expect(result.ok).toBe(true);
		expect(result.output).not.toContain(password);

		const [template] = outputItems(result, 'Send Template');
		const [free] = outputItems(result, 'Send Mail');
		const [bulk] = outputItems(result, 'Notify All');
		const subject = '[WIDIP] Ticket n°48213 – EHPAD Les Tilleuls : Coupure Internet';
		expect(template).toMatchObject({ success: true, template: 'ticket_created', subject, accepted: ['tech.nord@widip.fr'], rejected: [] });
		expect(free).toMatchObject({ success: true, accepted: ['direction@ehpad-tilleuls.fr', 'astreinte@widip.fr'], rejected: [] });
		expect(bulk).toMatchObject({ success: true, group: 'all', recipients: 4, rejected: [] });

		const received = await sink.messages();
		expect(received.map((mail) => mail.parsed.messageId)).toEqual([template.messageId, free.messageId, bulk.messageId]);
		const [templated, plain, notification] = received;

		expect(templated.parsed.subject).toBe(subject);
		expect(templated.header('X-Priority')).toBe('1 (Highest)');
		expect(templated.parsed.text).toContain('Établissement : EHPAD Les Tilleuls');
		expect(templated.parsed.text).toContain('Routeur injoignable <script>alert(1)</script>');
		expect(templated.parsed.html).toContain('Routeur injoignable &lt;script&gt;alert(1)&lt;&#x2F;script&gt;');
		expect(templated.parsed.html).not.toContain('<script>');

		// n8n expressions were resolved from the previous node's output before sending
		expect(plain.parsed.subject).toBe('Suivi du ticket n°48213');
		expect(plain.parsed.text).toContain(`(message ${String(template.messageId)})`);
		expect(plain.parsed.cc).toEqual([{ name: '', address: 'astreinte@widip.fr' }]);
		expect(plain.parsed.html?.trimEnd()).toBe('<p>Ticket ouvert : <b>coupure Internet</b></p>');
		expect(plain.header('X-Priority')).toBe('5 (Lowest)');

		expect([...notification.recipients].sort()).toEqual(
			['admin.sys@widip.fr', 'astreinte@widip.fr', 'direction@widip.fr', 'tech.nord@widip.fr'].sort(),
		);
		expect(notification.parsed.subject).toBe('Coupure Internet EHPAD Les Tilleuls');
		expect(notification.parsed.to).toEqual([{ name: 'Support WIDIP', address: 'support@widip.fr' }]);
	}, 180_000);

	it('a missing template variable becomes an error item; a wrong password fails the node with a clear message', async () => {
		const result = await harness.execute('widipE2eMailFail');
		expect(result.ok).toBe(false);
		expect(outputItems(result, 'Missing Variable (continue on fail)')).toEqual([
			{ error: 'Mail template "provider_incident" needs variable(s) missing or empty: description, reference', details: { kind: 'bad_request', service: 'mail' } },
		]);
		expect(result.error?.node?.name).toBe('Send With Wrong Password');
		expect(result.error?.message).toBe(
			`mail.send_mail: SMTP server at 127.0.0.1:${sink.port} rejected the user name or password (535 Invalid username or password)`,
		);
		expect(result.output).not.toContain(wrongPassword);
		expect(result.output).not.toContain(password);
		expect(await sink.messages()).toEqual([]);
	}, 180_000);
});
