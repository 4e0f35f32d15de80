/**
 * The protection rule itself (core/ad/protected.ts), on facts shaped like what the directory gives:
 * privilege is found by SID and RID whatever the names, nesting is whatever tokenGroups says,
 * missing facts refuse, and the credential's deny list and OU allow-list are applied exactly.
 * The backends' use of it against a real DC and a real sshd: ldaps-protected / ssh-protected tests.
 */
import {
	assertCreatable,
	assertTargetOu,
	assertWritable,
	isWithinDn,
	parseAccountList,
	parseOuList,
	type AccountFacts,
} from '../../core/ad/protected';
import { domainRid, sidToString } from '../../core/ad/sid';

const DOMAIN = 'S-1-5-21-4289629667-1304882555-767530005';
const ROOT = 'S-1-5-21-1111111111-2222222222-3333333333'; // the forest root of a child domain
const USERS = `${DOMAIN}-513`;
const BUILTIN_USERS = 'S-1-5-32-545';
const NEVER = 'WIDIP automation never changes privileged accounts';

function facts(extra: Partial<AccountFacts> = {}): AccountFacts {
	return {
		sam: 'm.dubois',
		dn: 'CN=Marie Dubois,OU=Soignants,OU=EHPAD Les Tilleuls,DC=widip,DC=test',
		objectSid: `${DOMAIN}-1107`,
		adminCount: null,
		groupSids: [USERS, BUILTIN_USERS],
		...extra,
	};
}

function refusal(call: () => void): { kind?: string; message: string; operation?: string } | undefined {
	try {
		call();
		return undefined;
	} catch (error) {
		return error as { kind: string; message: string; operation: string };
	}
}

describe('SIDs', () => {
	it('binary SIDs as Samba sends them (objectSid, tokenGroups) read as S-1-… text', () => {
		// Administrator and BUILTIN\Administrators of the test DC; ldbsearch prints the same text
		expect(sidToString(Buffer.from('AQUAAAAAAAUVAAAA442u/3vtxk0VlL8t9AEAAA==', 'base64'))).toBe(`${DOMAIN}-500`);
		expect(sidToString(Buffer.from('AQIAAAAAAAUgAAAAIAIAAA==', 'base64'))).toBe('S-1-5-32-544');
		expect(sidToString(Buffer.alloc(0))).toBeNull();
		expect(sidToString(Buffer.from('AgIAAAAAAAUgAAAAIAIAAA==', 'base64'))).toBeNull(); // revision 2
		expect(sidToString(Buffer.from('AQMAAAAAAAUgAAAAIAIAAA==', 'base64'))).toBeNull(); // 3 sub-authorities announced, 2 present
	});

	it('domainRid: the last sub-authority of a domain account SID only', () => {
		expect(domainRid(`${DOMAIN}-500`)).toBe(500);
		expect(domainRid('s-1-5-21-1-2-3-512')).toBe(512);
		expect(domainRid('S-1-5-32-544')).toBeNull();
		expect(domainRid('S-1-5-21-1-2-500')).toBeNull();
		expect(domainRid('S-1-5-18')).toBeNull();
	});
});

