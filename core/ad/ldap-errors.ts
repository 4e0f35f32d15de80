import { ResultCodeError } from 'ldapts';

import { WidipError, type WidipErrorKind } from '../errors';

/**
 * Why AD refused a bind, from the `data` field of its invalidCredentials (49) message
 * (`80090308: LdapErr: DSID-…, comment: AcceptSecurityContext error, data 52e, v…`).
 */
export const BIND_FAILURE_REASONS: Record<string, string> = {
	'525': 'no such account',
	'52e': 'wrong password',
	'530': 'logon not permitted at this time',
	'531': 'logon not permitted from this workstation',
	'532': 'password expired',
	'533': 'account disabled',
	'701': 'account expired',
	'773': 'password must be changed at next logon',
	'775': 'account locked out',
};

export interface BindFailure {
	/** AD's sub-code, lower case (`52e`, `533`, `773`, `775`…), or null when the message has none. */
	code: string | null;
	reason: string;
}

/** Decodes a failed bind; null when the error is not an invalidCredentials answer. */
export function bindFailure(error: unknown): BindFailure | null {
	if (!(error instanceof ResultCodeError) || error.code !== 49) return null;
	const match = /\bdata ([0-9a-f]{3,8})\b/i.exec(error.message);
	const code = match ? match[1].toLowerCase().replace(/^0+(?=[0-9a-f]{3})/, '') : null;
	return { code, reason: (code && BIND_FAILURE_REASONS[code]) ?? 'invalid credentials' };
}

/** AD's 8-hex-digit error code at the start of its messages (`0000052D: Constraint violation…`). */
export function adErrorCode(error: unknown): string | null {
	const match = /^([0-9A-F]{8}):/i.exec(String((error as Error)?.message ?? ''));
	return match ? match[1].toUpperCase() : null;
}

const LDAP_NAMES: Record<number, string> = {
	1: 'operationsError',
	2: 'protocolError',
	3: 'timeLimitExceeded',
	4: 'sizeLimitExceeded',
	8: 'strongAuthRequired',
	10: 'referral',
	11: 'adminLimitExceeded',
	12: 'unavailableCriticalExtension',
	13: 'confidentialityRequired',
	16: 'noSuchAttribute',
	17: 'undefinedAttributeType',
	19: 'constraintViolation',
	20: 'attributeOrValueExists',
	21: 'invalidAttributeSyntax',
	32: 'noSuchObject',
	34: 'invalidDNSyntax',
	49: 'invalidCredentials',
	50: 'insufficientAccessRights',
	51: 'busy',
	52: 'unavailable',
	53: 'unwillingToPerform',
	54: 'loopDetect',
	64: 'namingViolation',
	65: 'objectClassViolation',
	66: 'notAllowedOnNonLeaf',
	67: 'notAllowedOnRDN',
	68: 'entryAlreadyExists',
	69: 'objectClassModsProhibited',
	80: 'other',
};

const TLS_TRUST_CODES = new Set([
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'SELF_SIGNED_CERT_IN_CHAIN',
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'UNABLE_TO_GET_ISSUER_CERT',
	'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
	'CERT_SIGNATURE_FAILURE',
	'CERT_UNTRUSTED',
	'CERT_REJECTED',
	'CERT_REVOKED',
	'CERT_HAS_EXPIRED',
	'CERT_NOT_YET_VALID',
	'INVALID_CA',
	'INVALID_PURPOSE',
]);

export interface LdapErrorContext {
	/** Catalogue operation (or `ad.verify`) for the message. */
	operation: string;
	/** `ldaps://host:port` the backend talks to. */
	url: string;
	timeoutMs: number;
	/** What was going on: opening the connection (TCP/TLS), binding the service account, or a request. */
	phase: 'connect' | 'bind' | 'request';
	/** The service account, named when AD refuses it. */
	bindDn?: string;
	/** Name used to check the DC certificate. */
	tlsServerName?: string;
	/** A write whose answer was lost may or may not have happened: the message says so. */
	write?: boolean;
	/** Values that must never appear in a message (passwords), cut out defensively. */
	secrets?: string[];
}

/** First line of a message, without ldapts's ` Code: 0x31` suffix, with every secret cut out. */
export function cleanMessage(message: string, secrets: string[] = []): string {
	let text = message.split('\n')[0].replace(/\s*Code: 0x[0-9a-f]+\s*$/i, '').trim();
	for (const secret of secrets) if (secret) text = text.split(secret).join('[redacted]');
	return text;
}

function make(kind: WidipErrorKind, context: LdapErrorContext, message: string): WidipError {
	let text = `${context.operation}: ${message}`;
	for (const secret of context.secrets ?? []) if (secret) text = text.split(secret).join('[redacted]');
	return new WidipError(kind, text, { service: 'ad', operation: context.operation });
}

