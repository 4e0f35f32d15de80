import type { Client } from 'ldapts';

import type { AdClient } from '../../core/ad/client';
import { createAdClient } from '../../core/ad/factory';
import { LdapBackend } from '../../core/ad/ldap-backend';
import { catalogue } from '../../core/catalogue';
import { captureLogger } from '../support/capture-logger';
import { adminClient, allAccountNames, createOu, ensureDc, ldapsConfig, lookup, makeUser, rejection, removeTree, userBind, type SambaDc, type TestUser } from './support';

/**
 * Hostile account names, at every layer. The catalogue (zod) and AdClient (sam.ts) refuse them with
 * a clear bad_request; the LDAPS backend, called directly so those checks are bypassed, treats them
 * as plain values (filter objects): they match no account, touch no account, and fail cleanly.
 */
const HOSTILE: Array<[string, string, 'no match' | 'refused']> = [
	['a lone star', '*', 'no match'],
	['a filter break-out', '*)(objectClass=*', 'no match'],
	['an OR injection', 'admin)(|(a=*', 'no match'],
	// Samba cuts a filter value at a NUL byte: sent as is, this one would find Administrator
	['a NUL byte after a real name', 'Administrator\u0000', 'refused'],
	['a NUL byte inside', 'a\u0000b', 'refused'],
	// LDAP matching ignores surrounding spaces: sent as is, this one would find Administrator
	['a trailing space after a real name', 'Administrator ', 'refused'],
	['a non-ASCII letter', 'é', 'no match'],
	['an emoji', '😀', 'no match'],
];

describe('LDAP injection: hostile account names against the real DC', () => {
	let dc: SambaDc;
	let admin: Client;
	let ou: string;
	let canary: TestUser;
	let ad: AdClient;
	let backend: LdapBackend;
	let accountsBefore: string[];
	const logger = captureLogger();

	beforeAll(async () => {
		dc = await ensureDc();
		admin = await adminClient(dc);
		ou = await createOu(admin, dc.baseDn);
		canary = await makeUser(admin, dc, ou, { title: 'canary' });
		ad = createAdClient(ldapsConfig(dc), { logger });
		backend = new LdapBackend(ldapsConfig(dc), logger);
		accountsBefore = await allAccountNames(admin, dc);
	}, 300_000);

	afterAll(async () => {
		await ad?.close();
		await backend?.close();
		if (admin) {
			if (ou) await removeTree(admin, ou);
			await admin.unbind();
		}
	});

	it('the inputs are dangerous: pasted into a string filter, the first two match every account; NUL and spaces find Administrator even as values', async () => {
		for (const input of ['*', '*)(objectClass=*']) {
			const { searchEntries } = await admin.search(dc.baseDn, {
				scope: 'sub',
				filter: `(&(objectCategory=person)(objectClass=user)(sAMAccountName=${input}))`,
				attributes: ['sAMAccountName'],
			});
			expect(searchEntries.length).toBeGreaterThan(1);
			expect(searchEntries.map((e) => e.sAMAccountName)).toContain(canary.sam);
		}
		// a NUL byte or a trailing space after a real name finds that account: the backend must refuse them
		for (const [, input, outcome] of HOSTILE) {
			expect((await lookup(admin, dc, input, ['1.1']))?.dn ?? null).toBe(outcome === 'refused' && input.startsWith('Administrator') ? `CN=Administrator,CN=Users,${dc.baseDn}` : null);
		}
	});

	describe.each(HOSTILE)('%s (%j)', (_label, input, outcome) => {
		it('the catalogue refuses it with a clear bad_request naming the rule', async () => {
			const calls: Array<[string, object]> = [
				['ad.check_user', {}],
				['ad.reset_password', { delivery: 'return' }],
				['ad.unlock_account', {}],
				['ad.move_to_ou', { targetOu: ou }],
				['ad.delete_user', {}],
			];
			for (const [id, extra] of calls) {
				const error = await rejection(catalogue.run(id, { sAMAccountName: input, ...extra }, { ad }));
				expect(error).toMatchObject({ kind: 'bad_request', operation: id });
				expect(error.message).toBe(`Invalid input for ${id}: sAMAccountName: use 1–20 letters, digits, . _ - (an AD sAMAccountName)`);
			}
		});

		it('AdClient refuses it too (second layer, sam.ts)', async () => {
			const error = await rejection(ad.checkUser(input));
			expect(error).toMatchObject({ kind: 'bad_request', message: 'ad.check_user: invalid account name: use 1–20 letters, digits, . _ - (not ending with .)' });
		});

		it(`the backend alone (no name check): ${outcome === 'refused' ? 'refuses it (bad_request) for every operation' : 'matches nothing: check_user null, reads and writes not_found'}`, async () => {
			if (outcome === 'refused') {
				await expect(backend.checkUser(input)).rejects.toMatchObject({ kind: 'bad_request', message: 'ad.check_user: invalid account name: control characters and leading or trailing spaces are not allowed' });
			} else {
				expect(await backend.checkUser(input)).toBeNull();
			}
			const calls: Array<[string, () => Promise<unknown>]> = [
				['ad.get_user_info', () => backend.getUserInfo(input)],
				['ad.reset_password', () => backend.resetPassword(input, 'Injected-Passw0rd!', false)],
				['ad.unlock_account', () => backend.unlock(input)],
				['ad.disable_account', () => backend.setEnabled(input, false)],
				['ad.enable_account', () => backend.setEnabled(input, true)],
				['ad.move_to_ou', () => backend.moveToOu(input, ou)],
				['ad.delete_user', () => backend.deleteUser(input)],
			];
			for (const [operation, call] of calls) {
				const error = await rejection(call());
				expect(error).toMatchObject(
					outcome === 'refused'
						? { kind: 'bad_request', operation, message: `${operation}: invalid account name: control characters and leading or trailing spaces are not allowed` }
						: { kind: 'not_found', operation, message: `${operation}: no Active Directory account named "${input}" under ${dc.baseDn}` },
				);
			}
		});

		it('nothing in the directory changed: same accounts, the canary and Administrator untouched', async () => {
			expect(await allAccountNames(admin, dc)).toEqual(accountsBefore);
			expect(await lookup(admin, dc, canary.sam, ['userAccountControl', 'distinguishedName'])).toMatchObject({ userAccountControl: '512', dn: canary.dn });
			expect(await userBind(dc, canary.upn, canary.password)).toBe('ok');
			expect(await userBind(dc, canary.upn, 'Injected-Passw0rd!')).toBe('52e');
			expect(await userBind(dc, dc.adminUpn, dc.adminPassword)).toBe('ok');
			expect((await backend.checkUser('Administrator'))?.enabled).toBe(true);
		});
	});

	it('non-ASCII names are sent intact (UTF-8): an account named with é is found exactly, and only it', async () => {
		const sam = `tést${canary.sam.slice(1, 8)}`;
		const user = await makeUser(admin, dc, ou, { sam });
		expect(await backend.checkUser(sam)).toMatchObject({ exists: true, sAMAccountName: sam, distinguishedName: user.dn });
		expect(await backend.checkUser(sam.replace('é', 'e'))).toBeNull();
	});

	it('the backend refuses an empty or absurdly long name as bad_request', async () => {
		for (const input of ['', 'x'.repeat(300)]) {
			await expect(backend.checkUser(input)).rejects.toMatchObject({ kind: 'bad_request', message: 'ad.check_user: invalid account name' });
		}
	});
});