describe('assertWritable', () => {
	const op = 'ad.reset_password';

	it('an ordinary account passes', () => {
		expect(refusal(() => assertWritable(op, facts(), {}))).toBeUndefined();
	});

	it('the built-in administrator by RID 500, whatever its name', () => {
		for (const sam of ['Administrator', 'Administrateur', 'it.root']) {
			expect(refusal(() => assertWritable(op, facts({ sam, objectSid: `${DOMAIN}-500` }), {}))).toEqual(
				expect.objectContaining({
					kind: 'bad_request',
					operation: op,
					message: `ad.reset_password refused: "${sam}" is a protected account (built-in administrator, RID 500); ${NEVER}`,
				}),
			);
		}
		// and the name alone protects nothing: an ordinary account that is called Administrator
		expect(refusal(() => assertWritable(op, facts({ sam: 'Administrator' }), {}))).toBeUndefined();
	});

	it('krbtgt by RID 502', () => {
		expect(refusal(() => assertWritable('ad.disable_account', facts({ sam: 'krbtgt', objectSid: `${DOMAIN}-502` }), {}))?.message).toBe(
			`ad.disable_account refused: "krbtgt" is a protected account (krbtgt, the domain's Kerberos key account, RID 502); ${NEVER}`,
		);
	});

	it.each([
		[`${DOMAIN}-512`, 'Domain Admins (RID 512)'],
		[`${ROOT}-518`, 'Schema Admins (RID 518)'],
		[`${ROOT}-519`, 'Enterprise Admins (RID 519)'],
		['S-1-5-32-544', 'Administrators (S-1-5-32-544)'],
		['S-1-5-32-548', 'Account Operators (S-1-5-32-548)'],
		['S-1-5-32-549', 'Server Operators (S-1-5-32-549)'],
		['S-1-5-32-550', 'Print Operators (S-1-5-32-550)'],
		['S-1-5-32-551', 'Backup Operators (S-1-5-32-551)'],
	])('a member of %s (any nesting: it is in tokenGroups) is refused, named %s', (sid, named) => {
		expect(refusal(() => assertWritable(op, facts({ groupSids: [USERS, sid, BUILTIN_USERS] }), {}))?.message).toBe(
			`ad.reset_password refused: "m.dubois" is a protected account (member of a privileged group, directly or through nested groups: ${named}); ${NEVER}`,
		);
	});

	it('several privileged groups are all named, in a fixed order whatever the token order', () => {
		const message = refusal(() => assertWritable(op, facts({ groupSids: ['S-1-5-32-544', `${DOMAIN}-1120`, `${DOMAIN}-512`, USERS] }), {}))?.message;
		expect(message).toBe(
			`ad.reset_password refused: "m.dubois" is a protected account (member of privileged groups, directly or through nested groups: Domain Admins (RID 512), Administrators (S-1-5-32-544)); ${NEVER}`,
		);
	});

	it('groups that only look privileged by RID in the BUILTIN domain, or by name, are not', () => {
		// S-1-5-32-512 does not exist as Domain Admins; a RID of 1512 is an ordinary group
		expect(refusal(() => assertWritable(op, facts({ groupSids: [USERS, 'S-1-5-32-512', `${DOMAIN}-1512`, 'S-1-5-32-5440'] }), {}))).toBeUndefined();
	});

	it('adminCount=1 (present or former member of a protected group)', () => {
		expect(refusal(() => assertWritable(op, facts({ adminCount: 1 }), {}))?.message).toBe(
			`ad.reset_password refused: "m.dubois" is a protected account (adminCount=1: Active Directory protects it as a present or former member of a privileged group); ${NEVER}`,
		);
		expect(refusal(() => assertWritable(op, facts({ adminCount: 0 }), {}))).toBeUndefined();
	});

	it('facts that could not be read refuse: no objectSid, or an empty tokenGroups', () => {
		expect(refusal(() => assertWritable(op, facts({ objectSid: null }), {}))?.message).toBe(
			`ad.reset_password refused: the objectSid of "m.dubois" could not be read, so it cannot be shown not to be a privileged account (check the service account's read rights)`,
		);
		expect(refusal(() => assertWritable(op, facts({ objectSid: 'S-1-5-32-544' }), {}))?.message).toContain('the objectSid of "m.dubois" could not be read');
		expect(refusal(() => assertWritable(op, facts({ groupSids: [] }), {}))?.message).toBe(
			`ad.reset_password refused: the group memberships (tokenGroups) of "m.dubois" could not be read, so it cannot be shown not to be a privileged account (check the service account's read rights)`,
		);
	});

	it('the deny list, case-insensitive, by the directory name or the requested one', () => {
		const message = `ad.reset_password refused: "m.dubois" is a protected account (listed in Protected Accounts of the Active Directory credential); ${NEVER}`;
		expect(refusal(() => assertWritable(op, facts(), { protectedAccounts: ['svc-backup', 'M.Dubois'] }))?.message).toBe(message);
		expect(refusal(() => assertWritable(op, facts(), { protectedAccounts: ['M.DUBOIS '] }, 'M.Dubois'))?.message).toBe(message);
		expect(refusal(() => assertWritable(op, facts(), { protectedAccounts: ['m.duboi', 'dubois'] }))).toBeUndefined();
	});

	it('the OU allow-list: only accounts under one of the OUs; empty means no restriction', () => {
		const tilleuls = 'OU=EHPAD Les Tilleuls,DC=widip,DC=test';
		const bellevue = 'OU=EHPAD Bellevue,DC=widip,DC=test';
		expect(refusal(() => assertWritable(op, facts(), { allowedOus: [bellevue, tilleuls] }))).toBeUndefined();
		expect(refusal(() => assertWritable(op, facts(), { allowedOus: [] }))).toBeUndefined();
		expect(refusal(() => assertWritable(op, facts(), { allowedOus: [bellevue] }))?.message).toBe(
			`ad.reset_password refused: "m.dubois" (CN=Marie Dubois,OU=Soignants,OU=EHPAD Les Tilleuls,DC=widip,DC=test) is outside the OUs this credential may change (Allowed OUs: ${bellevue})`,
		);
	});

	it('privilege is reported before the deny list and the OU allow-list', () => {
		const message = refusal(() => assertWritable(op, facts({ adminCount: 1 }), { protectedAccounts: ['m.dubois'], allowedOus: ['OU=Elsewhere,DC=widip,DC=test'] }))?.message;
		expect(message).toContain('adminCount=1');
	});
});

