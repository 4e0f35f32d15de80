/**
 * Protected accounts over LDAPS against the real Samba AD DC: every write refuses the built-in
 * Administrator, krbtgt, members (through a nested group) of each privileged group, a member by
 * primary group only, and adminCount=1 — and the directory shows nothing changed (attributes read
 * by Administrator's own connection; Administrator and the members still bind with their
 * passwords). The credential's deny list and OU allow-list are honoured; ordinary accounts work.
 */
import { Attribute, Change, type Client } from 'ldapts';

import type { AdClient } from '../../core/ad/client';
import type { LdapsConfig } from '../../core/ad/config';
import { createAdClient } from '../../core/ad/factory';
import { sidToString } from '../../core/ad/sid';
import { catalogue } from '../../core/catalogue';
import { captureLogger } from '../support/capture-logger';
import { adminClient, createOu, ensureDc, ldapsConfig, lookup, makeUser, removeTree, uniqueName, userBind, type SambaDc, type TestUser } from './support';
import { timed } from './ssh-support';

jest.setTimeout(180_000);

const NEVER = 'WIDIP automation never changes privileged accounts';
/** What a write could change: compared before and after each refused attempt. */
const STATE = ['distinguishedName', 'pwdLastSet', 'userAccountControl', 'lockoutTime', 'msDS-KeyVersionNumber', 'primaryGroupID'];

/** The privileged groups, found by SID (names are localised). */
const PRIVILEGED: Array<[string, (domainSid: string) => string, string]> = [
	['Domain Admins', (d) => `${d}-512`, 'Domain Admins (RID 512)'],
	['Schema Admins', (d) => `${d}-518`, 'Schema Admins (RID 518)'],
	['Enterprise Admins', (d) => `${d}-519`, 'Enterprise Admins (RID 519)'],
	['Administrators', () => 'S-1-5-32-544', 'Administrators (S-1-5-32-544)'],
	['Account Operators', () => 'S-1-5-32-548', 'Account Operators (S-1-5-32-548)'],
	['Server Operators', () => 'S-1-5-32-549', 'Server Operators (S-1-5-32-549)'],
	['Print Operators', () => 'S-1-5-32-550', 'Print Operators (S-1-5-32-550)'],
	['Backup Operators', () => 'S-1-5-32-551', 'Backup Operators (S-1-5-32-551)'],
];

