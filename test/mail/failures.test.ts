import { failure as failIn } from '../support/timed';
import { catalogue } from '../../core/catalogue';
import { WidipError } from '../../core/errors';
import { MailClient } from '../../core/mail/client';
import { freePort, silentServer } from '../support/redis';
import { capturingLogger, FROM, SMTP_PASSWORD, sinkClient, sinkConfig } from './support';
import { SmtpSink } from '../../sandbox/simulators/smtp-sink';

const message = { to: 'tech@widip.fr', subject: 'Coupure EHPAD', body: 'Corps confidentiel du message' };

async function failure(work: Promise<unknown>): Promise<{ error: WidipError; elapsedMs: number }> {
	const outcome = await failIn(work);
	expect(outcome.error).toBeInstanceOf(WidipError);
	return outcome;
}

/** Connection failures against real sockets: each fails with a typed, clear error within the timeout. */
describe('mail failures', () => {
	const logger = capturingLogger();
	const wrongPassword = 'Wr0ng-Smtp-Password-77';
	let sink: SmtpSink;

	beforeAll(async () => {
		sink = await SmtpSink.start(SMTP_PASSWORD);
	});
	afterAll(async () => {
		await sink.stop();
	});

	it('a wrong SMTP password is an auth error naming the server and operation, never the password', async () => {
		const mail = sinkClient(sink, logger, { password: wrongPassword });
		const { error } = await failure(catalogue.run('mail.send_mail', message, { mail }));
		expect(error.kind).toBe('auth');
		expect(error.operation).toBe('mail.send_mail');
		expect(error.message).toBe(
			`mail.send_mail: SMTP server at 127.0.0.1:${sink.port} rejected the user name or password (535 Invalid username or password)`,
		);
		expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain(wrongPassword);
		expect(error.cause).toBeUndefined();

		await expect(mail.verify()).rejects.toMatchObject({ kind: 'auth', operation: 'mail.verify' });
		await mail.close();
		expect(await sink.messages()).toEqual([]);
	});

	it('no login at all against a server that requires one is an auth error too', async () => {
		const mail = sinkClient(sink, logger, { user: undefined, password: undefined });
		const { error } = await failure(catalogue.run('mail.send_mail', message, { mail }));
		expect(error.kind).toBe('auth');
		expect(error.message).toMatch(/requires authentication \(530 .*\); set a user name and password$/);
		await mail.close();
	});

	it('the right credentials pass verify()', async () => {
		const mail = sinkClient(sink, logger);
		await expect(mail.verify()).resolves.toBeUndefined();
		await mail.close();
	});

	it('an unreachable SMTP port is "unavailable" at once', async () => {
		const port = await freePort();
		const mail = new MailClient({ ...sinkConfig(sink), port, timeoutMs: 2000 }, logger);
		const { error, elapsedMs } = await failure(catalogue.run('mail.send_mail', message, { mail }));
		expect(error.kind).toBe('unavailable');
		expect(error.message).toBe(
			`mail.send_mail: SMTP server at 127.0.0.1:${port} refused the connection (is it running, is the port right?)`,
		);
		expect(elapsedMs).toBeLessThan(2000);
		await expect(mail.verify()).rejects.toMatchObject({ kind: 'unavailable' });
		await mail.close();
	});

	it('a server that accepts the connection and never answers times out within the configured timeout', async () => {
		const silent = await silentServer();
		const mail = new MailClient({ ...sinkConfig(sink), port: silent.port, timeoutMs: 1200 }, logger);
		try {
			const { error, elapsedMs } = await failure(catalogue.run('mail.send_mail', message, { mail }));
			expect(error.kind).toBe('timeout');
			// nodemailer's greeting and idle-socket timers both end at 1200 ms; either may report first.
			expect(error.message).toMatch(
				new RegExp(
					`^mail\\.send_mail: SMTP server at 127\\.0\\.0\\.1:${silent.port} (accepted the connection but sent no SMTP greeting|did not answer) within 1200 ms$`,
				),
			);
			expect(elapsedMs).toBeGreaterThanOrEqual(1100);
			expect(elapsedMs).toBeLessThan(2200);

			const verify = await failure(mail.verify());
			expect(verify.error.kind).toBe('timeout');
			expect(verify.elapsedMs).toBeLessThan(2200);
		} finally {
			await mail.close();
			await silent.close();
		}
	});

	it('Require STARTTLS against a server without STARTTLS refuses to send in clear', async () => {
		const mail = sinkClient(sink, logger, { requireTLS: true });
		const { error } = await failure(catalogue.run('mail.send_mail', message, { mail }));
		expect(error.kind).toBe('unavailable');
		expect(error.message).toMatch(/failed the TLS\/STARTTLS negotiation/);
		await mail.close();
		expect(await sink.messages()).toEqual([]);
	});

	it('an invalid configuration is refused without echoing the password', () => {
		expect(() => new MailClient({ host: '', from: 'nobody', password: SMTP_PASSWORD })).toThrow(
			/^Invalid mail configuration: host: .*; from: must contain an e-mail address$/,
		);
		try {
			new MailClient({ host: 'smtp.widip.fr', from: FROM, password: SMTP_PASSWORD, groups: { team: ['pas-une-adresse'] } });
		} catch (error) {
			expect((error as Error).message).toMatch(/groups\.team\.0: /);
			expect((error as Error).message).not.toContain(SMTP_PASSWORD);
		}
	});

	it('reads groups given as JSON text (the credential field) and names text that is not JSON', () => {
		const base = { host: 'smtp.widip.fr', from: FROM };
		const fromText = new MailClient({ ...base, groups: '{"team": ["tech@widip.fr"], "admins": ["admin@widip.fr", "TECH@widip.fr"]}' });
		expect(fromText.recipientsOf('team')).toEqual(['tech@widip.fr']);
		expect(fromText.recipientsOf('managers')).toEqual([]);
		expect(fromText.recipientsOf('all')).toEqual(['tech@widip.fr', 'admin@widip.fr']);
		expect(new MailClient({ ...base, groups: '' }).recipientsOf('all')).toEqual([]);
		expect(() => new MailClient({ ...base, groups: '{"team": [' })).toThrow(/^Invalid mail configuration: groups: is not valid JSON/);
		expect(() => new MailClient({ ...base, groups: '{"teams": []}' })).toThrow(/groups: unrecognized key|groups: Unrecognized key/i);
	});

	it('logs failures with their kind, and never the password or the message', () => {
		const warnings = logger.lines.filter((line) => line.startsWith('warn Mail not sent'));
		expect(warnings.length).toBeGreaterThanOrEqual(4);
		expect(warnings.some((line) => line.includes('"kind":"auth"'))).toBe(true);
		expect(warnings.some((line) => line.includes('"kind":"timeout"'))).toBe(true);
		const all = logger.lines.join('\n');
		for (const secret of [SMTP_PASSWORD, wrongPassword, message.body, message.subject]) expect(all).not.toContain(secret);
	});
});
