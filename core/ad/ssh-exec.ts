import { createHash, timingSafeEqual } from 'node:crypto';

import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';

/**
 * One command over one SSH connection, with the server's host key pinned: connect, check the host
 * key against the SHA-256 fingerprint, authenticate, exec the command line, write stdin, close
 * stdin, collect stdout / stderr and the exit status, disconnect. Everything within one deadline.
 * This module knows nothing of AD; ssh-backend.ts turns its outcomes into WidipErrors.
 */

export interface SshTarget {
	host: string;
	port: number;
	username: string;
	password?: string;
	privateKey?: string;
	/** `SHA256:…` (or the bare base64) as `ssh-keygen -lf` prints it. */
	hostKeySha256: string;
	timeoutMs: number;
}

export interface ExecResult {
	/** null when the server sent no exit status (killed by a signal, or a server that omits it). */
	exitCode: number | null;
	signal: string | null;
	stdout: Buffer;
	stderr: Buffer;
}

export type ExecFailure =
	/** The server presented another host key: we disconnected before authenticating. */
	| { reason: 'host_key'; presented: string; expected: string }
	| { reason: 'auth'; detail: string }
	| { reason: 'refused'; detail: string }
	| { reason: 'unreachable'; detail: string }
	| { reason: 'bad_key'; detail: string }
	/** `phase` says how far we got: a timeout while running may have changed something. */
	| { reason: 'timeout'; phase: 'connecting' | 'running' }
	| { reason: 'closed'; phase: 'connecting' | 'running'; detail: string }
	| { reason: 'too_large'; limit: number }
	| { reason: 'exec_refused'; detail: string };

export class SshExecError extends Error {
	constructor(readonly failure: ExecFailure) {
		super(`ssh ${failure.reason}`);
		this.name = 'SshExecError';
	}
}

/** The fingerprint as OpenSSH prints it: `SHA256:` + unpadded base64 of SHA-256(key blob). */
export function fingerprintOf(keyBlob: Buffer): string {
	return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

export function normaliseFingerprint(value: string): string {
	return `SHA256:${value
		.trim()
		.replace(/^SHA256:/i, '')
		.replace(/=+$/, '')}`;
}

function sameFingerprint(a: string, b: string): boolean {
	const left = Buffer.from(a);
	const right = Buffer.from(b);
	return left.length === right.length && timingSafeEqual(left, right);
}

/** Answers above this are not an AD answer: the connection is dropped. */
export const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/**
 * Runs `command` with `stdin` and resolves with whatever the command did (any exit code); rejects
 * with SshExecError when the transport fails, the host key is not the pinned one, or the deadline
 * passes. While it runs, the connection sits in `open` so that the caller can end it (close()).
 */
export async function sshExec(
	target: SshTarget,
	command: string,
	stdin: string,
	open?: Set<Client>,
): Promise<ExecResult> {
	const expected = normaliseFingerprint(target.hostKeySha256);
	const client = new Client();
	let presented: string | undefined;
	let hostKeyRefused = false;
	let phase: 'connecting' | 'running' = 'connecting';

	const done = new Promise<ExecResult>((resolve, reject) => {
		let settled = false;
		const finish = (error: SshExecError | undefined, result?: ExecResult) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			open?.delete(client);
			client.end();
			// A server that ignores our disconnect must not keep the process alive.
			setTimeout(() => client.destroy(), 1000).unref();
			if (error) reject(error);
			else resolve(result as ExecResult);
		};
		const timer = setTimeout(
			() => finish(new SshExecError({ reason: 'timeout', phase })),
			target.timeoutMs,
		);

		client.on('error', (error: Error & { level?: string; code?: string }) => {
			if (hostKeyRefused) {
				finish(
					new SshExecError({ reason: 'host_key', presented: presented ?? 'unknown', expected }),
				);
			} else if (error.level === 'client-authentication') {
				finish(new SshExecError({ reason: 'auth', detail: error.message }));
			} else if (error.level === 'client-timeout') {
				finish(new SshExecError({ reason: 'timeout', phase }));
			} else if (error.code === 'ECONNREFUSED') {
				finish(new SshExecError({ reason: 'refused', detail: error.message }));
			} else if (phase === 'connecting') {
				finish(new SshExecError({ reason: 'unreachable', detail: error.code ?? error.message }));
			} else {
				finish(new SshExecError({ reason: 'closed', phase, detail: error.code ?? error.message }));
			}
		});
		client.on('close', () => {
			finish(
				hostKeyRefused
					? new SshExecError({ reason: 'host_key', presented: presented ?? 'unknown', expected })
					: new SshExecError({
							reason: 'closed',
							phase,
							detail: 'the server closed the connection',
						}),
			);
		});

		client.on('ready', () => {
			phase = 'running';
			client.exec(command, (error: Error | undefined, stream: ClientChannel) => {
				if (error) {
					finish(new SshExecError({ reason: 'exec_refused', detail: error.message }));
					return;
				}
				const stdout: Buffer[] = [];
				const stderr: Buffer[] = [];
				let size = 0;
				let exitCode: number | null = null;
				let signal: string | null = null;
				const collect = (into: Buffer[]) => (chunk: Buffer) => {
					size += chunk.length;
					if (size > MAX_OUTPUT_BYTES) {
						finish(new SshExecError({ reason: 'too_large', limit: MAX_OUTPUT_BYTES }));
						return;
					}
					into.push(chunk);
				};
				stream.on('data', collect(stdout));
				stream.stderr.on('data', collect(stderr));
				stream.on('exit', (code: number | null, signalName?: string) => {
					if (typeof code === 'number') exitCode = code;
					if (signalName) signal = signalName;
				});
				stream.on('close', () => {
					finish(undefined, {
						exitCode,
						signal,
						stdout: Buffer.concat(stdout),
						stderr: Buffer.concat(stderr),
					});
				});
				stream.on('error', (streamError: Error) => {
					finish(new SshExecError({ reason: 'closed', phase, detail: streamError.message }));
				});
				stream.end(stdin);
			});
		});

		open?.add(client);
		const config: ConnectConfig = {
			host: target.host,
			port: target.port,
			username: target.username,
			password: target.password,
			privateKey: target.privateKey,
			readyTimeout: target.timeoutMs,
			// Only the pinned key: any other one ends the handshake before authentication.
			hostVerifier: (key: Buffer) => {
				presented = fingerprintOf(key);
				const ok = sameFingerprint(presented, expected);
				if (!ok) hostKeyRefused = true;
				return ok;
			},
			// Never fall back to an agent or to keyboard-interactive prompts.
			tryKeyboard: false,
		};
		try {
			client.connect(config);
		} catch (error) {
			// ssh2 throws synchronously when the private key cannot be parsed; its message never
			// contains the key, but we do not repeat it anyway.
			finish(
				new SshExecError({
					reason: 'bad_key',
					detail:
						error instanceof Error && /privateKey/i.test(error.message)
							? 'unreadable private key'
							: 'invalid connection settings',
				}),
			);
		}
	});
	return await done;
}
