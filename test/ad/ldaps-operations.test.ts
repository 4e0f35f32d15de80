import type { Client } from 'ldapts';

import type { AdClient } from '../../core/ad/client';
import { createAdClient } from '../../core/ad/factory';
import { catalogue } from '../../core/catalogue';
import { MySecretClient } from '../../core/mysecret/client';
import { createMySecretSimulator, type MySecretSimulator } from '../../sandbox/simulators/mysecret';
import { captureLogger } from '../support/capture-logger';
import {
	adminClient,
	createOu,
	ensureDc,
	ldapsConfig,
	lookup,
	makeUser,
	rejection,
	removeTree,
	reveal,
	uniqueName,
	userBind,
	type SambaDc,
} from './support';

const API_KEY = 'mysecret-ad-ops-key-51d2';

/**
 * Every ad.* operation through the catalogue, with the LDAPS backend against a real Samba AD DC and
 * the MySecret simulator for links. What the operations claim is checked from outside: binds as the
 * user on connections of their own, and Administrator's own searches.
 */
describe('ad.* operations over LDAPS against a real Samba AD DC', () => {
	let dc: SambaDc;
	let admin: Client;
	let ou: string;
	let simulator: MySecretSimulator;
	let ad: AdClient;
	const logger = captureLogger();
	/** Every password a test generated or read back: none may appear in a log line. */
	const seenPasswords: string[] = [];
	const run = (id: string, args: object) => catalogue.run(id, args, { ad }) as Promise<Record<string, any>>;

	beforeAll(async () => {
		dc = await ensureDc();
		admin = await adminClient(dc);
		ou = await createOu(admin, dc.baseDn);
		simulator = createMySecretSimulator({ apiKey: API_KEY });
		await simulator.start();
		const mysecret = new MySecretClient({ baseUrl: simulator.url, apiKey: API_KEY, timeoutMs: 5000 }, logger);
		ad = createAdClient(ldapsConfig(dc), { mysecret, logger });
	}, 300_000);

	afterAll(async () => {
		await ad?.close();
		if (admin) {
			if (ou) await removeTree(admin, ou);
			await admin.unbind();
		}
		await simulator?.stop();
	});

	afterAll(() => {
		// no password a test produced ever reached a log line
		const log = logger.lines.join('\n');
		for (const password of seenPasswords) expect(log).not.toContain(password);
	});

	it('check_user: an existing enabled account, and {exists: false} for an unknown one', async () => {
		const user = await makeUser(admin, dc, ou, { cn: 'Dubois, Marie' });
		expect(await run('ad.check_user', { sAMAccountName: user.sam })).toEqual({
			exists: true,
			sAMAccountName: user.sam,
			displayName: 'Dubois, Marie',
			distinguishedName: `CN=Dubois\\, Marie,${ou}`,
			enabled: true,
			locked: false,
		});
		const unknown = uniqueName();
		expect(await run('ad.check_user', { sAMAccountName: unknown })).toEqual({ exists: false, sAMAccountName: unknown });
	});

	it('get_user_info: title, department, mail, groups (CN), password last set, last logon, lockout time', async () => {
		const user = await makeUser(admin, dc, ou, { title: 'Infirmière coordinatrice', department: 'EHPAD Bellevue', mail: 'm.dubois@bellevue.example' });
		const group = `CN=${uniqueName('Soignants-')},${ou}`;
		await admin.add(group, { objectClass: ['top', 'group'], sAMAccountName: uniqueName('g'), member: user.dn });

		const before = await run('ad.get_user_info', { sAMAccountName: user.sam });
		expect(before).toMatchObject({
			exists: true,
			sAMAccountName: user.sam,
			distinguishedName: user.dn,
			enabled: true,
			locked: false,
			title: 'Infirmière coordinatrice',
			department: 'EHPAD Bellevue',
			mail: 'm.dubois@bellevue.example',
			groups: [group.split(',')[0].slice(3)],
			lockoutTime: null,
			lastLogon: null,
		});
		const setAt = Date.parse(before.passwordLastSet);
		expect(Math.abs(setAt - Date.now())).toBeLessThan(120_000);

		const bindAt = Date.now();
		expect(await userBind(dc, user.upn, user.password)).toBe('ok');
		const after = await run('ad.get_user_info', { sAMAccountName: user.sam });
		expect(Math.abs(Date.parse(after.lastLogon) - bindAt)).toBeLessThan(60_000);
		// the output is exactly what the catalogue promises (no extra attribute leaks out)
		expect(Object.keys(after).sort()).toEqual(
			['department', 'displayName', 'distinguishedName', 'enabled', 'exists', 'groups', 'lastLogon', 'locked', 'lockoutTime', 'mail', 'passwordLastSet', 'sAMAccountName', 'title'].sort(),
		);
	});

	it('reset_password (default link delivery): only a link comes out; the revealed password binds, the old one no longer does', async () => {
		const user = await makeUser(admin, dc, ou);
		const output = await run('ad.reset_password', { sAMAccountName: user.sam, mustChangeAtNextLogon: false });
		expect(output).toEqual({
			sAMAccountName: user.sam,
			mustChangeAtNextLogon: false,
			password: { delivery: 'link', url: expect.stringMatching(new RegExp(`^${simulator.url}/s/`)), expiresAt: expect.any(String), viewsLeft: 5 },
		});
		const password = await reveal(output.password.url);
		seenPasswords.push(password, user.password);
		expect(password).toHaveLength(16);
		expect(JSON.stringify(output)).not.toContain(password);

		expect(await userBind(dc, user.upn, password)).toBe('ok');
		expect(await userBind(dc, user.dn, password)).toBe('ok');
		expect(await userBind(dc, user.upn, user.password)).toBe('52e');
		const info = await run('ad.get_user_info', { sAMAccountName: user.sam });
		expect(info.passwordLastSet).not.toBeNull();
	});

	it('reset_password with must-change (the default): the new password is right but must be changed (773); pwdLastSet is 0', async () => {
		const user = await makeUser(admin, dc, ou);
		const output = await run('ad.reset_password', { sAMAccountName: user.sam, length: 24, linkExpireAfterViews: 1 });
		expect(output.mustChangeAtNextLogon).toBe(true);
		expect(output.password.viewsLeft).toBe(1);
		const password = await reveal(output.password.url);
		seenPasswords.push(password);
		expect(password).toHaveLength(24);
		expect((await fetch(output.password.url)).status).toBe(404); // one view only

		expect(await userBind(dc, user.upn, password)).toBe('773');
		expect(await userBind(dc, user.upn, user.password)).toBe('52e');
		expect((await run('ad.get_user_info', { sAMAccountName: user.sam })).passwordLastSet).toBeNull();
		expect((await lookup(admin, dc, user.sam, ['pwdLastSet']))?.pwdLastSet).toBe('0');
	});

	it('reset_password returns the password itself only when asked (delivery "return"), and it works', async () => {
		const user = await makeUser(admin, dc, ou);
		const created = simulator.createdCount;
		const output = await run('ad.reset_password', { sAMAccountName: user.sam, mustChangeAtNextLogon: false, delivery: 'return' });
		expect(output.password).toEqual({ delivery: 'return', password: expect.any(String) });
		seenPasswords.push(output.password.password);
		expect(simulator.createdCount).toBe(created); // no link made
		expect(await userBind(dc, user.upn, output.password.password)).toBe('ok');
	});

	it('reset_password without a MySecret client refuses (link delivery needs one) and leaves the password as it was', async () => {
		const user = await makeUser(admin, dc, ou);
		const bare = createAdClient(ldapsConfig(dc), { logger });
		try {
			const error = await rejection(catalogue.run('ad.reset_password', { sAMAccountName: user.sam }, { ad: bare }));
			expect(error).toMatchObject({ kind: 'bad_request', message: 'ad.reset_password: delivering the password as a link needs a MySecret credential' });
		} finally {
			await bare.close();
		}
		expect(await userBind(dc, user.upn, user.password)).toBe('ok');
	});

	it('after 3 wrong passwords the account is locked (check_user, bind 775); unlock_account makes it usable again', async () => {
		const user = await makeUser(admin, dc, ou);
		seenPasswords.push(user.password);
		for (let i = 0; i < 3; i++) expect(await userBind(dc, user.upn, `Wrong-${i}-password!`)).toBe('52e');
		expect(await run('ad.check_user', { sAMAccountName: user.sam })).toMatchObject({ exists: true, locked: true, enabled: true });
		expect(await userBind(dc, user.upn, user.password)).toBe('775');
		const info = await run('ad.get_user_info', { sAMAccountName: user.sam });
		expect(Math.abs(Date.parse(info.lockoutTime) - Date.now())).toBeLessThan(60_000);
		// the DC's own computed flag agrees with ours (UF_LOCKOUT 0x10)
		expect(Number((await lookup(admin, dc, user.sam, ['msDS-User-Account-Control-Computed']))?.['msDS-User-Account-Control-Computed']) & 0x10).toBe(0x10);

		expect(await run('ad.unlock_account', { sAMAccountName: user.sam })).toEqual({ sAMAccountName: user.sam, message: `Account ${user.sam} unlocked` });
		expect(await run('ad.check_user', { sAMAccountName: user.sam })).toMatchObject({ locked: false });
		expect(await userBind(dc, user.upn, user.password)).toBe('ok');
		expect((await lookup(admin, dc, user.sam, ['badPwdCount']))?.badPwdCount).toBe('0');
		expect((await run('ad.get_user_info', { sAMAccountName: user.sam })).lockoutTime).toBeNull();
	});

	it('a lockout ends by itself after the lockout duration of the policy (here a PSO of 2 s): check_user follows lockoutTime + duration', async () => {
		const user = await makeUser(admin, dc, ou);
		const pso = `CN=${uniqueName('pso-lock-')},CN=Password Settings Container,CN=System,${dc.baseDn}`;
		await admin.add(pso, {
			objectClass: ['top', 'msDS-PasswordSettings'],
			'msDS-PasswordSettingsPrecedence': '20',
			'msDS-PasswordReversibleEncryptionEnabled': 'FALSE',
			'msDS-PasswordHistoryLength': '0',
			'msDS-PasswordComplexityEnabled': 'TRUE',
			'msDS-MinimumPasswordLength': '7',
			'msDS-MinimumPasswordAge': '0',
			'msDS-MaximumPasswordAge': '-9223372036854775808',
			'msDS-LockoutThreshold': '3',
			'msDS-LockoutObservationWindow': '-20000000', // 2 s
			'msDS-LockoutDuration': '-20000000', // 2 s
			'msDS-PSOAppliesTo': user.dn,
		});
		try {
			for (let i = 0; i < 3; i++) await userBind(dc, user.upn, `Wrong-${i}-password!`);
			expect(await run('ad.check_user', { sAMAccountName: user.sam })).toMatchObject({ locked: true });
			// a margin over 2 s: Samba clears its own computed flag up to ~0.8 s after the duration
			await new Promise((resolve) => setTimeout(resolve, 3500));
			// lockoutTime is still set (AD clears it at the next logon), yet the lockout is over
			expect(Number((await lookup(admin, dc, user.sam, ['lockoutTime']))?.lockoutTime)).toBeGreaterThan(0);
			expect(await run('ad.check_user', { sAMAccountName: user.sam })).toMatchObject({ locked: false });
			expect(Number((await lookup(admin, dc, user.sam, ['msDS-User-Account-Control-Computed']))?.['msDS-User-Account-Control-Computed']) & 0x10).toBe(0);
			expect(await userBind(dc, user.upn, user.password)).toBe('ok');
		} finally {
			await admin.del(pso);
		}
	});

	it('disable_account makes binds fail as disabled (533) and check_user says so; enable_account restores the account', async () => {
		const user = await makeUser(admin, dc, ou);
		expect(await run('ad.disable_account', { sAMAccountName: user.sam })).toEqual({ sAMAccountName: user.sam, message: `Account ${user.sam} disabled` });
		expect((await lookup(admin, dc, user.sam, ['userAccountControl']))?.userAccountControl).toBe('514');
		expect(await run('ad.check_user', { sAMAccountName: user.sam })).toMatchObject({ enabled: false, locked: false });
		expect(await userBind(dc, user.upn, user.password)).toBe('533');
		// disabling twice changes nothing and is not an error
		await run('ad.disable_account', { sAMAccountName: user.sam });
		expect((await lookup(admin, dc, user.sam, ['userAccountControl']))?.userAccountControl).toBe('514');

		expect(await run('ad.enable_account', { sAMAccountName: user.sam })).toEqual({ sAMAccountName: user.sam, message: `Account ${user.sam} enabled` });
		expect((await lookup(admin, dc, user.sam, ['userAccountControl']))?.userAccountControl).toBe('512');
		expect(await run('ad.check_user', { sAMAccountName: user.sam })).toMatchObject({ enabled: true });
		expect(await userBind(dc, user.upn, user.password)).toBe('ok');
	});

	it('move_to_ou moves the account (same RDN, new parent) and returns the new DN; a missing OU is not_found', async () => {
		const from = await createOu(admin, ou, 'EHPAD Bellevue');
		const to = await createOu(admin, ou, 'EHPAD Les Tilleuls');
		const user = await makeUser(admin, dc, from, { cn: 'Martin, Paul' });
		const output = await run('ad.move_to_ou', { sAMAccountName: user.sam, targetOu: to });
		expect(output).toEqual({ sAMAccountName: user.sam, distinguishedName: `CN=Martin\\, Paul,${to}` });
		expect((await lookup(admin, dc, user.sam, ['distinguishedName']))?.dn).toBe(`CN=Martin\\, Paul,${to}`);
		expect((await run('ad.check_user', { sAMAccountName: user.sam })).distinguishedName).toBe(`CN=Martin\\, Paul,${to}`);
		expect(await userBind(dc, user.upn, user.password)).toBe('ok');
		// moving where it already is returns the same DN
		expect((await run('ad.move_to_ou', { sAMAccountName: user.sam, targetOu: to })).distinguishedName).toBe(`CN=Martin\\, Paul,${to}`);

		const missing = `OU=${uniqueName('nowhere-')},${ou}`;
		const error = await rejection(run('ad.move_to_ou', { sAMAccountName: user.sam, targetOu: missing }));
		expect(error).toMatchObject({ kind: 'not_found', message: `ad.move_to_ou: the OU ${missing} does not exist in Active Directory` });
		expect((await lookup(admin, dc, user.sam, ['distinguishedName']))?.dn).toBe(`CN=Martin\\, Paul,${to}`);
	});

	it('create_user makes an enabled account in the OU with every attribute and a link to a working password; delete_user leaves no trace', async () => {
		const sam = uniqueName('n.');
		const output = await run('ad.create_user', {
			sAMAccountName: sam,
			givenName: 'Élodie',
			surname: 'Lefèvre',
			ouDn: ou,
			mail: `${sam}@bellevue.example`,
			title: 'Aide-soignante',
			department: 'EHPAD Bellevue',
		});
		expect(output).toEqual({
			sAMAccountName: sam,
			distinguishedName: `CN=Élodie Lefèvre,${ou}`,
			password: { delivery: 'link', url: expect.any(String), expiresAt: expect.any(String), viewsLeft: 5 },
		});
		const password = await reveal(output.password.url);
		seenPasswords.push(password);
		expect(JSON.stringify(output)).not.toContain(password);

		const entry = await lookup(admin, dc, sam);
		expect(entry).toMatchObject({
			dn: `CN=Élodie Lefèvre,${ou}`,
			sAMAccountName: sam,
			userPrincipalName: `${sam}@${dc.upnSuffix}`,
			givenName: 'Élodie',
			sn: 'Lefèvre',
			displayName: 'Élodie Lefèvre',
			mail: `${sam}@bellevue.example`,
			title: 'Aide-soignante',
			department: 'EHPAD Bellevue',
			userAccountControl: '512',
			pwdLastSet: '0', // must change at first logon (the default)
		});
		expect(await userBind(dc, `${sam}@${dc.upnSuffix}`, password)).toBe('773');
		expect(await run('ad.check_user', { sAMAccountName: sam })).toMatchObject({ exists: true, enabled: true, displayName: 'Élodie Lefèvre' });

		// the same name again is a conflict, and nothing changes
		const again = await rejection(run('ad.create_user', { sAMAccountName: sam, givenName: 'X', surname: 'Y', ouDn: ou }));
		expect(again).toMatchObject({ kind: 'conflict', message: expect.stringContaining(`an account named "${sam}" already exists`) });

		expect(await run('ad.delete_user', { sAMAccountName: sam })).toEqual({ sAMAccountName: sam, message: `Account ${sam} deleted` });
		expect(await lookup(admin, dc, sam)).toBeNull();
		const byDn = await admin.search(ou, { scope: 'sub', filter: '(objectClass=user)', attributes: ['sAMAccountName'] });
		expect(byDn.searchEntries.map((e) => e.sAMAccountName)).not.toContain(sam);
		expect(await run('ad.check_user', { sAMAccountName: sam })).toEqual({ exists: false, sAMAccountName: sam });
		expect(await userBind(dc, `${sam}@${dc.upnSuffix}`, password)).not.toBe('ok');
	});

	it('create_user disabled and without must-change: UAC 514, the password is set (binds say disabled, not wrong password)', async () => {
		const sam = uniqueName();
		const output = await run('ad.create_user', {
			sAMAccountName: sam,
			givenName: 'Paul',
			surname: 'Martin',
			ouDn: ou,
			enabled: false,
			mustChangeAtNextLogon: false,
			delivery: 'return',
		});
		seenPasswords.push(output.password.password);
		const entry = await lookup(admin, dc, sam, ['userAccountControl', 'pwdLastSet']);
		expect(entry?.userAccountControl).toBe('514');
		expect(entry?.pwdLastSet).not.toBe('0');
		expect(await userBind(dc, `${sam}@${dc.upnSuffix}`, output.password.password)).toBe('533');
		await run('ad.enable_account', { sAMAccountName: sam });
		expect(await userBind(dc, `${sam}@${dc.upnSuffix}`, output.password.password)).toBe('ok');
		await run('ad.delete_user', { sAMAccountName: sam });
		expect(await lookup(admin, dc, sam)).toBeNull();
	});

	it('a namesake in the same OU gets a CN made unique with the account name', async () => {
		const first = await run('ad.create_user', { sAMAccountName: uniqueName(), givenName: 'Jean', surname: 'Petit', ouDn: ou, delivery: 'return' });
		const sam = uniqueName();
		const second = await run('ad.create_user', { sAMAccountName: sam, givenName: 'Jean', surname: 'Petit', ouDn: ou, delivery: 'return' });
		seenPasswords.push(first.password.password, second.password.password);
		expect(first.distinguishedName).toBe(`CN=Jean Petit,${ou}`);
		expect(second.distinguishedName).toBe(`CN=Jean Petit (${sam}),${ou}`);
	});

	it('every write on an unknown account is not_found, naming the operation and the account', async () => {
		const nobody = uniqueName();
		const calls: Array<[string, object]> = [
			['ad.get_user_info', {}],
			['ad.reset_password', { delivery: 'return' }],
			['ad.unlock_account', {}],
			['ad.disable_account', {}],
			['ad.enable_account', {}],
			['ad.move_to_ou', { targetOu: ou }],
			['ad.delete_user', {}],
		];
		for (const [id, extra] of calls) {
			const error = await rejection(run(id, { sAMAccountName: nobody, ...extra }));
			expect(error).toMatchObject({ kind: 'not_found', service: 'ad', message: `${id}: no Active Directory account named "${nobody}" under ${dc.baseDn}` });
		}
	});

	it('the credential test (verify) binds the service account', async () => {
		await expect(ad.backend.verify()).resolves.toBeUndefined();
	});
});