describe('OU scope', () => {
	const base = 'OU=EHPAD Les Tilleuls,DC=widip,DC=test';

	it('isWithinDn compares RDN by RDN: case, spaces and escapes do not matter', () => {
		expect(isWithinDn('CN=Marie Dubois,OU=Soignants,OU=EHPAD Les Tilleuls,DC=widip,DC=test', base)).toBe(true);
		expect(isWithinDn(base, base)).toBe(true);
		expect(isWithinDn('cn=x, ou=ehpad les tilleuls , dc=WIDIP,dc=TEST', base)).toBe(true);
		expect(isWithinDn('CN=x,OU=EHPAD Les Tilleuls,DC=widip,DC=test', 'OU=EHPAD Les Tilleuls,DC=widip,DC=test')).toBe(true);
		expect(isWithinDn('CN=Dubois\\, Marie,OU=A\\2CB,DC=widip,DC=test', 'OU=A\\,B,DC=widip,DC=test')).toBe(true);
	});

	it('isWithinDn is not a string suffix test', () => {
		// "…Tilleuls Annexe" ends differently; an escaped comma keeps "OU=B\,OU=A" one RDN
		expect(isWithinDn('CN=x,OU=EHPAD Les Tilleuls Annexe,DC=widip,DC=test', base)).toBe(false);
		expect(isWithinDn('CN=x,OU=Evil\\,OU=EHPAD Les Tilleuls,DC=widip,DC=test', base)).toBe(false);
		expect(isWithinDn('CN=x,OU=EHPAD Les Tilleuls,DC=widip,DC=test,DC=evil', base)).toBe(false);
		expect(isWithinDn('DC=widip,DC=test', base)).toBe(false);
		expect(isWithinDn('CN=x,DC=widip,DC=test', '')).toBe(false);
	});

	it('assertTargetOu and assertCreatable: reserved and denied names, OUs outside the list', () => {
		const settings = { protectedAccounts: ['svc-sql'], allowedOus: [base] };
		expect(refusal(() => assertTargetOu('ad.move_to_ou', `OU=Soignants,${base}`, settings))).toBeUndefined();
		expect(refusal(() => assertTargetOu('ad.move_to_ou', 'OU=Partis,DC=widip,DC=test', settings))?.message).toBe(
			`ad.move_to_ou refused: the target OU OU=Partis,DC=widip,DC=test is outside the OUs this credential may change (Allowed OUs: ${base})`,
		);
		expect(refusal(() => assertCreatable('ad.create_user', 'n.roux', base, settings))).toBeUndefined();
		expect(refusal(() => assertCreatable('ad.create_user', 'KrbTgt', base, settings))?.message).toBe(
			`ad.create_user refused: "KrbTgt" is the name of a built-in account; ${NEVER}`,
		);
		expect(refusal(() => assertCreatable('ad.create_user', 'administrator', base, {}))?.message).toContain('is the name of a built-in account');
		expect(refusal(() => assertCreatable('ad.create_user', 'SVC-SQL', base, settings))?.message).toBe(
			`ad.create_user refused: "SVC-SQL" is a protected account name (listed in Protected Accounts of the Active Directory credential); ${NEVER}`,
		);
		expect(refusal(() => assertCreatable('ad.create_user', 'n.roux', 'OU=Partis,DC=widip,DC=test', settings))?.message).toContain(
			'the target OU OU=Partis,DC=widip,DC=test is outside the OUs this credential may change',
		);
	});
});

describe('credential text fields', () => {
	it('parseAccountList: commas, semicolons, spaces or lines', () => {
		expect(parseAccountList(' svc-sql, svc-backup;adm.widip\n  helpdesk\r\n\n')).toEqual(['svc-sql', 'svc-backup', 'adm.widip', 'helpdesk']);
		expect(parseAccountList('')).toEqual([]);
		expect(parseAccountList(undefined)).toEqual([]);
		// credential data written as a config (a list) is read too, never silently dropped
		expect(parseAccountList(['svc-sql', ' adm.widip '])).toEqual(['svc-sql', 'adm.widip']);
	});

	it('parseOuList: one DN per line or separated by an unescaped semicolon (DNs keep their commas)', () => {
		expect(parseOuList('OU=EHPAD Les Tilleuls,DC=widip,DC=test\r\n OU=EHPAD Bellevue,DC=widip,DC=test ;OU=A\\;B,DC=widip,DC=test\n')).toEqual([
			'OU=EHPAD Les Tilleuls,DC=widip,DC=test',
			'OU=EHPAD Bellevue,DC=widip,DC=test',
			'OU=A\\;B,DC=widip,DC=test',
		]);
		expect(parseOuList(42)).toEqual([]);
		expect(parseOuList(['OU=A,DC=widip,DC=test', 'OU=B,DC=widip,DC=test'])).toEqual(['OU=A,DC=widip,DC=test', 'OU=B,DC=widip,DC=test']);
	});
});
