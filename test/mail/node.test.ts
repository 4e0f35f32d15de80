import type { ICredentialDataDecryptedObject, ICredentialTestFunctions } from 'n8n-workflow';

import { Mail } from '../../nodes/Mail/Mail.node';
import { fakeExecuteContext } from '../support/n8n-context';
import { freePort } from '../support/redis';
import { FROM, SMTP_PASSWORD } from './support';
import { SINK_USER, SmtpSink } from '../../sandbox/simulators/smtp-sink';

/** The node as the fake execution context presents it. */
const MAIL_NODE = { type: 'n8n-nodes-widip.mail', name: 'Mail' };

describe('WIDIP Mail node', () => {
	let sink: SmtpSink;
	let credentials: ICredentialDataDecryptedObject;

	beforeAll(async () => {
		sink = await SmtpSink.start(SMTP_PASSWORD);
		credentials = {
			host: '127.0.0.1',
			port: sink.port,
			secure: false,
			requireTLS: false,
			user: SINK_USER,
			password: SMTP_PASSWORD,
			from: FROM,
			groups: '{"team": ["tech@widip.fr"], "managers": [], "admins": []}',
			templatesDir: '',
			timeoutMs: 3000,
		};
	});
	afterEach(() => sink.clear());
	afterAll(async () => {
		await sink.stop();
	});

	it('is the `mail` node, usable as a tool, with its credential tested by verify()', () => {
		const { description, methods } = new Mail();
		expect(description).toMatchObject({ name: 'mail', displayName: 'WIDIP Mail', usableAsTool: true });
		expect(description.credentials).toEqual([
			{ name: 'widipSmtpApi', required: true, displayName: 'Credential for SMTP', testedBy: 'widipSmtpConnectionTest' },
			// Safeguard's approvals and audit when the node runs as an AI tool.
			{ name: 'widipSafeguardApi', required: false, displayName: 'Safeguard (Only for AI Tool Use and Gate Approvals)', testedBy: 'widipSafeguardConnectionTest' },
		]);
		expect(Object.keys(methods.credentialTest)).toEqual(['widipSmtpConnectionTest', 'widipSafeguardConnectionTest']);
		const operations = description.properties.find((property) => property.name === 'operation')!.options as Array<{ value: string }>;
		expect(operations.map((option) => option.value)).toEqual([
			'mail.send_mail',
			'mail.send_template_mail',
			'mail.send_bulk_notification',
		]);
	});

	it('the credential test logs in, and reports a wrong password or bad groups without the password', async () => {
		const test = new Mail().methods.credentialTest.widipSmtpConnectionTest;
		const run = (data: ICredentialDataDecryptedObject) =>
			test.call({} as ICredentialTestFunctions, { id: 'c1', name: 'SMTP', type: 'widipSmtpApi', data });
		expect(await run(credentials)).toEqual({ status: 'OK', message: 'Connection successful' });

		const wrong = await run({ ...credentials, password: 'Not-The-Password-5' });
		expect(wrong.status).toBe('Error');
		expect(wrong.message).toMatch(/^mail\.verify: SMTP server at 127\.0\.0\.1:\d+ rejected the user name or password/);
		expect(wrong.message).not.toContain('Not-The-Password-5');

		const badGroups = await run({ ...credentials, groups: '{"team": [' });
		expect(badGroups).toEqual({ status: 'Error', message: expect.stringMatching(/groups: is not valid JSON/) });
		expect(await sink.messages()).toEqual([]);
	});

	it('reads fields, additional fields and JSON variables, and pairs each output with its item', async () => {
		const [items] = await new Mail().execute.call(
			fakeExecuteContext({
				...MAIL_NODE,
				params: [
					{
						operation: 'mail.send_mail',
						to: 'accueil@ehpad-les-pins.fr',
						subject: 'Bonjour',
						body: 'Texte',
						priority: 'normal',
						additionalFields: { cc: 'tech@widip.fr' },
					},
					{
						operation: 'mail.send_template_mail',
						template: 'client_not_found',
						to: 'tech@widip.fr',
						variables: '{"device": "PINS-AP03", "alert": "Borne Wi-Fi injoignable"}',
						priority: 'normal',
					},
					{ operation: 'mail.send_bulk_notification', group: 'team', subject: 'Info', body: 'Texte', priority: 'low' },
				],
				credentials,
			}),
		);
		expect(items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(items[0].json).toMatchObject({ accepted: ['accueil@ehpad-les-pins.fr', 'tech@widip.fr'] });
		expect(items[1].json).toMatchObject({ subject: '[WIDIP] Alerte sans client GLPI : PINS-AP03' });
		expect(items[2].json).toMatchObject({ group: 'team', recipients: 1, accepted: ['tech@widip.fr'] });
		expect((await sink.messages()).map((mail) => mail.parsed.messageId)).toEqual(items.map((item) => item.json.messageId));
	});

	it('with continueOnFail, an unreachable server becomes an error item per input', async () => {
		const port = await freePort();
		const [items] = await new Mail().execute.call(
			fakeExecuteContext({
				...MAIL_NODE,
				params: [{ operation: 'mail.send_mail', to: 'tech@widip.fr', subject: 'S', body: 'B', priority: 'normal' }],
				credentials: { ...credentials, port, timeoutMs: 1000 },
				continueOnFail: true,
			}),
		);
		expect(items).toEqual([
			{
				json: { error: `mail.send_mail: SMTP server at 127.0.0.1:${port} refused the connection (is it running, is the port right?)`, details: { kind: 'unavailable', service: 'mail' } },
				pairedItem: { item: 0 },
			},
		]);
	});
});
