/**
 * Protected accounts through the SSH backend, against a real sshd whose PowerShell stand-in answers
 * from a directory with SIDs, adminCount and nested tokenGroups (stand-in-directory.ts): every
 * write first runs account_facts; a protected account is refused with protected.ts's message and
 * no write script ever runs; reads stay allowed; the deny list and OU allow-list hold; a write acts
 * only on the object that was checked.
 */
import { AdClient } from '../../core/ad/client';
import { SshBackend } from '../../core/ad/ssh-backend';
import type { SshOperation } from '../../core/ad/ssh-scripts';
import { catalogue } from '../../core/catalogue';
import { captureLogger } from '../support/capture-logger';
import { startSshServer, type SshTestServer } from './ssh-server';
import { expectCheckedWrite, expectExchange, timed } from './ssh-support';

jest.setTimeout(120_000);

const PASSWORD = 'Tilleuls-Protege-42$kX';
const NEVER = 'WIDIP automation never changes privileged accounts';
const TILLEULS = 'OU=EHPAD Les Tilleuls,DC=widip,DC=test';

/** Every write to an existing account, as [operation id, script, call]. */
function writes(backend: SshBackend, sam: string): Array<[string, SshOperation, () => Promise<unknown>]> {
	return [
		['ad.reset_password', 'reset_password', () => backend.resetPassword(sam, PASSWORD, true)],
		['ad.unlock_account', 'unlock_account', () => backend.unlock(sam)],
		['ad.enable_account', 'enable_account', () => backend.setEnabled(sam, true)],
		['ad.disable_account', 'disable_account', () => backend.setEnabled(sam, false)],
		['ad.move_to_ou', 'move_to_ou', () => backend.moveToOu(sam, `OU=Partis,DC=widip,DC=test`)],
		['ad.delete_user', 'delete_user', () => backend.deleteUser(sam)],
	];
}

/** Only account_facts ran (once per attempt): no write script was ever started. */
function expectOnlyFacts(server: SshTestServer, sam: string, attempts: number): void {
	const ops = server.calls().map((call) => JSON.parse(call.stdin.toString('utf8')) as { op: string; sam: string });
	expect(ops).toEqual(Array.from({ length: attempts }, () => ({ op: 'account_facts', sam })));
}

describe('SSH backend: protected accounts are never written', () => {
	let server: SshTestServer;
	let backend: SshBackend;
	const logger = captureLogger();

	beforeAll(async () => {
		server = await startSshServer();
		backend = new SshBackend(server.config(), logger);
	}, 600_000);
	beforeEach(() => {
		server.clearLogs();
		server.setScenario({ mode: 'normal' });
	});
	afterAll(async () => {
		await backend?.close();
		await server?.stop();
		expect(logger.lines.join('\n')).not.toContain(PASSWORD);
	});

	it.each([
		['Administrator', 'built-in administrator, RID 500'],
		['krbtgt', "krbtgt, the domain's Kerberos key account, RID 502"],
		// only through "Tier0 Helpdesk", a group nested in Domain Admins (itself in BUILTIN\Administrators)
		['adm.widip', 'member of privileged groups, directly or through nested groups: Domain Admins (RID 512), Administrators (S-1-5-32-544)'],
		['b.sauvegarde', 'member of a privileged group, directly or through nested groups: Backup Operators (S-1-5-32-551)'],
		['ex.admin', 'adminCount=1: Active Directory protects it as a present or former member of a privileged group'],
	])('%s: every write refused (%s), no write script run', async (sam, why) => {
		const attempts = writes(backend, sam);
		for (const [operation, , call] of attempts) {
			const { error } = await timed(call());
			expect(error).toMatchObject({ name: 'WidipError', kind: 'bad_request', service: 'ad', operation });
			expect(error?.message).toBe(`${operation} refused: "${sam}" is a protected account (${why}); ${NEVER}`);
			expect(error?.message).not.toContain(PASSWORD);
		}
		expectOnlyFacts(server, sam, attempts.length);
		const [command, call] = [server.commands()[0], server.calls()[0]];
		expectExchange(server, command, call, 'account_facts', { op: 'account_facts', sam });
	});

	it('reads stay allowed on protected accounts', async () => {
		await expect(backend.checkUser('Administrator')).resolves.toMatchObject({ exists: true, sAMAccountName: 'Administrator' });
		await expect(backend.getUserInfo('adm.widip')).resolves.toMatchObject({ groups: ['Tier0 Helpdesk'] });
		await expect(backend.checkUser('krbtgt')).resolves.toMatchObject({ enabled: false });
	});

	it('through the catalogue: the operation fails with the same message, the password never reached the server', async () => {
		const ad = new AdClient(backend, undefined, logger);
		const { error } = await timed(catalogue.run('ad.reset_password', { sAMAccountName: 'Administrator', delivery: 'return' }, { ad }));
		expect(error).toMatchObject({ kind: 'bad_request', operation: 'ad.reset_password' });
		expect(error?.message).toBe(`ad.reset_password refused: "Administrator" is a protected account (built-in administrator, RID 500); ${NEVER}`);
		expectOnlyFacts(server, 'Administrator', 1);
	});

	it('an ordinary account is still written: facts first, then the write with the checked objectGUID', async () => {
		await backend.resetPassword('m.dubois', PASSWORD, true);
		await backend.unlock('j.martin');
		await backend.setEnabled('m.dubois', false);
		expectCheckedWrite(server, 0, 'reset_password', { sam: 'm.dubois', password: PASSWORD, mustChange: true });
		expectCheckedWrite(server, 2, 'unlock_account', { sam: 'j.martin' });
		expectCheckedWrite(server, 4, 'disable_account', { sam: 'm.dubois' });
	});

	it('facts the service account cannot read refuse the write (fail closed)', async () => {
		server.setScenario({ mode: 'unreadable', attribute: 'tokenGroups' });
		const groups = await timed(backend.unlock('m.dubois'));
		expect(groups.error?.message).toBe(
			`ad.unlock_account refused: the group memberships (tokenGroups) of "m.dubois" could not be read, so it cannot be shown not to be a privileged account (check the service account's read rights)`,
		);
		server.setScenario({ mode: 'unreadable', attribute: 'objectSid' });
		const sid = await timed(backend.unlock('m.dubois'));
		expect(sid.error?.message).toContain('the objectSid of "m.dubois" could not be read');
		expectOnlyFacts(server, 'm.dubois', 2);
	});

	it('an account replaced between the check and the write: the write script refuses, nothing changed', async () => {
		server.setScenario({ mode: 'replaced' });
		const { error } = await timed(backend.resetPassword('m.dubois', PASSWORD, false));
		expect(error).toMatchObject({ kind: 'conflict', operation: 'ad.reset_password' });
		expect(error?.message).toBe(
			'Active Directory over SSH (ad.reset_password): refused: the account is not the one checked for protection just before (renamed or replaced in between); nothing was changed',
		);
		expect(error?.message).not.toContain(PASSWORD);
	});
});

