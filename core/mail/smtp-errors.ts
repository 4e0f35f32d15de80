import type { NodemailerError } from 'nodemailer';

import { WidipError, type WidipErrorKind } from '../errors';
import type { MailConfig } from './config';

/** SMTP replies that say "not now" rather than "never": the same mail may pass later. */
function isTransientReply(code: number | undefined): boolean {
	return code !== undefined && code >= 400 && code < 500;
}

/**
 * Only the server's reply text is quoted, never nodemailer's `command`: for AUTH PLAIN that
 * holds the base64 of the password. Any echo of the password is masked as a last guard.
 */
function serverReply(error: NodemailerError, config: MailConfig): string {
	const reply = String(error.response ?? error.message ?? '').split('\n')[0].slice(0, 200);
	return config.password ? reply.split(config.password).join('***') : reply;
}

interface Failure {
	kind: WidipErrorKind;
	reason: string;
}

function classify(error: NodemailerError, config: MailConfig): Failure {
	const reply = serverReply(error, config);
	switch (error.code) {
		case 'EAUTH':
			return { kind: 'auth', reason: `rejected the user name or password (${reply})` };
		case 'ENOAUTH':
			return { kind: 'auth', reason: 'needs a user name and password, and the credential has none' };
		case 'ETIMEDOUT':
			if (error.timeoutType === 'CONNECT_TIMEOUT') {
				return { kind: 'timeout', reason: `could not be reached within ${config.timeoutMs} ms` };
			}
			if (error.timeoutType === 'GREETING_TIMEOUT') {
				return { kind: 'timeout', reason: `accepted the connection but sent no SMTP greeting within ${config.timeoutMs} ms` };
			}
			return { kind: 'timeout', reason: `did not answer within ${config.timeoutMs} ms` };
		case 'EDNS':
			return { kind: 'unavailable', reason: 'cannot be found (the host name does not resolve)' };
		case 'ETLS':
			return { kind: 'unavailable', reason: `failed the TLS/STARTTLS negotiation (${reply})` };
		case 'ESOCKET':
		case 'ECONNECTION':
			if (error.originalCode === 'ECONNREFUSED' || /ECONNREFUSED/.test(error.message)) {
				return { kind: 'unavailable', reason: 'refused the connection (is it running, is the port right?)' };
			}
			if (/certificate|SSL|TLS|EPROTO|wrong version/i.test(error.message)) {
				return { kind: 'unavailable', reason: `failed the TLS handshake (${reply}); check the SSL/TLS setting and the port` };
			}
			return { kind: 'unavailable', reason: `closed the connection (${reply})` };
		case 'EPROTOCOL':
			return { kind: 'unavailable', reason: `answered with something that is not SMTP (${reply})` };
	}
	if (error.responseCode === 530) {
		return { kind: 'auth', reason: `requires authentication (${reply}); set a user name and password` };
	}
	if (error.code === 'EENVELOPE' && error.rejected?.length) {
		return {
			kind: isTransientReply(error.responseCode) ? 'unavailable' : 'bad_request',
			reason: `rejected every recipient (${error.rejected.join(', ')}: ${reply})`,
		};
	}
	if (error.responseCode !== undefined) {
		return { kind: isTransientReply(error.responseCode) ? 'unavailable' : 'bad_request', reason: `refused the mail (${reply})` };
	}
	return { kind: 'bad_request', reason: `failed (${reply})` };
}

/** Maps what nodemailer throws into our hierarchy with a message a technician can act on. */
export function mapSmtpError(error: unknown, config: MailConfig, operation: string): WidipError {
	if (error instanceof WidipError) return error;
	const { kind, reason } = classify(error as NodemailerError, config);
	return new WidipError(kind, `${operation}: SMTP server at ${config.host}:${config.port} ${reason}`, {
		service: 'mail',
		operation,
	});
}
