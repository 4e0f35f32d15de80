import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls, { rootCertificates } from 'node:tls';

import type { Client } from 'ldapts';

import type { AdClient } from '../../core/ad/client';
import { createAdClient } from '../../core/ad/factory';
import { LdapBackend } from '../../core/ad/ldap-backend';
import { catalogue } from '../../core/catalogue';
import { MySecretClient } from '../../core/mysecret/client';
import { createMySecretSimulator, type MySecretSimulator } from '../../sandbox/simulators/mysecret';
import { captureLogger } from '../support/capture-logger';
import { freePort } from '../support/redis';
import { adminClient, createOu, ensureDc, ldapsConfig, makeUser, rejection, removeTree, reveal, uniqueName, userBind, type SambaDc } from './support';

const API_KEY = 'mysecret-ad-errors-key-9e0c';

/**
 * Failures of the LDAPS backend against the real DC: each one a WidipError of the right kind, with
 * a message that names the operation and what to do, and never a password.
 */
describe('ad.* over LDAPS: failures are clear, typed and secret-free', () => {
	let dc: SambaDc;
	let admin: Client;
	let ou: string;
	let simulator: MySecretSimulator;
	let mysecret: MySecretClient;
	const logger = captureLogger();
	const opened: Array<{ close(): Promise<void> }> = [];
	/** Every error message and output of this file, grepped for passwords at the end. */
	const transcript: string[] = [];
	const secrets: string[] = [];

	function client(extra: Parameters<typeof ldapsConfig>[1] = {}): AdClient {
		const ad = createAdClient(ldapsConfig(dc, extra), { mysecret, logger });
		opened.push(ad);
		return ad;
	}
	function backend(extra: Parameters<typeof ldapsConfig>[1] = {}): LdapBackend {
		const made = new LdapBackend(ldapsConfig(dc, extra), logger);
		opened.push(made);
		return made;
	}
	async function failure(promise: Promise<unknown>) {
		const error = await rejection(promise);
		transcript.push(error.message);
		expect(error.message).not.toMatch(/\n\s+at /);
		return error;
	}

	beforeAll(async () => {
		dc = await ensureDc();
		admin = await adminClient(dc);
		ou = await createOu(admin, dc.baseDn);
		simulator = createMySecretSimulator({ apiKey: API_KEY });
		await simulator.start();
		mysecret = new MySecretClient({ baseUrl: simulator.url, apiKey: API_KEY, timeoutMs: 5000 }, logger);
		secrets.push(dc.adminPassword);
	}, 300_000);

	afterAll(async () => {
		for (const one of opened) await one.close();
		if (admin) {
			if (ou) await removeTree(admin, ou);
			await admin.unbind();
		}
		await simulator?.stop();
		const everything = [...transcript, ...logger.lines].join('\n');
		for (const secret of secrets) expect(everything).not.toContain(secret);
	});

	it('a wrong service password is an auth error naming the account and the reason, never the password', async () => {
		const wrong = `Wrong-svc-${uniqueName()}!`;
		secrets.push(wrong);
		const ad = client({ bindPassword: wrong });
		const error = await failure(catalogue.run('ad.check_user', { sAMAccountName: 'Administrator' }, { ad }));
		expect(error).toMatchObject({
			kind: 'auth',
			service: 'ad',
			operation: 'ad.check_user',
			message: `ad.check_user: Active Directory refused the service account ${dc.adminUpn}: wrong password (AD code 52e)`,
		});
		// the credential test says the same
		const verify = await failure(ad.backend.verify());
		expect(verify).toMatchObject({ kind: 'auth', message: `ad.verify: Active Directory refused the service account ${dc.adminUpn}: wrong password (AD code 52e)` });
	});

	it('an unknown service account is refused the same way (no hint whether it exists)', async () => {
		const error = await failure(backend({ bindDn: `nobody-${uniqueName()}@${dc.upnSuffix}` }).verify());
		expect(error.kind).toBe('auth');
		expect(error.message).toMatch(/^ad\.verify: Active Directory refused the service account nobody-t[0-9a-f]{10}@widip\.test: wrong password \(AD code 52e\)$/);
	});

	it('a password-policy refusal names the rule: a PSO minimum above the generated length; the account keeps its password', async () => {
		const user = await makeUser(admin, dc, ou);
		const psoName = uniqueName('pso-');
		const pso = `CN=${psoName},CN=Password Settings Container,CN=System,${dc.baseDn}`;
		// a fine-grained policy on this one account, so parallel tests keep the domain's policy
		await admin.add(pso, {
			objectClass: ['top', 'msDS-PasswordSettings'],
			'msDS-PasswordSettingsPrecedence': '10',
			'msDS-PasswordReversibleEncryptionEnabled': 'FALSE',
			'msDS-PasswordHistoryLength': '0',
			'msDS-PasswordComplexityEnabled': 'TRUE',
			'msDS-MinimumPasswordLength': '40',
			'msDS-MinimumPasswordAge': '0',
			'msDS-MaximumPasswordAge': '-9223372036854775808',
			'msDS-LockoutThreshold': '0',
			'msDS-LockoutObservationWindow': '-18000000000',
			'msDS-LockoutDuration': '-18000000000',
			'msDS-PSOAppliesTo': user.dn,
		});
		try {
			const ad = client();
			const created = simulator.createdCount;
			const error = await failure(catalogue.run('ad.reset_password', { sAMAccountName: user.sam, length: 16 }, { ad }));
			expect(error).toMatchObject({
				kind: 'bad_request',
				operation: 'ad.reset_password',
				message: `ad.reset_password: Active Directory refused the new password of ${user.sam}: the password is too short for the minimum of 40 characters set by the password settings object "${psoName}" (it has 16) (AD 0000052D)`,
			});
			// AdClient made the link first; what it holds did not become the password, and is in no message
			expect(simulator.createdCount).toBe(created + 1);
			expect(await userBind(dc, user.upn, user.password)).toBe('ok');

			// the backend alone, with a password we know: the message names the rule, not the password
			const known = `Known-16-${uniqueName().slice(1, 7)}!`;
			secrets.push(known);
			const direct = await failure(backend().resetPassword(user.sam, known, false));
			expect(direct.message).toContain(`too short for the minimum of 40 characters set by the password settings object "${psoName}" (it has ${known.length})`);

			// long enough for the PSO: the same reset works
			const output = (await catalogue.run('ad.reset_password', { sAMAccountName: user.sam, length: 48, mustChangeAtNextLogon: false }, { ad })) as { password: { url: string } };
			const password = await reveal(output.password.url);
			secrets.push(password, user.password);
			expect(await userBind(dc, user.upn, password)).toBe('ok');
		} finally {
			await admin.del(pso);
		}
	});

	it('the domain policy (no PSO) is read and named: too short for the domain minimum, complexity', async () => {
		const user = await makeUser(admin, dc, ou);
		const direct = backend();
		const cases: Array<[string, string]> = [
			['Ab1!x', 'the password is too short for the domain minimum of 7 characters (it has 5)'],
			['onlysmallletters', 'the password does not meet the complexity rule of the domain: it uses 1 of the kinds of characters (capitals, small letters, digits, symbols) where 3 are required'],
		];
		for (const [password, rule] of cases) {
			secrets.push(password);
			const error = await failure(direct.resetPassword(user.sam, password, false));
			expect(error).toMatchObject({ kind: 'bad_request', message: `ad.reset_password: Active Directory refused the new password of ${user.sam}: ${rule} (AD 0000052D)` });
		}
		expect(await userBind(dc, user.upn, user.password)).toBe('ok');
	});

	it('create_user with a password the policy refuses leaves no half-made account', async () => {
		const sam = uniqueName();
		const error = await failure(
			backend().createUser({ sAMAccountName: sam, givenName: 'Half', surname: 'Made', ouDn: ou, password: 'short', enabled: true, mustChangePassword: true }),
		);
		expect(error).toMatchObject({ kind: 'bad_request', message: expect.stringContaining(`ad.create_user: Active Directory refused the new password of ${sam}: the password is too short`) });
		const left = await admin.search(dc.baseDn, { scope: 'sub', filter: `(sAMAccountName=${sam})`, attributes: ['1.1'] });
		expect(left.searchEntries).toEqual([]);
	});

	it('a base DN that does not exist is a configuration error, not "no such user"', async () => {
		const baseDn = `OU=${uniqueName('missing-')},${dc.baseDn}`;
		const error = await failure(backend({ baseDn }).checkUser('Administrator'));
		expect(error).toMatchObject({ kind: 'bad_request', message: `ad.check_user: the search base ${baseDn} does not exist in Active Directory (check the Base DN of the credential)` });
		const verify = await failure(backend({ baseDn }).verify());
		expect(verify).toMatchObject({ kind: 'bad_request', message: `ad.verify: the service account works, but the base DN ${baseDn} does not exist` });
	});

	it('an unreachable DC (closed loopback port) is unavailable at once, with the address', async () => {
		const port = await freePort();
		const url = `ldaps://127.0.0.1:${port}`;
		const started = Date.now();
		const error = await failure(client({ url, timeoutMs: 2000 }).checkUser('Administrator'));
		expect(Date.now() - started).toBeLessThan(2000);
		expect(error).toMatchObject({
			kind: 'unavailable',
			operation: 'ad.check_user',
			message: `ad.check_user: Active Directory at ${url} refused the connection (is the DC running, is the port right?)`,
		});
		expect(error.transient).toBe(true);
	});

	it('a DC that accepts TCP but never answers fails within timeoutMs', async () => {
		const sockets: net.Socket[] = [];
		const silent = net.createServer((socket) => sockets.push(socket));
		await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
		const url = `ldaps://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
		try {
			const started = Date.now();
			const error = await failure(client({ url, timeoutMs: 800 }).checkUser('Administrator'));
			const elapsed = Date.now() - started;
			expect(elapsed).toBeGreaterThanOrEqual(750);
			expect(elapsed).toBeLessThan(2500);
			expect(error).toMatchObject({ kind: 'unavailable', message: `ad.check_user: Active Directory at ${url} did not answer within 800 ms (no TCP/TLS connection)` });
		} finally {
			for (const socket of sockets) socket.destroy();
			await new Promise((resolve) => silent.close(resolve));
		}
	});

	it('a server that completes TLS but never answers LDAP fails the bind within timeoutMs', async () => {
		// the DC's own certificate and key: the TLS handshake succeeds, then nothing answers
		const sockets: tls.TLSSocket[] = [];
		const mute = tls.createServer(
			{ key: readFileSync(path.join(dc.stateDir, 'private/tls/key.pem')), cert: readFileSync(path.join(dc.stateDir, 'private/tls/cert.pem')) },
			(socket) => sockets.push(socket),
		);
		await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
		const url = `ldaps://127.0.0.1:${(mute.address() as net.AddressInfo).port}`;
		try {
			const started = Date.now();
			const error = await failure(client({ url, timeoutMs: 700 }).checkUser('Administrator'));
			expect(sockets.length).toBe(1); // TLS did complete
			expect(Date.now() - started).toBeLessThan(2500);
			expect(error).toMatchObject({ kind: 'unavailable', message: `ad.check_user: Active Directory at ${url} accepted the connection but did not answer the service account's bind within 700 ms` });
		} finally {
			for (const socket of sockets) socket.destroy();
			await new Promise((resolve) => mute.close(resolve));
		}
	});

	it('an LDAP URL that cannot be parsed is a configuration error', async () => {
		const error = await failure(backend({ url: 'ldaps://' }).checkUser('Administrator'));
		expect(error).toMatchObject({ kind: 'bad_request', message: 'ad.check_user: the LDAP URL "ldaps://" is not valid (expected ldaps://host:636)' });
	});

	it('TLS: a CA that did not sign the DC certificate is unavailable with "TLS" and the reason', async () => {
		const error = await failure(client({ caCert: rootCertificates[0] }).checkUser('Administrator'));
		expect(error).toMatchObject({ kind: 'unavailable', operation: 'ad.check_user' });
		expect(error.message).toBe(
			`ad.check_user: TLS: the certificate of Active Directory at ${dc.url} is not trusted: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE; check the CA certificate of the credential)`,
		);
	});

	it('TLS: a server name that is not the one in the certificate is unavailable with "TLS" and the reason', async () => {
		const error = await failure(client({ tlsServerName: 'dc9.elsewhere.test' }).checkUser('Administrator'));
		expect(error.kind).toBe('unavailable');
		expect(error.message).toMatch(
			/^ad\.check_user: TLS: the certificate of Active Directory at ldaps:\/\/127\.0\.0\.1:636 does not match the name "dc9\.elsewhere\.test": Hostname\/IP does not match certificate's altnames: .*dc9\.elsewhere\.test.* \(set TLS Server Name to the name in the certificate\)$/,
		);
		// connecting by IP without a server name fails the same check
		const byIp = await failure(client({ tlsServerName: undefined }).checkUser('Administrator'));
		expect(byIp.message).toMatch(/^ad\.check_user: TLS: the certificate of .* does not match the host of the URL: Hostname\/IP does not match certificate's altnames: IP: 127\.0\.0\.1/);
	});

	it('TLS: a CA field that is not a certificate is a clear configuration error', async () => {
		const error = await failure(client({ caCert: '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n' }).checkUser('Administrator'));
		expect(error).toMatchObject({ kind: 'bad_request', message: expect.stringMatching(/^ad\.check_user: TLS: the CA certificate of the credential cannot be used: a certificate in it cannot be read \(.+\)$/) });
		const notPem = await failure(client({ caCert: 'MIIB-just-base64-without-armour' }).checkUser('Administrator'));
		expect(notPem).toMatchObject({
			kind: 'bad_request',
			message: 'ad.check_user: TLS: the CA certificate of the credential cannot be used: no PEM certificate block (-----BEGIN CERTIFICATE-----) in it',
		});
	});

	it('allowUnverifiedTls works without a CA and logs a warning at every connection', async () => {
		const direct = backend({ caCert: undefined, tlsServerName: undefined, allowUnverifiedTls: true });
		const warnings = () => logger.lines.filter((line) => line.startsWith('warn ') && line.includes('TLS certificate verification is OFF')).length;
		const before = warnings();
		expect((await direct.checkUser('Administrator'))?.exists).toBe(true);
		expect(warnings()).toBe(before + 1);
		await direct.checkUser('Administrator'); // same connection: no new warning
		expect(warnings()).toBe(before + 1);
		await direct.verify(); // a new connection: a new warning
		expect(warnings()).toBe(before + 2);
		expect(logger.lines.find((line) => line.includes('TLS certificate verification is OFF'))).toContain(dc.url);
	});

	it('StartTLS on ldap://…:389 works; plain ldap:// without StartTLS is refused before anything is sent', async () => {
		const startTls = backend({ url: dc.plainUrl, startTls: true });
		expect(await startTls.checkUser('Administrator')).toMatchObject({ exists: true, distinguishedName: `CN=Administrator,CN=Users,${dc.baseDn}` });

		let connections = 0;
		const listener = net.createServer((socket) => {
			connections++;
			socket.destroy();
		});
		await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
		const url = `ldap://127.0.0.1:${(listener.address() as net.AddressInfo).port}`;
		try {
			const error = await failure(backend({ url, startTls: false }).checkUser('Administrator'));
			expect(error).toMatchObject({
				kind: 'bad_request',
				message: `ad.check_user: ${url} is plain LDAP: the service password would cross the network in clear; use ldaps:// or turn on StartTLS`,
			});
			expect(connections).toBe(0);
		} finally {
			await new Promise((resolve) => listener.close(resolve));
		}
	});

	it('StartTLS with the wrong CA fails on TLS too', async () => {
		const error = await failure(backend({ url: dc.plainUrl, startTls: true, caCert: rootCertificates[0] }).checkUser('Administrator'));
		expect(error).toMatchObject({ kind: 'unavailable', message: expect.stringMatching(/^ad\.check_user: TLS: the certificate of Active Directory at ldap:\/\/127\.0\.0\.1:389 is not trusted/) });
	});

	it('a move target that is not an OU or container is named', async () => {
		const user = await makeUser(admin, dc, ou);
		const error = await failure(backend().moveToOu(user.sam, user.dn));
		expect(error).toMatchObject({ kind: 'bad_request', message: `ad.move_to_ou: ${user.dn} is not an organisational unit or container` });
	});
});
