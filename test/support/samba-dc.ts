import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = path.join(__dirname, '../../scripts/samba-dc.sh');

/** One state folder per machine: the DC's ports are fixed, so every test worker shares this DC. */
export const SAMBA_DC_DIR = process.env.WIDIP_SAMBA_DC_DIR ?? path.join(tmpdir(), 'widip-samba-dc');

export interface SambaDc {
	/** `ldaps://127.0.0.1:636`: connect by address, check the certificate against `tlsServerName`. */
	url: string;
	/** `ldap://127.0.0.1:389`, for StartTLS. */
	plainUrl: string;
	host: string;
	/** The name in the DC's self-signed certificate. */
	tlsServerName: string;
	/** PEM of the CA Samba generated at first start. */
	caPem: string;
	baseDn: string;
	realm: string;
	/** UPN suffix of the domain's accounts. */
	upnSuffix: string;
	adminUpn: string;
	adminPassword: string;
	stateDir: string;
	/** smb.conf of the DC, for samba-tool (`-s`). */
	confPath: string;
}

function cmdline(pid: number): string[] {
	try {
		return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
	} catch {
		return [];
	}
}

function parentOf(pid: number): number {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) || 1;
	} catch {
		return 1;
	}
}

/**
 * Who holds the DC: the jest process that will run the global teardown (this process when the run
 * is in band, the parent of a jest worker otherwise), found as the nearest process running jest's
 * CLI; a process outside jest (the bench) holds it itself. The teardown stops the DC when no live
 * holder is left. (The pid of the parent is not enough: the `node` dev dependency starts the real
 * Node as a child with an IPC channel, so even an in-band run looks like a worker.)
 */
export function leaseHolder(): number {
	let pid = process.pid;
	for (let depth = 0; depth < 10 && pid > 1; depth++) {
		if (cmdline(pid).some((arg) => /(^|\/)jest(\.js)?$/.test(arg))) return pid;
		pid = parentOf(pid);
	}
	return process.pid;
}

let ready: Promise<SambaDc> | undefined;

async function start(): Promise<SambaDc> {
	const failed = await run('bash', [SCRIPT, 'ensure', SAMBA_DC_DIR, String(leaseHolder())], { timeout: 10 * 60_000, maxBuffer: 16 * 1024 * 1024 }).then(
		() => undefined,
		(error: { stderr?: string; message: string }) => error,
	);
	if (failed) {
		throw new Error(`could not start the Samba AD DC (${SCRIPT} ensure ${SAMBA_DC_DIR}): ${failed.stderr?.trim().split('\n').slice(-15).join('\n') || failed.message}`);
	}
	return {
		url: 'ldaps://127.0.0.1:636',
		plainUrl: 'ldap://127.0.0.1:389',
		host: '127.0.0.1',
		tlsServerName: 'dc1.widip.test',
		caPem: readFileSync(path.join(SAMBA_DC_DIR, 'private/tls/ca.pem'), 'utf8'),
		baseDn: 'DC=widip,DC=test',
		realm: 'WIDIP.TEST',
		upnSuffix: 'widip.test',
		adminUpn: 'Administrator@WIDIP.TEST',
		adminPassword: readFileSync(path.join(SAMBA_DC_DIR, 'admin.pw'), 'utf8'),
		stateDir: SAMBA_DC_DIR,
		confPath: path.join(SAMBA_DC_DIR, 'etc/smb.conf'),
	};
}

/**
 * The shared Samba AD DC (realm WIDIP.TEST), started or reused: installs the Debian packages and
 * provisions on first use (~25 s as root on a clean machine), ~1 s to start a provisioned one, ~0.3 s
 * when it already runs. Safe to call from every test file and worker at once (flock in the script).
 */
export function ensureDc(): Promise<SambaDc> {
	ready ??= start().catch((error) => {
		ready = undefined;
		throw error;
	});
	return ready;
}

/** Gives back this process's hold on the DC; stops it when no other live holder is left. */
export async function releaseDc(holder = process.pid): Promise<void> {
	ready = undefined;
	await run('bash', [SCRIPT, 'release', SAMBA_DC_DIR, String(holder)], { timeout: 60_000 });
}
