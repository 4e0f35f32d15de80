/**
 * Security properties of the SSH backend against a real sshd: the host key is pinned (any other
 * key: refused before logging in, nothing run), bad logins are refused, and hostile account names
 * are (a) refused by the allow-list before anything is sent and (b) when sent straight to the
 * backend, carried as inert data in the stdin JSON only, never on the command line. The remote
 * shell here is a real /bin/sh: a name it could interpret would create a marker file.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

import { AdClient } from '../../core/ad/client';
import { SshBackend } from '../../core/ad/ssh-backend';
import { catalogue } from '../../core/catalogue';
import { captureLogger } from '../support/capture-logger';
import { generateEd25519KeyPair } from './openssh-keys';
import {
	fingerprintOfPublicKey,
	sshKeygenFingerprint,
	startSshServer,
	type SshTestServer,
} from './ssh-server';
import { expectCheckedWrite, expectExchange, timed } from './ssh-support';

jest.setTimeout(120_000);

const PASSWORD = 'Bellevue-Reset-71#qZ';
const DELIVERY = {
	delivery: 'return' as const,
	length: 16,
	linkExpireAfterDays: 7,
	linkExpireAfterViews: 5,
};

/** Names that would mean something to sh, cmd.exe, PowerShell or an LDAP filter; markers prove sh never ran them. */
function hostileNames(markers: string): string[] {
	const m = (n: number) => path.join(markers, `pwned-${n}`);
	return [
		"o'brien",
		'say "hi"',
		`a;touch ${m(1)}`,
		`$(touch ${m(2)})`,
		`\`touch ${m(3)}\``,
		`a\ntouch ${m(4)}`,
		`a\r\ntouch ${m(5)}\r\n`,
		'*)(sAMAccountName=*',
		'admin*)(|(objectClass=*',
		`a&touch ${m(6)}`,
		`a|touch ${m(7)}`,
		`a && touch ${m(8)} || touch ${m(9)}`,
		"x'; Remove-ADUser -Identity Administrator -Confirm:$false; '",
		'$(Remove-ADUser -Identity Administrator)',
		'a" -Reset -NewPassword "x',
		'^&whoami %COMSPEC% !PATH!',
		'CN=Administrator,CN=Users,DC=widip,DC=test',
		'm.dubois\u0000',
		'ｍ.dubois\u2028é',
		`${'x'.repeat(300)};touch ${m(10)}`,
	];
}

