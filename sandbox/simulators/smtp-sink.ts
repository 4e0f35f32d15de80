import type { AddressInfo } from 'node:net';

import PostalMime from 'postal-mime';
import { SMTPServer } from 'smtp-server';

export const SINK_USER = 'widip-relay';

export interface ReceivedMail {
	/** Envelope recipients (RCPT TO): who the server delivers a copy to. */
	recipients: string[];
	/** The login the client used. */
	user: string;
	raw: string;
	parsed: PostalMime.Email;
	header(name: string): string | undefined;
}

/**
 * A real SMTP server on 127.0.0.1 that requires AUTH PLAIN/LOGIN with one user, keeps every
 * message it accepts, and refuses the recipients it is told to (550).
 */
export class SmtpSink {
	private constructor(
		private readonly server: SMTPServer,
		readonly port: number,
		private readonly pending: Array<Promise<ReceivedMail>>,
		readonly refusedRecipients: Set<string>,
	) {}

	static async start(password: string, port = 0): Promise<SmtpSink> {
		const pending: Array<Promise<ReceivedMail>> = [];
		const refusedRecipients = new Set<string>();
		const server = new SMTPServer({
			secure: false,
			authOptional: false,
			authMethods: ['PLAIN', 'LOGIN'],
			// No certificate in the test: plain-text AUTH on loopback only.
			allowInsecureAuth: true,
			disabledCommands: ['STARTTLS'],
			logger: false,
			onAuth(auth, _session, callback) {
				if (auth.username === SINK_USER && auth.password === password) return callback(null, { user: SINK_USER });
				return callback(new Error('Invalid username or password'));
			},
			onRcptTo(address, _session, callback) {
				if (refusedRecipients.has(address.address)) {
					return callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
				}
				return callback();
			},
			onData(stream, session, callback) {
				const chunks: Buffer[] = [];
				stream.on('data', (chunk: Buffer) => chunks.push(chunk));
				stream.on('end', () => {
					const raw = Buffer.concat(chunks).toString('utf8');
					// Read the session now: the server resets its envelope once callback() runs.
					const recipients = session.envelope.rcptTo.map((rcpt) => rcpt.address);
					const user = String(session.user);
					pending.push(
						PostalMime.parse(raw).then((parsed) => ({
							recipients,
							user,
							raw,
							parsed,
							header: (name: string) => parsed.headers.find((header) => header.key === name.toLowerCase())?.value,
						})),
					);
					callback();
				});
			},
		});
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(port, '127.0.0.1', resolve);
		});
		return new SmtpSink(server, (server.server.address() as AddressInfo).port, pending, refusedRecipients);
	}

	async messages(): Promise<ReceivedMail[]> {
		return await Promise.all(this.pending);
	}

	/** How many copies reached each address, over every message received. */
	async deliveries(): Promise<Map<string, number>> {
		const counts = new Map<string, number>();
		for (const mail of await this.messages()) {
			for (const recipient of mail.recipients) counts.set(recipient, (counts.get(recipient) ?? 0) + 1);
		}
		return counts;
	}

	clear(): void {
		this.pending.length = 0;
		this.refusedRecipients.clear();
	}

	async stop(): Promise<void> {
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}
}
