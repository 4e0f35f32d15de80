import { InvalidCredentialsError } from 'ldapts';

import { escapeRdnValue, firstRdn, parentDn, rdnValue, dnsDomainOf, sameDn } from '../../core/ad/ldap-dn';
import { bindFailure, ldapError, type LdapErrorContext } from '../../core/ad/ldap-errors';
import { complexityProblem, explainPasswordRefusal, policyFromDomain, policyFromPso, type PasswordPolicy } from '../../core/ad/ldap-policy';
import { adDurationToMs, describeDuration, fileTimeToIso, isLockedOut, msToFileTime } from '../../core/ad/ldap-time';

/** The pure pieces of the LDAPS backend: AD's formats and the words of its errors. */
describe('LDAPS backend helpers', () => {
	it('FILETIMEs become ISO times; 0 and "never" become null', () => {
		expect(fileTimeToIso('134397794739760680')).toBe('2026-11-22T00:04:33.976Z');
		expect(fileTimeToIso(msToFileTime(Date.parse('2026-01-02T03:04:05.678Z')))).toBe('2026-01-02T03:04:05.678Z');
		expect(fileTimeToIso('0')).toBeNull();
		expect(fileTimeToIso('9223372036854775807')).toBeNull();
		expect(fileTimeToIso(undefined)).toBeNull();
		expect(fileTimeToIso('garbage')).toBeNull();
	});

	it('policy durations: negative 100-ns intervals, int64 min = forever', () => {
		expect(adDurationToMs('-18000000000')).toBe(30 * 60_000);
		expect(adDurationToMs('-9223372036854775808')).toBe(Number.POSITIVE_INFINITY);
		expect(adDurationToMs('0')).toBe(0);
		expect(describeDuration(30 * 60_000)).toBe('30 minutes');
		expect(describeDuration(86_400_000 + 3 * 3_600_000)).toBe('1 day 3 hours');
	});

	it('a lockout holds for its duration; 0 or forever means until an administrator unlocks', () => {
		const now = Date.parse('2026-11-22T10:00:00Z');
		const tenMinutesAgo = msToFileTime(now - 10 * 60_000);
		expect(isLockedOut(tenMinutesAgo, 30 * 60_000, now)).toBe(true);
		expect(isLockedOut(tenMinutesAgo, 5 * 60_000, now)).toBe(false);
		expect(isLockedOut(tenMinutesAgo, 0, now)).toBe(true);
		expect(isLockedOut(tenMinutesAgo, Number.POSITIVE_INFINITY, now)).toBe(true);
		expect(isLockedOut('0', 30 * 60_000, now)).toBe(false);
		expect(isLockedOut(undefined, 30 * 60_000, now)).toBe(false);
	});

	it('failed binds are decoded from AD\'s data code', () => {
		const adMessage = (code: string) => new InvalidCredentialsError(`80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data ${code}, v1db1 Code: 0x31`);
		expect(bindFailure(adMessage('52e'))).toEqual({ code: '52e', reason: 'wrong password' });
		expect(bindFailure(adMessage('533'))).toEqual({ code: '533', reason: 'account disabled' });
		expect(bindFailure(adMessage('775'))).toEqual({ code: '775', reason: 'account locked out' });
		expect(bindFailure(adMessage('773'))).toEqual({ code: '773', reason: 'password must be changed at next logon' });
		expect(bindFailure(adMessage('532'))).toEqual({ code: '532', reason: 'password expired' });
		expect(bindFailure(new InvalidCredentialsError('invalid credentials'))).toEqual({ code: null, reason: 'invalid credentials' });
		expect(bindFailure(new Error('data 52e'))).toBeNull();
	});

	it('RFC 4514: a CN is escaped, the first RDN and the parent are split at unescaped commas only', () => {
		expect(escapeRdnValue('Dubois, Marie')).toBe('Dubois\\, Marie');
		expect(escapeRdnValue(' #1+2="a";<b>\\ ')).toBe('\\ #1\\+2\\=\\"a\\"\\;\\<b\\>\\\\\\ ');
		expect(escapeRdnValue('#1 site')).toBe('\\#1 site');
		expect(escapeRdnValue('a\u0000b')).toBe('a\\00b');
		const dn = 'CN=Dubois\\, Marie,OU=EHPAD Bellevue,DC=widip,DC=test';
		expect(firstRdn(dn)).toBe('CN=Dubois\\, Marie');
		expect(parentDn(dn)).toBe('OU=EHPAD Bellevue,DC=widip,DC=test');
		expect(rdnValue(dn)).toBe('Dubois, Marie');
		expect(rdnValue('CN=Infirmi\\c3\\a8res,OU=G,DC=widip,DC=test')).toBe('Infirmières');
		expect(sameDn('OU=A, DC=widip,DC=test', 'ou=a,dc=WIDIP,dc=test')).toBe(true);
		expect(dnsDomainOf('DC=widip,DC=test')).toBe('widip.test');
	});

	describe('naming the password rule AD refused', () => {
		const domain: PasswordPolicy = policyFromDomain({
			minPwdLength: '7',
			pwdProperties: '1',
			pwdHistoryLength: '24',
			minPwdAge: '-864000000000',
			lockoutThreshold: '3',
			lockoutDuration: '-18000000000',
		});
		const account = { sAMAccountName: 'm.dubois', displayName: 'Marie Dubois' };

		it('reads the domain object and a PSO', () => {
			expect(domain).toEqual({ source: 'the domain', minLength: 7, complexity: true, historyLength: 24, minAgeMs: 86_400_000, lockoutThreshold: 3, lockoutDurationMs: 1_800_000 });
			expect(
				policyFromPso({ cn: 'Soignants', 'msDS-MinimumPasswordLength': '12', 'msDS-PasswordComplexityEnabled': 'FALSE', 'msDS-PasswordHistoryLength': '0', 'msDS-MinimumPasswordAge': '0', 'msDS-LockoutDuration': '0' }),
			).toMatchObject({ source: 'password settings object "Soignants"', minLength: 12, complexity: false, historyLength: 0, lockoutDurationMs: 0 });
		});

		it('length, complexity, account name, display name, then history / minimum age', () => {
			expect(explainPasswordRefusal('Ab1!', domain, account)).toBe('the password is too short for the domain minimum of 7 characters (it has 4)');
			expect(explainPasswordRefusal('abcdefghij', domain, account)).toBe(
				'the password does not meet the complexity rule of the domain: it uses 1 of the kinds of characters (capitals, small letters, digits, symbols) where 3 are required',
			);
			expect(explainPasswordRefusal('X9!m.DUBOIS', domain, account)).toBe('the password does not meet the complexity rule of the domain: it contains the account name');
			expect(explainPasswordRefusal('X9!marie-q', domain, account)).toBe('the password does not meet the complexity rule of the domain: it contains part of the display name');
			expect(explainPasswordRefusal('Correct-Horse-9', domain, account)).toBe(
				'the password meets the length (7) and complexity rules of the domain, so it breaks the history rule (none of the last 24 passwords may be reused) or the minimum age rule (1 day between changes)',
			);
			const noHistory = { ...domain, historyLength: 0, minAgeMs: 0 };
			expect(explainPasswordRefusal('Correct-Horse-9', noHistory, account)).toMatch(/^the password meets every rule of the domain we can read/);
			expect(complexityProblem('Élodie-2026', { sAMAccountName: 'x' })).toBeNull();
		});
	});

	describe('errors become WidipError with words a technician can act on, never a password', () => {
		const context: LdapErrorContext = {
			operation: 'ad.unlock_account',
			url: 'ldaps://dc1.widip.test:636',
			timeoutMs: 3000,
			phase: 'request',
			bindDn: 'svc-widip@widip.test',
			secrets: ['S3cret-Svc!'],
		};
		const errno = (code: string, message = code) => Object.assign(new Error(message), { code });

		it.each([
			['refused', errno('ECONNREFUSED'), 'unavailable', 'ad.unlock_account: Active Directory at ldaps://dc1.widip.test:636 refused the connection (is the DC running, is the port right?)'],
			['unknown host', errno('ENOTFOUND'), 'unavailable', 'ad.unlock_account: cannot resolve the host of ldaps://dc1.widip.test:636 (ENOTFOUND)'],
			['unreachable', errno('EHOSTUNREACH'), 'unavailable', 'ad.unlock_account: Active Directory at ldaps://dc1.widip.test:636 is unreachable (EHOSTUNREACH)'],
			['request timeout', new Error('ModifyRequest: Operation timed out'), 'timeout', 'ad.unlock_account: Active Directory at ldaps://dc1.widip.test:636 did not answer within 3000 ms'],
			['connection lost', new Error('Connection closed before message response was received. Message type: ModifyRequest (0x66)'), 'unavailable', 'ad.unlock_account: the connection to Active Directory at ldaps://dc1.widip.test:636 was lost'],
			['service account locked', new InvalidCredentialsError('80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 775, v1db1'), 'auth', 'ad.unlock_account: Active Directory refused the service account svc-widip@widip.test: account locked out (AD code 775)'],
			['a secret in a message', new Error('the password S3cret-Svc! leaked'), 'unavailable', 'ad.unlock_account: Active Directory at ldaps://dc1.widip.test:636: the password [redacted] leaked'],
		])('%s', (_label, error, kind, message) => {
			expect(ldapError(error, context)).toMatchObject({ kind, message, service: 'ad', operation: 'ad.unlock_account' });
		});

		it('a write whose answer was lost says it may have happened', () => {
			expect(ldapError(new Error('ModifyRequest: Operation timed out'), { ...context, write: true }).message).toBe(
				'ad.unlock_account: Active Directory at ldaps://dc1.widip.test:636 did not answer within 3000 ms; the change may or may not have been made: check before retrying',
			);
		});
	});
});
