import { WidipError } from '../errors';

/**
 * sAMAccountName allow-list: AD allows more, but WIDIP's accounts use only these, and nothing in
 * this set can mean anything to an LDAP filter, a DN, cmd.exe or PowerShell.
 */
export const SAM_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$/;

export function assertSam(sam: unknown, operation: string): string {
	if (typeof sam !== 'string' || !SAM_PATTERN.test(sam) || sam.endsWith('.')) {
		throw new WidipError('bad_request', `${operation}: invalid account name: use 1–20 letters, digits, . _ - (not ending with .)`, {
			service: 'ad',
			operation,
		});
	}
	return sam;
}

/** An OU DN as accepted for moves and creations: plain RDNs, no escapes, no control characters. */
export const OU_DN_PATTERN = /^(?:(?:OU|CN)=[^,=+<>#;"\\\p{Cc}]+,)*(?:DC=[A-Za-z0-9-]+)(?:,DC=[A-Za-z0-9-]+)*$/iu;
