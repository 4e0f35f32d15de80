/**
 * A REAL OpenSSH server (sshd) on 127.0.0.1 for the SSH backend's tests, whose "PowerShell" is a
 * stand-in executable that records exactly what it received and answers like the real scripts.
 *
 * - sshd is installed with apt-get when missing (once, under a lock, non-interactive).
 * - `sshd -D -e -f <temp config>` runs as root on a free loopback port with a fresh host key,
 *   `UsePAM no`, `StrictModes no`, public-key login for the current user from a key pair generated
 *   here (openssh-keys.ts, not ssh2's generator: it makes a malformed key about 1 time in 200),
 *   `AuthorizedKeysFile` in the temp folder.
 * - `ForceCommand` is a tiny recorder: it appends the exact command string the client sent
 *   (`SSH_ORIGINAL_COMMAND`, base64 so newlines survive) to commands.log, then runs it with
 *   `/bin/sh -c` as sshd itself would have.
 * - The stand-in (`<temp>/bin/powershell.exe`, a Node script) appends its argv and its whole stdin
 *   (base64, exact bytes) to calls.log, decodes the -EncodedCommand it was given to learn which
 *   script it is, and answers with canned JSON shaped like the real scripts' output (ASCII-only,
 *   \uXXXX escapes), exit code per case. `setScenario()` switches it to hanging, crashing, etc.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	rmSync,
	rmdirSync,
	writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { sshConfigSchema, type SshConfig } from '../../core/ad/config';
import { generateEd25519KeyPair } from './openssh-keys';

export const SSHD_CANDIDATES = ['/usr/sbin/sshd', '/usr/bin/sshd', '/usr/local/sbin/sshd'];

function findSshd(): string | undefined {
	return SSHD_CANDIDATES.find((candidate) => existsSync(candidate));
}

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Installs openssh-server with apt-get when no sshd exists; parallel test files take turns. */
export async function ensureSshd(): Promise<string> {
	const found = findSshd();
	if (found) return found;
	if (process.getuid?.() !== 0)
		throw new Error(
			'sshd is missing and installing it needs root (apt-get install openssh-server)',
		);
	const lock = path.join(os.tmpdir(), 'widip-test-sshd-install.lock');
	const deadline = Date.now() + 600_000;
	const tryLock = () => {
		try {
			mkdirSync(lock);
			return true;
		} catch {
			return false;
		}
	};
	while (!tryLock()) {
		if (Date.now() > deadline)
			throw new Error(`waited too long for ${lock} (remove it if no install is running)`);
		await sleep(500);
	}
	try {
		const again = findSshd();
		if (again) return again;
		const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
		const run = (args: string[]) => {
			const result = spawnSync('apt-get', args, { env, encoding: 'utf8', timeout: 540_000 });
			if (result.status !== 0)
				throw new Error(
					`apt-get ${args.join(' ')} failed (${result.status}): ${result.stderr || result.error?.message}`,
				);
		};
		run(['update']);
		run(['install', '-y', '--no-install-recommends', 'openssh-server']);
		const installed = findSshd();
		if (!installed) throw new Error('openssh-server installed but no sshd binary found');
		return installed;
	} finally {
		rmdirSync(lock);
	}
}

async function freePort(): Promise<number> {
	return await new Promise((resolve, reject) => {
		const server = net.createServer();
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
		server.on('error', reject);
	});
}

