import type { Client } from 'ldapts';

import { createMySecretSimulator, type MySecretSimulator } from '../../sandbox/simulators/mysecret';
import { adminClient, createOu, ldapsConfig, makeUser, removeTree, reveal, uniqueName, userBind, type TestUser } from '../ad/support';
import { ensureDc, type SambaDc } from '../support/samba-dc';
import { loadWorkflow, N8nHarness, outputItems } from './harness';

/**
 * The Active Directory node of our packed package inside a real n8n 2.41.1
 * (`n8n-nodes-widip.activeDirectory`), over LDAPS against a real Samba AD DC, with the MySecret
 * simulator attached as the node's second credential for the one-time links.
 */
describe('Active Directory node in real n8n against a Samba AD DC', () => {
	const mySecretKey = 'mysecret-ad-e2e-key-7f3a1c';
	const wrongServicePassword = `Wrong-e2e-${uniqueName()}!`;
	let dc: SambaDc;
	let admin: Client;
	let ou: string;
	let user: TestUser;
	const unknown = uniqueName();
	let mySecret: MySecretSimulator;
	let harness: N8nHarness;

	beforeAll(async () => {
		dc = await ensureDc();
		admin = await adminClient(dc);
		ou = await createOu(admin, dc.baseDn);
		user = await makeUser(admin, dc, ou);
		mySecret = createMySecretSimulator({ apiKey: mySecretKey });
		const mySecretUrl = await mySecret.start();
		harness = await N8nHarness.create();
		const ad = (id: string, name: string, data: object) => ({
			id,
			name,
			type: 'widipActiveDirectoryApi',
			// by address, with the certificate's name given: the credential as a site would fill it
			data: { ...ldapsConfig(dc), ...data },
		});
		await harness.importCredentials([
			ad('widipE2eAdLdaps1', 'WIDIP Active Directory (e2e)', {}),
			ad('widipE2eAdBadPw1', 'WIDIP Active Directory wrong password (e2e)', { bindPassword: wrongServicePassword }),
			{ id: 'widipE2eAdMySec1', name: 'WIDIP MySecret (AD e2e)', type: 'widipMySecretApi', data: { url: mySecretUrl, apiKey: mySecretKey, timeoutMs: 5000 } },
		]);
		// the account names are this run's own: put into the workflow before import
		const checkReset = JSON.parse(JSON.stringify(loadWorkflow('ad-check-reset.json')).replaceAll('__E2E_SAM__', user.sam).replaceAll('__E2E_UNKNOWN__', unknown));
		await harness.importWorkflows([checkReset, loadWorkflow('ad-wrong-password.json')]);
	}, 40 * 60_000);

	afterAll(async () => {
		harness?.dispose();
		await mySecret?.stop();
		if (admin) {
			if (ou) await removeTree(admin, ou);
			await admin.unbind();
		}
	});

	it('checks the account, then resets its password: only a link comes out, it reveals a password that works, found nowhere in n8n output', async () => {
		const created = mySecret.createdCount;
		const result = await harness.execute('widipE2eAdCheckR');
		expect(result.error).toBeUndefined();
		expect(result.ok).toBe(true);

		expect(outputItems(result, 'Check User')).toEqual([
			{ exists: true, sAMAccountName: user.sam, displayName: `Test ${user.sam}`, distinguishedName: user.dn, enabled: true, locked: false },
		]);
		expect(outputItems(result, 'Check Unknown')).toEqual([{ exists: false, sAMAccountName: unknown }]);

		const [reset] = outputItems(result, 'Reset Password');
		expect(reset).toEqual({
			sAMAccountName: user.sam,
			mustChangeAtNextLogon: false,
			password: { delivery: 'link', url: expect.stringMatching(new RegExp(`^${mySecret.url}/s/`)), expiresAt: expect.any(String), viewsLeft: 2 },
		});
		expect(mySecret.createdCount - created).toBe(1);
		const url = (reset.password as { url: string }).url;
		// the grep below is meaningful: n8n's output does carry the node's run data
		expect(result.output).toContain(url);

		const password = await reveal(url);
		expect(password).toHaveLength(20);
		expect(result.output).not.toContain(password);
		expect(result.output).not.toContain(dc.adminPassword);
		expect(result.output).not.toContain(user.password);

		// the link's password is the account's password now; the old one is gone
		expect(await userBind(dc, user.upn, password)).toBe('ok');
		expect(await userBind(dc, user.upn, user.password)).toBe('52e');
		// second and last view, then the link is dead
		expect(await reveal(url)).toBe(password);
		expect((await fetch(url)).status).toBe(404);
	}, 180_000);

	it('a wrong service password fails the node with a clear message and the password nowhere', async () => {
		const result = await harness.execute('widipE2eAdWrongP');
		expect(result.ok).toBe(false);
		expect(result.error?.message).toBe(`ad.check_user: Active Directory refused the service account ${dc.adminUpn}: wrong password (AD code 52e)`);
		expect(result.error?.node?.name).toBe('Check User');
		expect(result.output).not.toContain(wrongServicePassword);
		expect(result.output).not.toContain(dc.adminPassword);
	}, 180_000);
});