describe('protected accounts over LDAPS against a real Samba AD DC', () => {
	let dc: SambaDc;
	let admin: Client;
	let ou: string;
	let ad: AdClient;
	let domainSid: string;
	/** DN of each privileged group, by SID. */
	const groupDn = new Map<string, string>();
	/** One member per privileged group, through a nested group of its own. */
	const nested = new Map<string, TestUser>();
	const logger = captureLogger();
	const clients: AdClient[] = [];
	const client = (extra: Partial<LdapsConfig> = {}) => {
		const made = createAdClient(ldapsConfig(dc, extra), { logger });
		clients.push(made);
		return made;
	};
	const run = (on: AdClient, id: string, args: object) => catalogue.run(id, args, { ad: on }) as Promise<Record<string, any>>;
	const addMember = (group: string, member: string) => admin.modify(group, new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [member] }) }));
	const state = async (sam: string) => lookup(admin, dc, sam, STATE);

	/** A group of the test OU, nested in `parent`, with `user` as its member. */
	async function nestIn(parent: string, user: TestUser): Promise<void> {
		const group = `CN=${uniqueName('g-')},${ou}`;
		await admin.add(group, { objectClass: ['top', 'group'], sAMAccountName: uniqueName('g') });
		await addMember(group, user.dn);
		await addMember(parent, group);
	}

	beforeAll(async () => {
		dc = await ensureDc();
		admin = await adminClient(dc);
		ou = await createOu(admin, dc.baseDn);
		ad = client();
		const domain = await admin.search(dc.baseDn, { scope: 'base', attributes: ['objectSid'], explicitBufferAttributes: ['objectSid'] });
		domainSid = sidToString(domain.searchEntries[0].objectSid as Buffer) ?? '';
		const groups = await admin.search(dc.baseDn, { scope: 'sub', filter: '(objectClass=group)', attributes: ['objectSid'], explicitBufferAttributes: ['objectSid'] });
		for (const entry of groups.searchEntries) groupDn.set(sidToString(entry.objectSid as Buffer) ?? '', entry.dn);
		for (const [name, sidOf] of PRIVILEGED) {
			const parent = groupDn.get(sidOf(domainSid));
			if (!parent) throw new Error(`no group with the SID of ${name} (${sidOf(domainSid)}) in the test DC`);
			const user = await makeUser(admin, dc, ou);
			await nestIn(parent, user);
			nested.set(name, user);
		}
	}, 300_000);

	afterAll(async () => {
		for (const made of clients) await made.close();
		if (admin) {
			// deleting the test's users and groups also takes them out of the privileged groups
			if (ou) await removeTree(admin, ou);
			await admin.unbind();
		}
	});

	/** Every write of the catalogue on one account; each must be refused with `why`, changing nothing. */
	async function expectEveryWriteRefused(sam: string, why: string, on = ad): Promise<void> {
		const target = await createOu(admin, ou, uniqueName('target-'));
		const before = await state(sam);
		expect(before).not.toBeNull();
		const attempts: Array<[string, object]> = [
			['ad.reset_password', { delivery: 'return', mustChangeAtNextLogon: false }],
			['ad.unlock_account', {}],
			['ad.disable_account', {}],
			['ad.enable_account', {}],
			['ad.move_to_ou', { targetOu: target }],
			['ad.delete_user', {}],
		];
		for (const [id, extra] of attempts) {
			const { error, result } = await timed(run(on, id, { sAMAccountName: sam, ...extra }));
			expect(result).toBeUndefined();
			expect(error).toMatchObject({ kind: 'bad_request', service: 'ad', operation: id });
			expect(error?.message).toBe(`${id} refused: "${sam}" is a protected account (${why}); ${NEVER}`);
			expect(await state(sam)).toEqual(before);
		}
	}

	it('the built-in Administrator (found by RID 500): every write refused; it still binds with its password', async () => {
		await expectEveryWriteRefused('Administrator', 'built-in administrator, RID 500');
		expect(await userBind(dc, dc.adminUpn, dc.adminPassword)).toBe('ok');
	});

	it('krbtgt (RID 502): every write refused; its keys were not changed (same key version, pwdLastSet)', async () => {
		await expectEveryWriteRefused('krbtgt', "krbtgt, the domain's Kerberos key account, RID 502");
	});

	it('a member of Domain Admins through a nested group: every write refused; still binds with its password', async () => {
		const user = nested.get('Domain Admins')!;
		// nothing in its own memberOf says Domain Admins: only the nesting does
		expect(JSON.stringify((await lookup(admin, dc, user.sam, ['memberOf']))?.memberOf)).not.toContain('Domain Admins');
		await expectEveryWriteRefused(
			user.sam,
			'member of privileged groups, directly or through nested groups: Domain Admins (RID 512), Administrators (S-1-5-32-544)',
		);
		expect(await userBind(dc, user.upn, user.password)).toBe('ok');
	});

	it.each(PRIVILEGED.filter(([name]) => name !== 'Domain Admins'))('a member of %s through a nested group is refused', async (name, _sid, named) => {
		const user = nested.get(name)!;
		const { error } = await timed(run(ad, 'ad.reset_password', { sAMAccountName: user.sam, delivery: 'return' }));
		expect(error?.message).toMatch(/^ad\.reset_password refused: ".+" is a protected account \(member of (a privileged group|privileged groups), directly or through nested groups: /);
		expect(error?.message).toContain(named);
		expect(await userBind(dc, user.upn, user.password)).toBe('ok');
	});

	it('a Domain Admin by primary group only (primaryGroupID 512, no member link) is refused: tokenGroups has it', async () => {
		const user = await makeUser(admin, dc, ou);
		const domainAdmins = groupDn.get(`${domainSid}-512`)!;
		await addMember(domainAdmins, user.dn);
		await admin.modify(user.dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'primaryGroupID', values: ['512'] }) }));
		const entry = await lookup(admin, dc, user.sam, ['primaryGroupID', 'memberOf']);
		expect(entry?.primaryGroupID).toBe('512');
		// the DC moved the membership into primaryGroupID: memberOf no longer names Domain Admins
		expect(JSON.stringify(entry?.memberOf)).not.toContain(domainAdmins);
		const { error } = await timed(run(ad, 'ad.disable_account', { sAMAccountName: user.sam }));
		expect(error?.message).toContain('Domain Admins (RID 512)');
		expect(await userBind(dc, user.upn, user.password)).toBe('ok');
	});

	it('adminCount=1 (a former administrator): every write refused', async () => {
		const user = await makeUser(admin, dc, ou);
		await admin.modify(user.dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'adminCount', values: ['1'] }) }));
		await expectEveryWriteRefused(user.sam, 'adminCount=1: Active Directory protects it as a present or former member of a privileged group');
		expect(await userBind(dc, user.upn, user.password)).toBe('ok');
	});

	it('reads stay allowed on protected accounts', async () => {
		expect(await run(ad, 'ad.check_user', { sAMAccountName: 'Administrator' })).toMatchObject({ exists: true, enabled: true });
		expect(await run(ad, 'ad.get_user_info', { sAMAccountName: nested.get('Domain Admins')!.sam })).toMatchObject({ exists: true });
	});

	it('deny list: a listed account (any case) refused for every write, its password unchanged; the name cannot be taken by a new account', async () => {
		const user = await makeUser(admin, dc, ou);
		const denying = client({ protectedAccounts: ['svc-sql', user.sam.toUpperCase()] });
		await expectEveryWriteRefused(user.sam, 'listed in Protected Accounts of the Active Directory credential', denying);
		expect(await userBind(dc, user.upn, user.password)).toBe('ok');
		const { error } = await timed(run(denying, 'ad.create_user', { sAMAccountName: 'svc-sql', givenName: 'S', surname: 'Q', ouDn: ou, delivery: 'return' }));
		expect(error?.message).toBe(`ad.create_user refused: "svc-sql" is a protected account name (listed in Protected Accounts of the Active Directory credential); ${NEVER}`);
		expect(await lookup(admin, dc, 'svc-sql')).toBeNull();
	});

	it('OU allow-list: accounts and target OUs outside are refused; inside, reset / move / create work', async () => {
		const allowed = await createOu(admin, ou, uniqueName('allowed-'));
		const other = await createOu(admin, ou, uniqueName('other-'));
		const insideUser = await makeUser(admin, dc, allowed);
		const outsideUser = await makeUser(admin, dc, other);
		// typed in another case than the directory's
		const scoped = client({ allowedOus: [allowed.toLowerCase()] });

		const refused = await timed(run(scoped, 'ad.reset_password', { sAMAccountName: outsideUser.sam, delivery: 'return' }));
		expect(refused.error?.message).toBe(
			`ad.reset_password refused: "${outsideUser.sam}" (${outsideUser.dn}) is outside the OUs this credential may change (Allowed OUs: ${allowed.toLowerCase()})`,
		);
		expect(await userBind(dc, outsideUser.upn, outsideUser.password)).toBe('ok');
		const moveOut = await timed(run(scoped, 'ad.move_to_ou', { sAMAccountName: insideUser.sam, targetOu: other }));
		expect(moveOut.error?.message).toBe(`ad.move_to_ou refused: the target OU ${other} is outside the OUs this credential may change (Allowed OUs: ${allowed.toLowerCase()})`);
		expect((await lookup(admin, dc, insideUser.sam, ['distinguishedName']))?.dn).toBe(insideUser.dn);
		const createOut = await timed(run(scoped, 'ad.create_user', { sAMAccountName: uniqueName(), givenName: 'A', surname: 'B', ouDn: other, delivery: 'return' }));
		expect(createOut.error?.message).toContain(`ad.create_user refused: the target OU ${other} is outside`);

		const reset = await run(scoped, 'ad.reset_password', { sAMAccountName: insideUser.sam, delivery: 'return', mustChangeAtNextLogon: false });
		expect(await userBind(dc, insideUser.upn, reset.password.password)).toBe('ok');
		const sub = await createOu(admin, allowed, 'Cuisine');
		expect((await run(scoped, 'ad.move_to_ou', { sAMAccountName: insideUser.sam, targetOu: sub })).distinguishedName).toBe(`CN=Test ${insideUser.sam},${sub}`);
		const sam = uniqueName();
		expect((await run(scoped, 'ad.create_user', { sAMAccountName: sam, givenName: 'Nina', surname: 'Roux', ouDn: sub, delivery: 'return' })).distinguishedName).toBe(`CN=Nina Roux,${sub}`);
		await run(scoped, 'ad.delete_user', { sAMAccountName: sam });
		expect(await lookup(admin, dc, sam)).toBeNull();
	});

	it('an ordinary account, with both settings in force: reset, unlock and disable succeed', async () => {
		const user = await makeUser(admin, dc, ou);
		const configured = client({ protectedAccounts: ['svc-sql'], allowedOus: [ou] });
		const reset = await run(configured, 'ad.reset_password', { sAMAccountName: user.sam, delivery: 'return', mustChangeAtNextLogon: false });
		expect(await userBind(dc, user.upn, reset.password.password)).toBe('ok');
		expect(await userBind(dc, user.upn, user.password)).toBe('52e');
		for (let i = 0; i < 3; i++) await userBind(dc, user.upn, `Wrong-${i}-password!`);
		expect(await userBind(dc, user.upn, reset.password.password)).toBe('775');
		await run(configured, 'ad.unlock_account', { sAMAccountName: user.sam });
		expect(await userBind(dc, user.upn, reset.password.password)).toBe('ok');
		await run(configured, 'ad.disable_account', { sAMAccountName: user.sam });
		expect(await userBind(dc, user.upn, reset.password.password)).toBe('533');
	});
});
