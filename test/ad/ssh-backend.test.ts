/**
 * Every AdBackend method of the SSH backend through a real OpenSSH server, with a stand-in
 * PowerShell that records exactly what arrived: the command line is always the constant encoded
 * script of the operation, the request travels only on stdin, answers are mapped to the AdBackend
 * shapes, refusals and broken answers become clear WidipErrors, and the new password is seen
 * nowhere but in the stdin JSON.
 */
import { AdClient } from '../../core/ad/client';
import { sshConfigSchema } from '../../core/ad/config';
import { SshBackend } from '../../core/ad/ssh-backend';
import { catalogue } from '../../core/catalogue';
import { MySecretClient } from '../../core/mysecret/client';
import { createMySecretSimulator, type MySecretSimulator } from '../../sandbox/simulators/mysecret';
import { captureLogger } from '../support/capture-logger';
import { startSshServer, type SshTestServer } from './ssh-server';
import { expectCheckedWrite, expectExchange, onlyCheckedWrite, onlyExchange, timed } from './ssh-support';

jest.setTimeout(60_000);

const PASSWORD = 'Tilleuls-Reset-93$kX';

describe('SshBackend through a real sshd: every AdBackend method', () => {
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
	});

	it('verify() runs the verify script and resolves', async () => {
		await expect(backend.verify()).resolves.toBeUndefined();
		const { command, call } = onlyExchange(server);
		expectExchange(server, command, call, 'verify', { op: 'verify' });
	});

	it('checkUser maps an enabled, unlocked account', async () => {
		await expect(backend.checkUser('m.dubois')).resolves.toEqual({
			exists: true,
			sAMAccountName: 'm.dubois',
			displayName: 'Marie Dubois',
			distinguishedName: 'CN=Marie Dubois,OU=Soignants,OU=EHPAD Les Tilleuls,DC=widip,DC=test',
			enabled: true,
			locked: false,
		});
		const { command, call } = onlyExchange(server);
		expectExchange(server, command, call, 'check_user', { op: 'check_user', sam: 'm.dubois' });
	});

	it('checkUser maps a locked account, a disabled one with no display name, and an unknown one (null)', async () => {
		expect(await backend.checkUser('j.martin')).toMatchObject({
			exists: true,
			locked: true,
			enabled: true,
			displayName: 'Jérôme Martin',
		});
		expect(await backend.checkUser('p.durand')).toMatchObject({
			exists: true,
			locked: false,
			enabled: false,
			displayName: '',
		});
		expect(await backend.checkUser('ghost')).toBeNull();
		const commands = server.commands();
		const calls = server.calls();
		expect(calls).toHaveLength(3);
		expectExchange(server, commands[2], calls[2], 'check_user', { op: 'check_user', sam: 'ghost' });
	});

	it('getUserInfo maps every field: accents, ISO dates, group CNs with escapes', async () => {
		await expect(backend.getUserInfo('m.dubois')).resolves.toEqual({
			exists: true,
			sAMAccountName: 'm.dubois',
			displayName: 'Marie Dubois',
			distinguishedName: 'CN=Marie Dubois,OU=Soignants,OU=EHPAD Les Tilleuls,DC=widip,DC=test',
			enabled: true,
			locked: false,
			title: 'Infirmière coordinatrice',
			department: 'EHPAD Les Tilleuls',
			mail: 'm.dubois@widip.test',
			lastLogon: '2025-03-01T08:15:30.123Z',
			groups: ['Soignants, Les Tilleuls', 'Domain Users'],
			passwordLastSet: '2025-01-10T09:00:00.000Z',
			lockoutTime: null,
		});
		const { command, call } = onlyExchange(server);
		expectExchange(server, command, call, 'get_user_info', {
			op: 'get_user_info',
			sam: 'm.dubois',
		});
	});

	it('getUserInfo of a locked account with empty attributes: empty strings, nulls, lockout time', async () => {
		await expect(backend.getUserInfo('j.martin')).resolves.toMatchObject({
			title: '',
			department: '',
			mail: '',
			lastLogon: null,
			groups: [],
			passwordLastSet: null,
			locked: true,
			lockoutTime: '2025-03-02T07:59:00.500Z',
		});
	});

	it('getUserInfo of an unknown account is a not_found WidipError naming it', async () => {
		const { error } = await timed(backend.getUserInfo('ghost'));
		expect(error).toMatchObject({
			name: 'WidipError',
			kind: 'not_found',
			service: 'ad',
			operation: 'ad.get_user_info',
		});
		expect(error?.message).toBe(
			"Active Directory over SSH (ad.get_user_info): no such account or object: Cannot find an object with identity: 'ghost' under: 'DC=widip,DC=test'.",
		);
	});

	it('resetPassword checks the account first, then sends the password only inside the stdin JSON', async () => {
		await expect(backend.resetPassword('m.dubois', PASSWORD, true)).resolves.toBeUndefined();
		const { command, call, stdin } = onlyCheckedWrite(server, 'reset_password', {
			sam: 'm.dubois',
			password: PASSWORD,
			mustChange: true,
		});
		expect(server.calls()[0].stdin.toString()).not.toContain(PASSWORD);
		expect(stdin).toContain(PASSWORD);
		expect(command).not.toContain(PASSWORD);
		expect(call.argv.join(' ')).not.toContain(PASSWORD);
		expect(logger.lines.join('\n')).not.toContain(PASSWORD);

		server.clearLogs();
		await backend.resetPassword('m.dubois', PASSWORD, false);
		onlyCheckedWrite(server, 'reset_password', {
			sam: 'm.dubois',
			password: PASSWORD,
			mustChange: false,
		});
	});

	it('unlock, enable and disable each check the account, then run their own script', async () => {
		await backend.unlock('j.martin');
		await backend.setEnabled('p.durand', true);
		await backend.setEnabled('m.dubois', false);
		expect(server.calls()).toHaveLength(6);
		expectCheckedWrite(server, 0, 'unlock_account', { sam: 'j.martin' });
		expectCheckedWrite(server, 2, 'enable_account', { sam: 'p.durand' });
		expectCheckedWrite(server, 4, 'disable_account', { sam: 'm.dubois' });
	});

	it('moveToOu returns the new DN; the OU travels on stdin', async () => {
		const ou = 'OU=Soignants,OU=EHPAD Bellevue,DC=widip,DC=test';
		await expect(backend.moveToOu('m.dubois', ou)).resolves.toBe(`CN=Marie Dubois,${ou}`);
		const { command } = onlyCheckedWrite(server, 'move_to_ou', { sam: 'm.dubois', ou });
		expect(command).not.toContain('Bellevue');
	});

	it('createUser returns the new DN; names with accents arrive as ASCII JSON escapes, the password only on stdin', async () => {
		const ou = 'OU=Soignants,OU=EHPAD Les Tilleuls,DC=widip,DC=test';
		const dn = await backend.createUser({
			sAMAccountName: 'h.lefevre',
			givenName: 'Hélène',
			surname: 'Lefèvre',
			displayName: 'Lefèvre, Hélène',
			mail: 'h.lefevre@widip.test',
			title: 'Aide-soignante',
			ouDn: ou,
			password: PASSWORD,
			enabled: true,
			mustChangePassword: true,
		});
		expect(dn).toBe(`CN=Lefèvre\\, Hélène,${ou}`);
		const { command, call } = onlyExchange(server);
		const stdin = expectExchange(server, command, call, 'create_user', {
			op: 'create_user',
			sam: 'h.lefevre',
			givenName: 'Hélène',
			surname: 'Lefèvre',
			displayName: 'Lefèvre, Hélène',
			mail: 'h.lefevre@widip.test',
			title: 'Aide-soignante',
			department: null,
			ou,
			password: PASSWORD,
			enabled: true,
			mustChange: true,
		});
		expect(stdin).toContain('H\\u00e9l\\u00e8ne');
		expect(command).not.toContain(PASSWORD);
		expect(logger.lines.join('\n')).not.toContain(PASSWORD);
	});

	it('deleteUser runs the delete script', async () => {
		await expect(backend.deleteUser('p.durand')).resolves.toBeUndefined();
		onlyCheckedWrite(server, 'delete_user', { sam: 'p.durand' });
	});

	it('the logs name operations and exit codes, never the request', async () => {
		const lines = logger.lines.join('\n');
		expect(lines).toMatch(/ad ssh: reset_password on 127\.0\.0\.1:\d+ exited with 0 in \d+ ms/);
		expect(lines).not.toContain(PASSWORD);
		expect(lines).not.toContain('EncodedCommand');
		expect(lines).not.toContain('Hélène');
	});
});