/** Every failure of the LDAPS backend, as a WidipError with a message a technician can act on. */
export function ldapError(error: unknown, context: LdapErrorContext): WidipError {
	if (error instanceof WidipError) return error;
	const secrets = context.secrets ?? [];
	const where = `Active Directory at ${context.url}`;

	if (error instanceof ResultCodeError) {
		const name = LDAP_NAMES[error.code] ?? `result ${error.code}`;
		const detail = cleanMessage(error.message, secrets);
		const said = `(LDAP ${error.code} ${name}: ${detail})`;
		if (error.code === 49) {
			const failure = bindFailure(error)!;
			const who = context.bindDn ? ` ${context.bindDn}` : '';
			return make('auth', context, `Active Directory refused the service account${who}: ${failure.reason}${failure.code ? ` (AD code ${failure.code})` : ''}`);
		}
		switch (error.code) {
			case 8:
			case 13:
				return make('bad_request', context, `${where} requires an encrypted connection: use ldaps:// or StartTLS ${said}`);
			case 50:
				return make('auth', context, `the service account${context.bindDn ? ` ${context.bindDn}` : ''} is not allowed to do this ${said}`);
			case 32:
				return make('not_found', context, `no such object in Active Directory ${said}`);
			case 68:
				return make('conflict', context, `an object with this name already exists ${said}`);
			case 3:
				return make('timeout', context, `${where} gave up (time limit) ${said}`);
			case 51:
			case 52:
				return make('unavailable', context, `${where} is busy or unavailable ${said}`);
			case 16:
			case 17:
			case 19:
			case 20:
			case 21:
			case 34:
			case 53:
			case 64:
			case 65:
			case 66:
			case 67:
			case 69:
				return make('bad_request', context, `Active Directory refused the change ${said}`);
			default:
				return make('unavailable', context, `Active Directory answered an error ${said}`);
		}
	}

	const err = error as NodeJS.ErrnoException;
	const code = typeof err?.code === 'string' ? err.code : '';
	const message = cleanMessage(String(err?.message ?? error), secrets);
	const reason = message.split(';')[0];

	if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
		const name = context.tlsServerName ? `the name "${context.tlsServerName}"` : 'the host of the URL';
		return make('unavailable', context, `TLS: the certificate of ${where} does not match ${name}: ${reason} (set TLS Server Name to the name in the certificate)`);
	}
	if (TLS_TRUST_CODES.has(code)) {
		return make('unavailable', context, `TLS: the certificate of ${where} is not trusted: ${reason} (${code}; check the CA certificate of the credential)`);
	}
	if (code.startsWith('ERR_OSSL') || /PEM|certificate/i.test(code)) {
		return make('bad_request', context, `TLS: the CA certificate of the credential cannot be used: ${reason}`);
	}
	if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || code === 'EPROTO') {
		return make('unavailable', context, `TLS: the handshake with ${where} failed: ${reason}`);
	}
	switch (code) {
		case 'ECONNREFUSED':
			return make('unavailable', context, `${where} refused the connection (is the DC running, is the port right?)`);
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
			return make('unavailable', context, `cannot resolve the host of ${context.url} (${code})`);
		case 'EHOSTUNREACH':
		case 'ENETUNREACH':
		case 'EADDRNOTAVAIL':
			return make('unavailable', context, `${where} is unreachable (${code})`);
		case 'ECONNRESET':
		case 'EPIPE':
			return make('unavailable', context, context.phase === 'connect'
				? `${where} closed the connection during the TLS handshake (is it an LDAPS port?)`
				: `${where} closed the connection (${code})`);
		case 'ETIMEDOUT':
			return make('unavailable', context, `${where} did not answer within ${context.timeoutMs} ms`);
	}
	if (/^Connection timeout$/i.test(message)) {
		return make('unavailable', context, `${where} did not answer within ${context.timeoutMs} ms (no TCP/TLS connection)`);
	}
	if (context.phase !== 'request' && /timed out|timeout/i.test(message)) {
		return make('unavailable', context, `${where} accepted the connection but did not answer the service account's bind within ${context.timeoutMs} ms`);
	}
	if (/Operation timed out/i.test(message)) {
		const unsure = context.write ? '; the change may or may not have been made: check before retrying' : '';
		return make('timeout', context, `${where} did not answer within ${context.timeoutMs} ms${unsure}`);
	}
	if (/Connection closed before message response|Socket error|Socket connection not established/i.test(message)) {
		const unsure = context.write ? '; the change may or may not have been made: check before retrying' : '';
		return make('unavailable', context, `the connection to ${where} was lost${unsure}`);
	}
	return make('unavailable', context, `${where}: ${message}`);
}
