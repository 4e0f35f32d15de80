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
 * - The stand-in (`<temp>/bin/powershell.exe`, a Node script: stand-in.ts) appends its argv and
 *   its whole stdin (base64, exact bytes) to calls.log, decodes the -EncodedCommand it was given to learn which
 *   script it is, and answers from the directory of stand-in-directory.ts (users with SIDs,
 *   adminCount, nested tokenGroups) with JSON shaped like the real scripts' output (ASCII-only,
 *   \uXXXX escapes), exit code per case. Write scripts insist on the objectGUID that account_facts
 *   gave, as Get-CheckedUser does. `setScenario()` switches it to hanging, crashing, etc.
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
import { USERS } from './stand-in-directory';
import { standInSource, type Scenario } from './stand-in';

export type { Scenario };

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
	const directoryFile = path.join(dir, 'directory.json');
	writeFileSync(directoryFile, JSON.stringify(USERS));
	writeFileSync(powershell, standInSource(callsLog, scenarioFile, pidsLog, directoryFile), { mode: 0o755 });

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