describe('SshBackend: refusals and broken answers become clear WidipErrors', () => {
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
	});

	it('a password the domain refuses: bad_request naming the rule, without the password', async () => {
		const weak = 'short1A!';
		const { error } = await timed(backend.resetPassword('m.dubois', weak, true));
		expect(error).toMatchObject({ kind: 'bad_request', operation: 'ad.reset_password' });
		expect(error?.message).toBe(
			'Active Directory over SSH (ad.reset_password): the domain refused the new password: The password does not meet the length, complexity, or history requirement of the domain.',
		);
		expect(JSON.parse(onlyCheckedWrite(server, 'reset_password', { sam: 'm.dubois', password: weak, mustChange: true }).call.stdin.toString()).password).toBe(weak);
		expect(logger.lines.join('\n')).not.toContain(weak);
	});

	it('createUser with a refused password: bad_request; with an existing name: conflict; into a missing OU: not_found', async () => {
		const base = {
			givenName: 'Luc',
			surname: 'Petit',
			ouDn: 'OU=Soignants,DC=widip,DC=test',
			enabled: true,
			mustChangePassword: true,
		};
		const weak = await timed(
			backend.createUser({ ...base, sAMAccountName: 'l.petit', password: 'l.petit-Aa1!xyz' }),
		);
		expect(weak.error).toMatchObject({ kind: 'bad_request', operation: 'ad.create_user' });
		expect(weak.error?.message).toContain(
			'the domain refused the new password: The password does not meet the length, complexity, or history requirement',
		);
		expect(weak.error?.message).not.toContain('l.petit-Aa1!xyz');
		const exists = await timed(
			backend.createUser({ ...base, sAMAccountName: 'm.dubois', password: PASSWORD }),
		);
		expect(exists.error).toMatchObject({ kind: 'conflict' });
		expect(exists.error?.message).toBe(
			'Active Directory over SSH (ad.create_user): already exists: The specified account already exists',
		);
		const noOu = await timed(
			backend.createUser({
				...base,
				sAMAccountName: 'l.petit',
				ouDn: 'OU=Nowhere,DC=widip,DC=test',
				password: PASSWORD,
			}),
		);
		expect(noOu.error).toMatchObject({ kind: 'not_found' });
	});

	it('unknown accounts: not_found for every write', async () => {
		const calls: Array<() => Promise<unknown>> = [
			() => backend.resetPassword('ghost', PASSWORD, true),
			() => backend.unlock('ghost'),
			() => backend.setEnabled('ghost', true),
			() => backend.setEnabled('ghost', false),
			() => backend.moveToOu('ghost', 'OU=Soignants,DC=widip,DC=test'),
			() => backend.deleteUser('ghost'),
		];
		for (const call of calls) {
			const { error } = await timed(call());
			expect(error).toMatchObject({ name: 'WidipError', kind: 'not_found' });
			expect(error?.message).toContain("Cannot find an object with identity: 'ghost'");
		}
		expect(server.calls()).toHaveLength(6);
	});

	it('access denied by AD: auth', async () => {
		// an ordinary account by every fact, on which the service account was given no rights
		const { error } = await timed(backend.unlock('svc.legacy'));
		expect(error).toMatchObject({ kind: 'auth', operation: 'ad.unlock_account' });
		expect(error?.message).toBe(
			'Active Directory over SSH (ad.unlock_account): the service account may not do this (access denied): Insufficient access rights to perform the operation',
		);
		// Reading the same account is allowed.
		await expect(backend.checkUser('svc.legacy')).resolves.toMatchObject({ exists: true });
	});

	it("a non-zero exit without an answer: unavailable, with PowerShell's error text out of its CLIXML", async () => {
		server.setScenario({
			mode: 'crash',
			exitCode: 3,
			message: "Import-Module : The specified module 'ActiveDirectory' was not loaded",
		});
		const { error } = await timed(backend.checkUser('m.dubois'));
		expect(error).toMatchObject({ kind: 'unavailable', operation: 'ad.check_user' });
		expect(error?.message).toMatch(
			/^Active Directory over SSH \(ad\.check_user\): PowerShell on 127\.0\.0\.1:\d+ exited with code 3: Import-Module : The specified module 'ActiveDirectory' was not loaded$/,
		);
	});

	it('a server that echoes the password in its error: the message carries [redacted] instead', async () => {
		server.setScenario({
			mode: 'crash',
			exitCode: 1,
			message: 'Set-ADAccountPassword failed',
			echoPassword: true,
			op: 'reset_password',
		});
		const { error } = await timed(backend.resetPassword('m.dubois', PASSWORD, true));
		expect(error?.kind).toBe('unavailable');
		expect(error?.message).toContain('Set-ADAccountPassword failed (password: [redacted])');
		expect(error?.message).not.toContain(PASSWORD);
		expect(String(error?.cause ?? '')).not.toContain(PASSWORD);
		expect(logger.lines.join('\n')).not.toContain(PASSWORD);
	});

	it('a well-formed answer with a non-zero exit code is not a success', async () => {
		server.setScenario({ mode: 'wrong_exit', exitCode: 2 });
		const { error, result } = await timed(backend.checkUser('m.dubois'));
		expect(result).toBeUndefined();
		expect(error).toMatchObject({ kind: 'unavailable' });
		expect(error?.message).toContain('exited with code 2');
	});

	it('an answer that is not JSON, or JSON of the wrong shape: unavailable, saying so', async () => {
		server.setScenario({ mode: 'garbage' });
		const garbage = await timed(backend.getUserInfo('m.dubois'));
		expect(garbage.error).toMatchObject({ kind: 'unavailable' });
		expect(garbage.error?.message).toContain(
			'answered something that is not JSON (Bonjour, ceci n est pas du JSON)',
		);
		server.setScenario({ mode: 'bad_shape' });
		const shape = await timed(backend.checkUser('m.dubois'));
		expect(shape.error).toMatchObject({ kind: 'unavailable' });
		expect(shape.error?.message).toContain('answered in an unexpected shape (sAMAccountName:');
	});

	it('a PowerShell path that does not exist on the server: unavailable, saying PowerShell was not found', async () => {
		const missing = new SshBackend(
			server.config({ powershell: '/nonexistent/powershell.exe' }),
			logger,
		);
		const { error } = await timed(missing.verify());
		expect(error).toMatchObject({ kind: 'unavailable', operation: 'ad.verify' });
		expect(error?.message).toMatch(
			/PowerShell \(\/nonexistent\/powershell\.exe\) was not found on 127\.0\.0\.1:\d+/,
		);
		expect(server.calls()).toHaveLength(0);
	});

	it('a PowerShell path with spaces is refused before connecting (no quoting rule is safe for every default shell)', async () => {
		const path = 'C:\\Program Files\\PowerShell\\7\\pwsh.exe';
		// the config schema refuses it with a reason…
		expect(sshConfigSchema.safeParse({ ...server.config(), powershell: path }).error?.issues[0].message).toMatch(/without spaces/);
		// …and the backend, handed such a config anyway, refuses it before connecting
		const spaced = new SshBackend({ ...server.config(), powershell: path }, logger);
		const { error } = await timed(spaced.checkUser('m.dubois'));
		expect(error).toMatchObject({ kind: 'bad_request' });
		expect(error?.message).toContain('contains spaces');
		expect(server.commands()).toHaveLength(0);
	});

	it('a config with neither password nor private key is refused before connecting', async () => {
		const bare = new SshBackend(
			{ ...server.config(), privateKey: undefined, password: undefined },
			logger,
		);
		const { error } = await timed(bare.verify());
		expect(error).toMatchObject({ kind: 'bad_request' });
		expect(error?.message).toContain('needs a password or a private key');
		expect(server.commands()).toHaveLength(0);
	});
});