/** `SHA256:` + unpadded base64 of SHA-256 over the key blob: what `ssh-keygen -lf key.pub` prints. */
export function fingerprintOfPublicKey(publicKeyLine: string): string {
	const blob = Buffer.from(publicKeyLine.trim().split(/\s+/)[1], 'base64');
	return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Waits until the port answers with an SSH banner. */
async function waitForBanner(
	port: number,
	deadlineMs: number,
	alive: () => boolean,
): Promise<void> {
	const deadline = Date.now() + deadlineMs;
	while (Date.now() < deadline) {
		if (!alive()) throw new Error('sshd exited during start');
		const banner = await new Promise<boolean>((resolve) => {
			const socket = net.connect(port, '127.0.0.1');
			const done = (ok: boolean) => {
				socket.destroy();
				resolve(ok);
			};
			socket.setTimeout(1000, () => done(false));
			socket.on('data', (data) => done(data.toString('latin1').startsWith('SSH-')));
			socket.on('error', () => done(false));
		});
		if (banner) return;
		await sleep(100);
	}
	throw new Error(`sshd did not answer on 127.0.0.1:${port}`);
}

export interface StandInCall {
	pid: number;
	/** argv[0] is the stand-in's path as invoked, then every argument. */
	argv: string[];
	/** The whole of stdin, byte for byte. */
	stdin: Buffer;
}

export type Scenario =
	| { mode: 'normal' }
	/** Never answers (exits on its own after `hangMs`, or when stop() kills it). */
	| { mode: 'hang'; hangMs?: number }
	/**
	 * Prints an error to stderr as Windows PowerShell does (CLIXML) and exits with `exitCode`.
	 * `echoPassword`: a careless server that repeats the request's password in its error text.
	 */
	| { mode: 'crash'; exitCode: number; message: string; echoPassword?: boolean }
	/** Prints text that is not JSON, exit 0. */
	| { mode: 'garbage' }
	/** A well-formed answer, but with this exit code. */
	| { mode: 'wrong_exit'; exitCode: number }
	/** JSON of the wrong shape, exit 0. */
	| { mode: 'bad_shape' };

export interface SshTestServer {
	host: '127.0.0.1';
	port: number;
	dir: string;
	username: string;
	/** The client key pair authorised on this server. */
	privateKey: string;
	publicKey: string;
	hostPublicKeyPath: string;
	/** OpenSSH-style `SHA256:…` of the server's host key. */
	fingerprint: string;
	/** The stand-in "PowerShell" (set as config.powershell). */
	powershell: string;
	/** A backend config pointing here (override anything). */
	config(extra?: Partial<SshConfig>): SshConfig;
	/** Exact command strings the clients sent, oldest first. */
	commands(): string[];
	/** What the stand-in received, oldest first. */
	calls(): StandInCall[];
	clearLogs(): void;
	setScenario(scenario: Scenario): void;
	/** sshd's own log lines (for failure diagnostics). */
	sshdLog(): string;
	running(): boolean;
	/** Stops sshd only (logs and files stay). */
	stopSshd(): Promise<void>;
	/** Stops sshd and any stand-in still running, removes the temp folder. */
	stop(): Promise<void>;
}

/** The stand-in's source: Node, run by the same Node binary as the tests. */
function standInSource(callsLog: string, scenarioFile: string, pidsLog: string): string {
	return `#!${process.execPath}
'use strict';
const fs = require('fs');
const CALLS = ${JSON.stringify(callsLog)};
const SCENARIO = ${JSON.stringify(scenarioFile)};
// Every stand-in that ever started, so that stop() can end those still running.
fs.appendFileSync(${JSON.stringify(pidsLog)}, process.pid + '\\n');
const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', () => {
	const stdin = Buffer.concat(chunks);
	fs.appendFileSync(CALLS, JSON.stringify({ pid: process.pid, argv: process.argv.slice(1), stdin: stdin.toString('base64') }) + '\\n');
	let scenario = { mode: 'normal' };
	try { scenario = JSON.parse(fs.readFileSync(SCENARIO, 'utf8')); } catch {}
	respond(stdin, scenario);
});

// Like the real scripts: compact JSON, every non-ASCII character as \\uXXXX.
const json = (value) => JSON.stringify(value).replace(/[\\u007f-\\uffff]/g, (c) => '\\\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
const PROGRESS = '#< CLIXML\\r\\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T><T>System.Object</T></TN><MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for first use.</AV><AI>0</AI><Nil /><PI>-1</PI><PC>-1</PC><T>Completed</T><SR>-1</SR><SD> </SD></PR></MS></Obj></Objs>';
function finish(stdout, code, stderr) {
	process.stderr.write(stderr === undefined ? PROGRESS : stderr);
	process.stdout.write(stdout);
	process.exitCode = code;
}
const refuse = (category, type, message) => finish(json({ error: { category, type, message } }), 1);

const DOMAIN = 'DC=widip,DC=test';
const USERS = {
	'm.dubois': { displayName: 'Marie Dubois', dn: 'CN=Marie Dubois,OU=Soignants,OU=EHPAD Les Tilleuls,' + DOMAIN, enabled: true, locked: false, title: 'Infirmière coordinatrice', department: 'EHPAD Les Tilleuls', mail: 'm.dubois@widip.test', lastLogon: '2025-03-01T08:15:30.1234567Z', memberOf: ['CN=Soignants\\\\, Les Tilleuls,OU=Groupes,' + DOMAIN, 'CN=Domain Users,CN=Users,' + DOMAIN], passwordLastSet: '2025-01-10T09:00:00.0000000Z', lockoutTime: null },
	'j.martin': { displayName: 'Jérôme Martin', dn: 'CN=Jérôme Martin,OU=Administratif,OU=EHPAD Bellevue,' + DOMAIN, enabled: true, locked: true, title: null, department: null, mail: null, lastLogon: null, memberOf: [], passwordLastSet: null, lockoutTime: '2025-03-02T07:59:00.5000000Z' },
	'p.durand': { displayName: null, dn: 'CN=p.durand,OU=Partis,' + DOMAIN, enabled: false, locked: false, title: 'Aide-soignant', department: 'EHPAD Bellevue', mail: 'p.durand@widip.test', lastLogon: '2024-11-30T17:02:11.0000000Z', memberOf: ['CN=Anciens,OU=Groupes,' + DOMAIN], passwordLastSet: '2024-06-01T12:00:00.0000000Z', lockoutTime: null },
	// A protected account: readable, but the service account may not change it.
	'adm.widip': { displayName: 'WIDIP Admin', dn: 'CN=WIDIP Admin,OU=Admins,' + DOMAIN, enabled: true, locked: false, title: null, department: null, mail: null, lastLogon: null, memberOf: ['CN=Domain Admins,CN=Users,' + DOMAIN], passwordLastSet: null, lockoutTime: null, protected: true },
};
const WRITES = ['reset_password', 'unlock_account', 'enable_account', 'disable_account', 'move_to_ou', 'delete_user'];

function notFound(identity) {
	refuse('not_found', 'ADIdentityNotFoundException', "Cannot find an object with identity: '" + identity + "' under: '" + DOMAIN + "'.");
}
function escapeRdn(value) {
	return value.replace(/[,+"\\\\<>;=]/g, (c) => '\\\\' + c).replace(/^[ #]/, (c) => '\\\\' + c);
}
function weak(password, sam) {
	const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
	return typeof password !== 'string' || password.length < 12 || classes < 3 || password.toLowerCase().includes(String(sam).toLowerCase());
}
function ouExists(ou) {
	return typeof ou === 'string' && ou.endsWith(',' + DOMAIN) && !/OU=Nowhere/i.test(ou);
}

function respond(stdin, scenario) {
	if (scenario.mode === 'hang') { setTimeout(() => process.exit(0), scenario.hangMs || 20000); return; }
	if (scenario.mode === 'crash') {
		let message = scenario.message;
		if (scenario.echoPassword) { try { message += ' (password: ' + JSON.parse(stdin.toString('utf8')).password + ')'; } catch {} }
		const text = message.replace(/\\r?\\n/g, '_x000D__x000A_').replace(/&/g, '&amp;').replace(/</g, '&lt;');
		finish('', scenario.exitCode, '#< CLIXML\\r\\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S S="Error">' + text + '_x000D__x000A_</S></Objs>');
		return;
	}
	if (scenario.mode === 'garbage') { finish('Bonjour, ceci n est pas du JSON\\r\\n', 0); return; }
	if (scenario.mode === 'bad_shape') { finish(json({ sAMAccountName: 42, enabled: 'yes' }), 0); return; }

	// Which script is this? The real one knows; the stand-in reads it from -EncodedCommand.
	const args = process.argv.slice(2);
	const at = args.indexOf('-EncodedCommand');
	const script = at >= 0 ? Buffer.from(args[at + 1] || '', 'base64').toString('utf16le') : '';
	const declared = /\\$req\\.op -ne '([a-z_]+)'/.exec(script);
	if (!declared) { finish('', 1, 'The term is not recognized as a script this stand-in knows.'); return; }
	const op = declared[1];
	let req;
	try { req = JSON.parse(stdin.toString('utf8')); } catch { refuse('bad_request', 'ArgumentException', 'Invalid JSON primitive.'); return; }
	if (req.op !== op) { refuse('bad_request', 'ArgumentException', 'this script only runs ' + op); return; }
	const code = scenario.mode === 'wrong_exit' ? scenario.exitCode : 0;
	const ok = (value) => finish(json(value), code);

	if (op === 'verify') { ok({ ok: true, domain: 'widip.test' }); return; }
	if (op === 'create_user') {
		if (USERS[req.sam]) { refuse('conflict', 'ADIdentityAlreadyExistsException', 'The specified account already exists'); return; }
		if (!ouExists(req.ou)) { refuse('not_found', 'ADIdentityNotFoundException', 'Directory object not found'); return; }
		if (weak(req.password, req.sam)) { refuse('bad_request', 'ADPasswordComplexityException', 'The password does not meet the length, complexity, or history requirement of the domain.'); return; }
		ok({ distinguishedName: 'CN=' + escapeRdn(req.displayName) + ',' + req.ou });
		return;
	}
	const user = USERS[req.sam];
	if (!user) { notFound(req.sam); return; }
	if (user.protected && WRITES.includes(op)) { refuse('auth', 'ADException', 'Insufficient access rights to perform the operation'); return; }
	const status = { sAMAccountName: req.sam, displayName: user.displayName, distinguishedName: user.dn, enabled: user.enabled, locked: user.locked };
	switch (op) {
		case 'check_user': ok(status); return;
		case 'get_user_info':
			ok(Object.assign(status, { title: user.title, department: user.department, mail: user.mail, lastLogon: user.lastLogon, memberOf: user.memberOf, passwordLastSet: user.passwordLastSet, lockoutTime: user.lockoutTime }));
			return;
		case 'reset_password':
			if (weak(req.password, req.sam)) { refuse('bad_request', 'ADPasswordComplexityException', 'The password does not meet the length, complexity, or history requirement of the domain.'); return; }
			ok({ ok: true });
			return;
		case 'move_to_ou':
			if (!ouExists(req.ou)) { refuse('not_found', 'ADIdentityNotFoundException', 'Directory object not found'); return; }
			ok({ distinguishedName: user.dn.split(/(?<!\\\\),/)[0] + ',' + req.ou });
			return;
		case 'unlock_account': case 'enable_account': case 'disable_account': case 'delete_user':
			ok({ ok: true });
			return;
		default:
			finish('', 1, 'unknown operation ' + op);
	}
}
`;
}

/** Starts a private sshd on a free loopback port. Call stop() in afterAll. */
export async function startSshServer(): Promise<SshTestServer> {
	const sshd = await ensureSshd();
	if (process.getuid?.() !== 0)
		throw new Error(
			'the sshd test server runs as root (privilege separation); run the tests as root',
		);
	mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

	// mkdtemp's suffix is [A-Za-z0-9]: the path is a valid config.powershell.
	const dir = mkdtempSync(path.join(os.tmpdir(), 'widip-sshd-'));
	const bin = path.join(dir, 'bin');
	mkdirSync(bin);
	const hostKey = generateEd25519KeyPair();
	const clientKey = generateEd25519KeyPair();
	const hostKeyPath = path.join(dir, 'ssh_host_ed25519_key');
	writeFileSync(hostKeyPath, hostKey.private, { mode: 0o600 });
	writeFileSync(`${hostKeyPath}.pub`, `${hostKey.public} widip-test-host\n`, { mode: 0o644 });
	writeFileSync(path.join(dir, 'authorized_keys'), `${clientKey.public} widip-test-client\n`, {
		mode: 0o600,
	});

	const commandsLog = path.join(dir, 'commands.log');
	const callsLog = path.join(dir, 'calls.log');
	const scenarioFile = path.join(dir, 'scenario.json');
	writeFileSync(commandsLog, '');
	writeFileSync(callsLog, '');
	const recorder = path.join(bin, 'record-command.sh');
	writeFileSync(
		recorder,
		`#!/bin/sh\nprintf '%s' "$SSH_ORIGINAL_COMMAND" | base64 -w0 >> '${commandsLog}'\necho >> '${commandsLog}'\nexec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`,
		{ mode: 0o755 },
	);
	const powershell = path.join(bin, 'powershell.exe');
	const pidsLog = path.join(dir, 'pids.log');
	writeFileSync(pidsLog, '');
	writeFileSync(powershell, standInSource(callsLog, scenarioFile, pidsLog), { mode: 0o755 });

	const username = os.userInfo().username;
	const port = await freePort();
	const configPath = path.join(dir, 'sshd_config');
	writeFileSync(
		configPath,
		[
			`Port ${port}`,
			'ListenAddress 127.0.0.1',
			`HostKey ${hostKeyPath}`,
			`PidFile ${path.join(dir, 'sshd.pid')}`,
			'UsePAM no',
			'StrictModes no',
			'PermitRootLogin prohibit-password',
			`AllowUsers ${username}`,
			'PubkeyAuthentication yes',
			// On, so that a wrong password is refused by sshd itself (the account has no usable one).
			'PasswordAuthentication yes',
			'PermitEmptyPasswords no',
			'KbdInteractiveAuthentication no',
			`AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
			`ForceCommand ${recorder}`,
			'AllowTcpForwarding no',
			'X11Forwarding no',
			'PrintMotd no',
			'LogLevel VERBOSE',
			'',
		].join('\n'),
	);

	const log: string[] = [];
	const child: ChildProcess = spawn(sshd, ['-D', '-e', '-f', configPath], {
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	child.stdout?.on('data', (data: Buffer) => log.push(data.toString('utf8')));
	child.stderr?.on('data', (data: Buffer) => log.push(data.toString('utf8')));
	let exited = false;
	const exit = new Promise<void>((resolve) =>
		child.once('exit', () => {
			exited = true;
			resolve();
		}),
	);
	const startError = await waitForBanner(port, 15_000, () => !exited).then(
		() => undefined,
		(error: Error) => error,
	);
	if (startError) {
		child.kill('SIGTERM');
		throw new Error(`${startError.message}: ${log.join('')}`);
	}

	const calls = (): StandInCall[] =>
		readFileSync(callsLog, 'utf8')
			.split('\n')
			.filter((line) => line !== '')
			.map((line) => {
				const entry = JSON.parse(line) as { pid: number; argv: string[]; stdin: string };
				return { pid: entry.pid, argv: entry.argv, stdin: Buffer.from(entry.stdin, 'base64') };
			});

	/** Kills stand-ins still running (a hang scenario), only if they really are our stand-in. */
	const killStandIns = () => {
		const pids = readFileSync(pidsLog, 'utf8')
			.split('\n')
			.filter((line) => line !== '')
			.map(Number);
		for (const pid of pids) {
			try {
				const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
				if (cmdline.includes(powershell)) process.kill(pid, 'SIGKILL');
			} catch {
				// already gone
			}
		}
	};

	const stopSshd = async () => {
		if (exited) return;
		child.kill('SIGTERM');
		const force = setTimeout(() => child.kill('SIGKILL'), 5000);
		await exit;
		clearTimeout(force);
	};

	const server: SshTestServer = {
		host: '127.0.0.1',
		port,
		dir,
		username,
		privateKey: clientKey.private,
		publicKey: clientKey.public,
		hostPublicKeyPath: `${hostKeyPath}.pub`,
		fingerprint: fingerprintOfPublicKey(hostKey.public),
		powershell,
		config: (extra = {}) =>
			sshConfigSchema.parse({
				backend: 'ssh',
				host: '127.0.0.1',
				port,
				username,
				privateKey: clientKey.private,
				hostKeySha256: fingerprintOfPublicKey(hostKey.public),
				powershell,
				timeoutMs: 5000,
				...extra,
			}),
		commands: () =>
			readFileSync(commandsLog, 'utf8')
				.split('\n')
				.filter((line) => line !== '')
				.map((line) => Buffer.from(line, 'base64').toString('utf8')),
		calls,
		clearLogs: () => {
			writeFileSync(commandsLog, '');
			writeFileSync(callsLog, '');
		},
		setScenario: (scenario) => writeFileSync(scenarioFile, JSON.stringify(scenario)),
		sshdLog: () => log.join(''),
		running: () => !exited,
		stopSshd,
		stop: async () => {
			killStandIns();
			await stopSshd();
			rmSync(dir, { recursive: true, force: true });
		},
	};
	return server;
}

/** What `ssh-keygen -lf` prints for a public key file (the reference the tests compare with). */
export function sshKeygenFingerprint(publicKeyPath: string): string {
	const out = execFileSync('ssh-keygen', ['-lf', publicKeyPath], { encoding: 'utf8' });
	const match = /\b(SHA256:[A-Za-z0-9+/]{43})\b/.exec(out);
	if (!match) throw new Error(`unexpected ssh-keygen output: ${out}`);
	return match[1];
}