describe('host key pinning and login', () => {
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

	it("the test server's fingerprint is the one `ssh-keygen -lf` prints", () => {
		expect(server.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
		expect(sshKeygenFingerprint(server.hostPublicKeyPath)).toBe(server.fingerprint);
	});

	it('the pinned key works, written with or without `SHA256:` and base64 padding', async () => {
		const bare = server.fingerprint.slice('SHA256:'.length);
		for (const pin of [server.fingerprint, bare, `${bare}=`]) {
			await expect(
				new SshBackend(server.config({ hostKeySha256: pin }), logger).verify(),
			).resolves.toBeUndefined();
		}
		expect(server.calls()).toHaveLength(3);
	});

	it('another fingerprint: every method refused with a clear auth error, nothing run, no login attempted', async () => {
		const other = fingerprintOfPublicKey(generateEd25519KeyPair().public);
		const backend = new SshBackend(server.config({ hostKeySha256: other }), logger);
		const sshdLogBefore = server.sshdLog().length;
		const calls: Array<[string, () => Promise<unknown>]> = [
			['ad.verify', () => backend.verify()],
			['ad.check_user', () => backend.checkUser('m.dubois')],
			['ad.get_user_info', () => backend.getUserInfo('m.dubois')],
			['ad.reset_password', () => backend.resetPassword('m.dubois', PASSWORD, true)],
			['ad.unlock_account', () => backend.unlock('m.dubois')],
			['ad.enable_account', () => backend.setEnabled('m.dubois', true)],
			['ad.disable_account', () => backend.setEnabled('m.dubois', false)],
			['ad.move_to_ou', () => backend.moveToOu('m.dubois', 'OU=Partis,DC=widip,DC=test')],
			[
				'ad.create_user',
				() =>
					backend.createUser({
						sAMAccountName: 'n.roux',
						givenName: 'Nina',
						surname: 'Roux',
						ouDn: 'OU=Partis,DC=widip,DC=test',
						password: PASSWORD,
						enabled: true,
						mustChangePassword: true,
					}),
			],
			['ad.delete_user', () => backend.deleteUser('m.dubois')],
		];
		for (const [operation, call] of calls) {
			const { error, elapsedMs } = await timed(call());
			expect(error).toMatchObject({ name: 'WidipError', kind: 'auth', service: 'ad', operation });
			expect(error?.message).toBe(
				`Active Directory over SSH (${operation}): the host key of 127.0.0.1:${server.port} does not match the pinned fingerprint (the server presented ${server.fingerprint}, expected ${other}); disconnected before logging in, nothing was run. If the server's key was changed on purpose, pin the new fingerprint (ssh-keygen -lf on the server's public host key).`,
			);
			expect(error?.message).not.toContain(PASSWORD);
			expect(elapsedMs).toBeLessThan(5000);
		}
		expect(server.commands()).toEqual([]);
		expect(server.calls()).toEqual([]);
		// sshd saw connections closed before authentication, and no accepted login.
		const sshdLog = server.sshdLog().slice(sshdLogBefore);
		expect(sshdLog).not.toMatch(/Accepted (publickey|password)/);
		expect(sshdLog).toMatch(/\[preauth\]/);
		expect(logger.lines.join('\n')).not.toContain(PASSWORD);
	});

	it('a client key the server does not know: auth error, nothing run', async () => {
		const stranger = generateEd25519KeyPair();
		const { error } = await timed(
			new SshBackend(server.config({ privateKey: stranger.private }), logger).checkUser('m.dubois'),
		);
		expect(error).toMatchObject({ kind: 'auth', operation: 'ad.check_user' });
		expect(error?.message).toBe(
			`Active Directory over SSH (ad.check_user): 127.0.0.1:${server.port} refused the login of "${server.username}" (check the SSH password or private key)`,
		);
		expect(server.calls()).toEqual([]);
	});

	it('a wrong SSH password: auth error that does not repeat it, nothing run', async () => {
		const sshPassword = 'not-the-root-password-5150';
		const { error } = await timed(
			new SshBackend(
				{ ...server.config(), privateKey: undefined, password: sshPassword },
				logger,
			).verify(),
		);
		expect(error).toMatchObject({ kind: 'auth' });
		expect(error?.message).not.toContain(sshPassword);
		expect(logger.lines.join('\n')).not.toContain(sshPassword);
		expect(server.calls()).toEqual([]);
	});

	it('an unreadable private key: bad_request, without the key in the message', async () => {
		const { error } = await timed(
			new SshBackend(server.config({ privateKey: 'not a key at all' }), logger).verify(),
		);
		expect(error).toMatchObject({ kind: 'bad_request' });
		expect(error?.message).toContain('unreadable private key');
		expect(error?.message).not.toContain('not a key at all');
		expect(server.commands()).toEqual([]);
	});
});

describe('hostile account names', () => {
	let server: SshTestServer;
	let backend: SshBackend;
	let ad: AdClient;
	let names: string[];
	let markers: string;
	const logger = captureLogger();

	beforeAll(async () => {
		server = await startSshServer();
		backend = new SshBackend(server.config(), logger);
		ad = new AdClient(backend, undefined, logger);
		markers = server.dir;
		names = hostileNames(markers);
	}, 600_000);
	beforeEach(() => {
		server.clearLogs();
		server.setScenario({ mode: 'normal' });
	});
	afterEach(() => {
		// Whatever happened, no shell ever ran a piece of a name.
		expect(readdirSync(markers).filter((file) => file.startsWith('pwned'))).toEqual([]);
	});
	afterAll(async () => {
		await server?.stop();
	});

	it('(a) through the catalogue: every operation refuses them before sending anything', async () => {
		for (const name of names) {
			const attempts: Array<[string, Record<string, unknown>]> = [
				['ad.check_user', { sAMAccountName: name }],
				['ad.get_user_info', { sAMAccountName: name }],
				['ad.reset_password', { sAMAccountName: name, delivery: 'return' }],
				['ad.unlock_account', { sAMAccountName: name }],
				['ad.enable_account', { sAMAccountName: name }],
				['ad.disable_account', { sAMAccountName: name }],
				['ad.move_to_ou', { sAMAccountName: name, targetOu: 'OU=Partis,DC=widip,DC=test' }],
				[
					'ad.create_user',
					{
						sAMAccountName: name,
						givenName: 'A',
						surname: 'B',
						ouDn: 'OU=Partis,DC=widip,DC=test',
						delivery: 'return',
					},
				],
				['ad.delete_user', { sAMAccountName: name }],
			];
			for (const [id, input] of attempts) {
				const { error } = await timed(catalogue.run(id, input, { ad }));
				expect(error).toMatchObject({ kind: 'bad_request', operation: id });
				expect(error?.message).toContain('sAMAccountName');
			}
		}
		expect(server.commands()).toEqual([]);
		expect(server.calls()).toEqual([]);
	});

	it('(a) through AdClient directly: its allow-list refuses them before the backend is called', async () => {
		for (const name of names) {
			const attempts: Array<() => Promise<unknown>> = [
				() => ad.checkUser(name),
				() => ad.getUserInfo(name),
				() => ad.resetPassword(name, true, DELIVERY),
				() => ad.unlock(name),
				() => ad.setEnabled(name, true),
				() => ad.setEnabled(name, false),
				() => ad.moveToOu(name, 'OU=Partis,DC=widip,DC=test'),
				() =>
					ad.createUser(
						{
							sAMAccountName: name,
							givenName: 'A',
							surname: 'B',
							ouDn: 'OU=Partis,DC=widip,DC=test',
							enabled: true,
							mustChangePassword: true,
						},
						DELIVERY,
					),
				() => ad.deleteUser(name),
			];
			for (const attempt of attempts) {
				const { error } = await timed(attempt());
				expect(error).toMatchObject({ kind: 'bad_request' });
				expect(error?.message).toContain('invalid account name');
			}
		}
		expect(server.commands()).toEqual([]);
		expect(server.calls()).toEqual([]);
	});

	it('(b) sent straight to SshBackend: each arrives byte for byte inside the stdin JSON, and nowhere on the command line', async () => {
		for (const name of names) {
			server.clearLogs();
			await expect(backend.checkUser(name)).resolves.toBeNull();
			const [command] = server.commands();
			const [call] = server.calls();
			expect(server.calls()).toHaveLength(1);
			const stdin = expectExchange(server, command, call, 'check_user', {
				op: 'check_user',
				sam: name,
			});
			expect(JSON.parse(call.stdin.toString('utf8')).sam).toBe(name);
			// Printable ASCII names appear verbatim inside the JSON string (only " and \ escaped).
			if (/^[\x20-\x7e]*$/.test(name)) expect(stdin).toContain(JSON.stringify(name));
			expect(command).not.toContain(name);
			for (const arg of call.argv) expect(arg).not.toContain(name);
		}
	});

	it('(b) the password, OU and new-user fields are inert data too, for writes', async () => {
		const ou = `OU=x$(touch ${path.join(markers, 'pwned-ou')});y,DC=widip,DC=test`;
		const evilPassword = `Aa1!'";$(touch ${path.join(markers, 'pwned-pw')})\`&|`;
		for (const name of names.slice(0, 8)) {
			server.clearLogs();
			// unknown accounts: the account_facts step carries the name, and nothing is written
			await expect(backend.resetPassword(name, evilPassword, true)).rejects.toMatchObject({
				kind: 'not_found',
			});
			await expect(backend.moveToOu(name, ou)).rejects.toMatchObject({ kind: 'not_found' });
			await backend.createUser({
				sAMAccountName: name,
				givenName: name,
				surname: name,
				displayName: name,
				ouDn: ou,
				mail: name,
				title: name,
				department: name,
				password: evilPassword,
				enabled: false,
				mustChangePassword: true,
			});
			const commands = server.commands();
			const calls = server.calls();
			expect(calls).toHaveLength(3);
			expectExchange(server, commands[0], calls[0], 'account_facts', { op: 'account_facts', sam: name });
			expectExchange(server, commands[1], calls[1], 'account_facts', { op: 'account_facts', sam: name });
			expectExchange(server, commands[2], calls[2], 'create_user', {
				op: 'create_user',
				sam: name,
				givenName: name,
				surname: name,
				displayName: name,
				mail: name,
				title: name,
				department: name,
				ou,
				password: evilPassword,
				enabled: false,
				mustChange: true,
			});
		}
		// an existing account: the write scripts receive the password and the OU as data
		server.clearLogs();
		await backend.resetPassword('m.dubois', evilPassword, true);
		await backend.moveToOu('m.dubois', ou);
		expectCheckedWrite(server, 0, 'reset_password', { sam: 'm.dubois', password: evilPassword, mustChange: true });
		expectCheckedWrite(server, 2, 'move_to_ou', { sam: 'm.dubois', ou });
		expect(existsSync(path.join(markers, 'pwned-ou'))).toBe(false);
		expect(existsSync(path.join(markers, 'pwned-pw'))).toBe(false);
		expect(logger.lines.join('\n')).not.toContain(evilPassword);
	});
});