describe('Through the catalogue and AdClient: the generated password reaches AD on stdin and leaves only as a link', () => {
	let server: SshTestServer;
	let simulator: MySecretSimulator;
	let ad: AdClient;
	const logger = captureLogger();

	beforeAll(async () => {
		server = await startSshServer();
		simulator = createMySecretSimulator({ apiKey: 'mysecret-ssh-test-key' });
		await simulator.start();
		const mysecret = new MySecretClient(
			{ baseUrl: simulator.url, apiKey: 'mysecret-ssh-test-key', timeoutMs: 3000 },
			logger,
		);
		ad = new AdClient(new SshBackend(server.config(), logger), mysecret, logger);
	}, 600_000);
	afterAll(async () => {
		await ad?.close();
		await server?.stop();
		await simulator?.stop();
	});

	it('ad.reset_password: stdin JSON holds the password, the link reveals the same one, nothing else ever shows it', async () => {
		server.clearLogs();
		const output = (await catalogue.run(
			'ad.reset_password',
			{ sAMAccountName: 'm.dubois' },
			{ ad },
		)) as {
			password: { delivery: string; url: string };
		};
		expect(output.password.delivery).toBe('link');
		const password = JSON.parse(server.calls()[1].stdin.toString('utf8')).password as string;
		expect(password).toHaveLength(16);
		const { command, call } = onlyCheckedWrite(server, 'reset_password', {
			sam: 'm.dubois',
			password,
			mustChange: true,
		});
		const revealed = (await (await fetch(output.password.url)).json()) as { secret: string };
		expect(revealed.secret).toBe(password);
		expect(JSON.stringify(output)).not.toContain(password);
		expect(command).not.toContain(password);
		expect(call.argv.join('\n')).not.toContain(password);
		expect(logger.lines.join('\n')).not.toContain(password);
		expect(server.sshdLog()).not.toContain(password);
	});

	it('ad.create_user: the same for a new account; ad.check_user / ad.get_user_info outputs pass their schemas', async () => {
		server.clearLogs();
		const output = (await catalogue.run(
			'ad.create_user',
			{
				sAMAccountName: 'n.roux',
				givenName: 'Nina',
				surname: 'Roux',
				ouDn: 'OU=Soignants,OU=EHPAD Bellevue,DC=widip,DC=test',
			},
			{ ad },
		)) as { distinguishedName: string; password: { delivery: string } };
		expect(output.distinguishedName).toBe(
			'CN=Nina Roux,OU=Soignants,OU=EHPAD Bellevue,DC=widip,DC=test',
		);
		const { call } = onlyExchange(server);
		const password = JSON.parse(call.stdin.toString('utf8')).password as string;
		expect(JSON.stringify(output)).not.toContain(password);
		expect(logger.lines.join('\n')).not.toContain(password);

		await expect(
			catalogue.run('ad.check_user', { sAMAccountName: 'ghost' }, { ad }),
		).resolves.toEqual({ exists: false, sAMAccountName: 'ghost' });
		await expect(
			catalogue.run('ad.get_user_info', { sAMAccountName: 'j.martin' }, { ad }),
		).resolves.toMatchObject({ locked: true, groups: [] });
		await expect(
			catalogue.run(
				'ad.move_to_ou',
				{ sAMAccountName: 'j.martin', targetOu: 'OU=Partis,DC=widip,DC=test' },
				{ ad },
			),
		).resolves.toEqual({
			sAMAccountName: 'j.martin',
			distinguishedName: 'CN=Jérôme Martin,OU=Partis,DC=widip,DC=test',
		});
	});
});