describe('SSH backend: the credential deny list and OU allow-list', () => {
	let server: SshTestServer;
	const logger = captureLogger();

	beforeAll(async () => {
		server = await startSshServer();
	}, 600_000);
	beforeEach(() => {
		server.clearLogs();
		server.setScenario({ mode: 'normal' });
	});
	afterAll(async () => {
		await server?.stop();
	});

	it('deny list: a listed account (any case) is refused for every write; new accounts may not take a listed or built-in name', async () => {
		const backend = new SshBackend(server.config({ protectedAccounts: ['J.MARTIN', 'svc-sql'] }), logger);
		for (const [operation, , call] of writes(backend, 'j.martin')) {
			const { error } = await timed(call());
			expect(error?.message).toBe(`${operation} refused: "j.martin" is a protected account (listed in Protected Accounts of the Active Directory credential); ${NEVER}`);
		}
		expectOnlyFacts(server, 'j.martin', 6);
		server.clearLogs();
		const newUser = { givenName: 'S', surname: 'Q', ouDn: TILLEULS, password: PASSWORD, enabled: true, mustChangePassword: true };
		for (const sam of ['svc-sql', 'Administrator', 'krbtgt']) {
			const { error } = await timed(backend.createUser({ ...newUser, sAMAccountName: sam }));
			expect(error).toMatchObject({ kind: 'bad_request', operation: 'ad.create_user' });
			expect(error?.message).toMatch(new RegExp(`^ad\\.create_user refused: "${sam}" is (a protected account name|the name of a built-in account)`));
		}
		expect(server.calls()).toEqual([]);
		// everyone else: unchanged behaviour
		await expect(backend.unlock('m.dubois')).resolves.toBeUndefined();
	});

	it('OU allow-list: accounts outside are refused, moves and creations only into the listed OUs', async () => {
		// written as a person might type it: other case and spacing than the directory's DNs
		const backend = new SshBackend(server.config({ allowedOus: ['ou=ehpad les tilleuls, dc=widip, dc=test'] }), logger);
		const { error } = await timed(backend.resetPassword('j.martin', PASSWORD, true));
		expect(error?.message).toBe(
			'ad.reset_password refused: "j.martin" (CN=Jérôme Martin,OU=Administratif,OU=EHPAD Bellevue,DC=widip,DC=test) is outside the OUs this credential may change (Allowed OUs: ou=ehpad les tilleuls, dc=widip, dc=test)',
		);
		const out = await timed(backend.moveToOu('m.dubois', 'OU=Partis,DC=widip,DC=test'));
		expect(out.error?.message).toBe(
			'ad.move_to_ou refused: the target OU OU=Partis,DC=widip,DC=test is outside the OUs this credential may change (Allowed OUs: ou=ehpad les tilleuls, dc=widip, dc=test)',
		);
		const created = await timed(
			backend.createUser({ sAMAccountName: 'n.roux', givenName: 'Nina', surname: 'Roux', ouDn: 'OU=Partis,DC=widip,DC=test', password: PASSWORD, enabled: true, mustChangePassword: true }),
		);
		expect(created.error?.message).toContain('ad.create_user refused: the target OU OU=Partis,DC=widip,DC=test is outside');
		// two facts steps (j.martin, m.dubois), no write script, no create script
		expect(server.calls().map((call) => JSON.parse(call.stdin.toString('utf8')).op)).toEqual(['account_facts', 'account_facts']);

		server.clearLogs();
		const inside = `OU=Cuisine,${TILLEULS}`;
		await expect(backend.resetPassword('m.dubois', PASSWORD, true)).resolves.toBeUndefined();
		await expect(backend.moveToOu('m.dubois', inside)).resolves.toBe(`CN=Marie Dubois,${inside}`);
		await expect(
			backend.createUser({ sAMAccountName: 'n.roux', givenName: 'Nina', surname: 'Roux', ouDn: inside, password: PASSWORD, enabled: true, mustChangePassword: true }),
		).resolves.toBe(`CN=Nina Roux,${inside}`);
		expect(server.calls().map((call) => JSON.parse(call.stdin.toString('utf8')).op)).toEqual(['account_facts', 'reset_password', 'account_facts', 'move_to_ou', 'create_user']);
	});
});
