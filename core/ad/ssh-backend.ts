import type { Client } from 'ssh2';
import type { z } from 'zod/v4';

import { WidipError, type WidipErrorKind } from '../errors';
import type { Logger } from '../logger';
import type { SshConfig } from './config';
import {
	dnAnswer,
	errorAnswer,
	infoAnswer,
	okAnswer,
	statusAnswer,
	toInfo,
	toStatus,
	verifyAnswer,
} from './ssh-answers';
import { assertCreatable, assertTargetOu, assertWritable } from './protected';
import { SshExecError, sshExec, type ExecFailure, type ExecResult } from './ssh-exec';
import { factsAnswer, toFacts } from './ssh-facts';
import { sshCommandLine, type SshOperation } from './ssh-scripts';
import type { AdBackend, AdUserInfo, AdUserStatus, NewAdUser } from './types';

/** The catalogue operation each script serves, to name it in errors. */
const OPERATION_IDS: Record<SshOperation, string> = {
	verify: 'ad.verify',
	check_user: 'ad.check_user',
	get_user_info: 'ad.get_user_info',
	// only ever run as the first step of a write, and named after it (see checkedGuid)
	account_facts: 'ad.account_facts',
	reset_password: 'ad.reset_password',
	unlock_account: 'ad.unlock_account',
	enable_account: 'ad.enable_account',
	disable_account: 'ad.disable_account',
	move_to_ou: 'ad.move_to_ou',
	create_user: 'ad.create_user',
	delete_user: 'ad.delete_user',
};

/** Operations that change the directory: a timeout while they run leaves their outcome unknown. */
const WRITES = new Set<SshOperation>([
	'reset_password',
	'unlock_account',
	'enable_account',
	'disable_account',
	'move_to_ou',
	'create_user',
	'delete_user',
]);

const CATEGORIES: Record<string, WidipErrorKind> = {
	not_found: 'not_found',
	bad_request: 'bad_request',
	auth: 'auth',
	conflict: 'conflict',
	unavailable: 'unavailable',
	timeout: 'timeout',
};

/**
 * Escapes every non-ASCII character of a JSON text as \uXXXX: the request reaches PowerShell as
 * pure ASCII, whatever the server's console code page.
 */
export function asciiJson(value: unknown): string {
	return JSON.stringify(value).replace(
		/[\u007f-\uffff]/g,
		(char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
	);
}

/** Server text made fit for an error message: secrets removed, one line, bounded. */
function clean(text: string, secrets: readonly string[]): string {
	let out = text;
	for (const secret of secrets) if (secret) out = out.split(secret).join('[redacted]');
	out = Array.from(out, (char) =>
		char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f ? ' ' : char,
	)
		.join('')
		.replace(/\s+/g, ' ')
		.trim();
	return out.length > 300 ? `${out.slice(0, 297)}...` : out;
}

/** Windows PowerShell writes errors to stderr as CLIXML when its output is redirected: keep the text. */
function stderrText(stderr: Buffer): string {
	const text = stderr.toString('utf8');
	if (!text.includes('#< CLIXML')) return text;
	const parts = [...text.matchAll(/<S S="Error">([\s\S]*?)<\/S>/g)].map((match) =>
		match[1]
			.replace(/_x([0-9A-Fa-f]{4})_/g, (_all, hex: string) =>
				String.fromCharCode(parseInt(hex, 16)),
			)
			.replace(/&lt;/g, '<')
			.replace(/&gt;/g, '>')
			.replace(/&quot;/g, '"')
			.replace(/&apos;/g, "'")
			.replace(/&amp;/g, '&'),
	);
	return parts.join(' ');
}

/** The JSON answer: the whole of stdout, or its last line when something printed before it. */
function parseAnswer(stdout: Buffer): unknown {
	const text = stdout
		.toString('utf8')
		.replace(/^\uFEFF/, '')
		.trim();
	if (text === '') return undefined;
	try {
		return JSON.parse(text);
	} catch {
		const last = text
			.split(/\r?\n/)
			.filter((line) => line.trim().startsWith('{'))
			.pop();
		if (last === undefined) return undefined;
		try {
			return JSON.parse(last);
		} catch {
			return undefined;
		}
	}
}

interface Request {
	op: SshOperation;
	[key: string]: unknown;
}

/**
 * Active Directory through the ActiveDirectory PowerShell module of a Windows server, over SSH.
 *
 * - One SSH connection per operation (AD operations are rare and a fresh connection never carries
 *   a half-broken state); close() ends any still running.
 * - The server's host key must match the pinned SHA-256 fingerprint, checked before we
 *   authenticate: any other key ends the connection and nothing is run.
 * - The command line is always `<powershell> -NoProfile -NonInteractive -EncodedCommand <fixed
 *   script>`; every value (account name, OU, names, the new password) travels only in the JSON
 *   written to stdin, so no quoting rule of cmd.exe or PowerShell can ever apply to it.
 * - One deadline (timeoutMs) for connecting, authenticating and running.
 * - Logs name the operation, host, exit code and duration; never the request.
 */
export class SshBackend implements AdBackend {
	readonly kind = 'ssh' as const;
	private readonly open = new Set<Client>();

	constructor(
		readonly config: SshConfig,
		readonly logger?: Logger,
	) {}

	private where(): string {
		return `${this.config.host}:${this.config.port}`;
	}

	private fail(
		kind: WidipErrorKind,
		op: SshOperation,
		message: string,
		cause?: unknown,
	): WidipError {
		const operation = OPERATION_IDS[op];
		return new WidipError(kind, `Active Directory over SSH (${operation}): ${message}`, {
			service: 'ad',
			operation,
			cause,
		});
	}

	/** `writing`: whether the script that was running changes the directory. */
	private transportError(op: SshOperation, failure: ExecFailure, writing: boolean): WidipError {
		const where = this.where();
		switch (failure.reason) {
			case 'host_key':
				return this.fail(
					'auth',
					op,
					`the host key of ${where} does not match the pinned fingerprint (the server presented ${failure.presented}, expected ${failure.expected}); disconnected before logging in, nothing was run. If the server's key was changed on purpose, pin the new fingerprint (ssh-keygen -lf on the server's public host key).`,
				);
			case 'auth':
				return this.fail(
					'auth',
					op,
					`${where} refused the login of "${this.config.username}" (check the SSH password or private key)`,
				);
			case 'refused':
				return this.fail(
					'unavailable',
					op,
					`${where} refused the connection (is the SSH server running?)`,
				);
			case 'unreachable':
				return this.fail(
					'unavailable',
					op,
					`${where} is unreachable (${clean(failure.detail, [])})`,
				);
			case 'bad_key':
				return this.fail(
					'bad_request',
					op,
					`cannot connect to ${where}: ${failure.detail} (use an unencrypted OpenSSH or PEM private key)`,
				);
			case 'timeout':
				return this.fail(
					'timeout',
					op,
					failure.phase === 'connecting'
						? `no SSH session with ${where} within ${this.config.timeoutMs} ms (nothing was run)`
						: `PowerShell on ${where} did not answer within ${this.config.timeoutMs} ms` +
								(writing
									? '; the change may or may not have been made: check the account before trying again'
									: ''),
				);
			case 'closed':
				return this.fail(
					'unavailable',
					op,
					`the connection to ${where} was lost ${failure.phase === 'connecting' ? 'while connecting' : 'before PowerShell answered'} (${clean(failure.detail, [])})` +
						(failure.phase === 'running' && writing
							? '; the change may or may not have been made'
							: ''),
				);
			case 'too_large':
				return this.fail(
					'unavailable',
					op,
					`PowerShell on ${where} answered more than ${failure.limit} bytes: not an answer of ours`,
				);
			case 'exec_refused':
				return this.fail(
					'unavailable',
					op,
					`${where} refused to run PowerShell (${clean(failure.detail, [])})`,
				);
		}
	}

	/**
	 * Runs one script with its request and returns its parsed answer, or throws a WidipError.
	 * `as`: the operation named in errors, when this script is a step of another one.
	 */
	private async run<S extends z.ZodType>(
		request: Request,
		schema: S,
		secrets: readonly string[] = [],
		as: SshOperation = request.op,
	): Promise<z.output<S>> {
		const op = as;
		const step = request.op === as ? op : `${request.op} (for ${as})`;
		const where = this.where();
		if (!this.config.password && !this.config.privateKey) {
			throw this.fail('bad_request', op, 'the SSH credential needs a password or a private key');
		}
		if (/\s/.test(this.config.powershell)) {
			// Windows OpenSSH hands the command line to its default shell (cmd.exe or PowerShell), whose
			// quoting rules differ: a path with spaces cannot be written safely for both.
			throw this.fail(
				'bad_request',
				op,
				`the PowerShell path "${this.config.powershell}" contains spaces: use a path without spaces (e.g. the 8.3 short name) or just powershell.exe / pwsh.exe`,
			);
		}
		const started = Date.now();
		this.logger?.debug(`ad ssh: ${step} on ${where}`);
		let result: ExecResult;
		try {
			result = await sshExec(
				{
					host: this.config.host,
					port: this.config.port,
					username: this.config.username,
					password: this.config.password,
					privateKey: this.config.privateKey,
					hostKeySha256: this.config.hostKeySha256,
					timeoutMs: this.config.timeoutMs,
				},
				sshCommandLine(this.config.powershell, request.op),
				asciiJson(request),
				this.open,
			);
		} catch (error) {
			if (!(error instanceof SshExecError)) throw error;
			const mapped = this.transportError(op, error.failure, WRITES.has(request.op));
			this.logger?.warn(
				`ad ssh: ${step} on ${where} failed after ${Date.now() - started} ms: ${mapped.message}`,
			);
			throw mapped;
		}
		this.logger?.debug(
			`ad ssh: ${step} on ${where} exited with ${result.exitCode ?? result.signal ?? 'no status'} in ${Date.now() - started} ms`,
		);

		const answer = parseAnswer(result.stdout);
		const refusal = errorAnswer.safeParse(answer);
		if (refusal.success) throw this.refusal(op, refusal.data.error, secrets);
		if (result.exitCode !== 0) {
			const detail = clean(stderrText(result.stderr) || result.stdout.toString('utf8'), secrets);
			if (
				result.exitCode === 127 ||
				/is not recognized as an internal or external command/i.test(detail)
			) {
				throw this.fail(
					'unavailable',
					op,
					`PowerShell (${this.config.powershell}) was not found on ${where}${detail ? `: ${detail}` : ''}`,
				);
			}
			const status =
				result.exitCode === null
					? `was stopped${result.signal ? ` by ${result.signal}` : ''} without an exit code`
					: `exited with code ${result.exitCode}`;
			throw this.fail(
				'unavailable',
				op,
				`PowerShell on ${where} ${status}${detail ? `: ${detail}` : ' and printed nothing'}`,
			);
		}
		if (answer === undefined) {
			const shown = clean(result.stdout.toString('utf8'), secrets);
			throw this.fail(
				'unavailable',
				op,
				`PowerShell on ${where} answered something that is not JSON${shown ? ` (${shown.slice(0, 120)})` : ' (nothing)'}`,
			);
		}
		const parsed = schema.safeParse(answer);
		if (!parsed.success) {
			throw this.fail(
				'unavailable',
				op,
				`PowerShell on ${where} answered in an unexpected shape (${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(answer)'}: ${issue.message}`).join('; ')})`,
			);
		}
		return parsed.data;
	}

	private refusal(
		op: SshOperation,
		error: { category: string; type?: string | null; message?: string | null },
		secrets: readonly string[],
	): WidipError {
		const kind = CATEGORIES[error.category] ?? 'unavailable';
		const said = clean(error.message ?? '', secrets) || error.type || 'no details';
		switch (kind) {
			case 'not_found':
				return this.fail('not_found', op, `no such account or object: ${said}`);
			case 'bad_request':
				return this.fail(
					'bad_request',
					op,
					/^ADPassword/.test(error.type ?? '')
						? `the domain refused the new password: ${said}`
						: `refused by Active Directory: ${said}`,
				);
			case 'auth':
				return this.fail(
					'auth',
					op,
					`the service account may not do this (access denied): ${said}`,
				);
			case 'conflict':
				// AccountChanged: Get-CheckedUser found another object than the one checked
				return this.fail('conflict', op, error.type === 'AccountChanged' ? `refused: ${said}` : `already exists: ${said}`);
			default:
				return this.fail(kind, op, `Active Directory failed on ${this.where()}: ${said}`);
		}
	}

	async verify(): Promise<void> {
		await this.run({ op: 'verify' }, verifyAnswer);
	}

	async checkUser(sam: string): Promise<AdUserStatus | null> {
		try {
			return toStatus(await this.run({ op: 'check_user', sam }, statusAnswer));
		} catch (error) {
			if (error instanceof WidipError && error.kind === 'not_found') return null;
			throw error;
		}
	}

	async getUserInfo(sam: string): Promise<AdUserInfo> {
		return toInfo(await this.run({ op: 'get_user_info', sam }, infoAnswer));
	}

	/**
	 * The verify step of every write to an existing account: reads the account's facts, lets
	 * protected.ts refuse a privileged or excluded account (nothing else is run then), and returns
	 * the objectGUID the write script must find again (Get-CheckedUser).
	 */
	private async checkedGuid(op: SshOperation, sam: string): Promise<string> {
		const facts = await this.run({ op: 'account_facts', sam }, factsAnswer, [], op);
		assertWritable(OPERATION_IDS[op], toFacts(facts), this.config, sam);
		return facts.objectGuid;
	}

	async resetPassword(
		sam: string,
		newPassword: string,
		mustChangeAtNextLogon: boolean,
	): Promise<void> {
		const guid = await this.checkedGuid('reset_password', sam);
		await this.run(
			{ op: 'reset_password', sam, guid, password: newPassword, mustChange: mustChangeAtNextLogon },
			okAnswer,
			[newPassword],
		);
	}

	async unlock(sam: string): Promise<void> {
		const guid = await this.checkedGuid('unlock_account', sam);
		await this.run({ op: 'unlock_account', sam, guid }, okAnswer);
	}

	async setEnabled(sam: string, enabled: boolean): Promise<void> {
		const op = enabled ? 'enable_account' : 'disable_account';
		const guid = await this.checkedGuid(op, sam);
		await this.run({ op, sam, guid }, okAnswer);
	}

	async moveToOu(sam: string, targetOuDn: string): Promise<string> {
		const guid = await this.checkedGuid('move_to_ou', sam);
		assertTargetOu(OPERATION_IDS.move_to_ou, targetOuDn, this.config);
		return (await this.run({ op: 'move_to_ou', sam, guid, ou: targetOuDn }, dnAnswer)).distinguishedName;
	}

	async createUser(user: NewAdUser): Promise<string> {
		assertCreatable(OPERATION_IDS.create_user, user.sAMAccountName, user.ouDn, this.config);
		const request: Request = {
			op: 'create_user',
			sam: user.sAMAccountName,
			givenName: user.givenName,
			surname: user.surname,
			displayName: user.displayName ?? `${user.givenName} ${user.surname}`,
			mail: user.mail ?? null,
			title: user.title ?? null,
			department: user.department ?? null,
			ou: user.ouDn,
			password: user.password,
			enabled: user.enabled,
			mustChange: user.mustChangePassword,
		};
		return (await this.run(request, dnAnswer, [user.password])).distinguishedName;
	}

	async deleteUser(sam: string): Promise<void> {
		const guid = await this.checkedGuid('delete_user', sam);
		await this.run({ op: 'delete_user', sam, guid }, okAnswer);
	}

	/** Ends every connection still open (an operation in flight fails with `unavailable`). */
	async close(): Promise<void> {
		for (const client of this.open) client.end();
		this.open.clear();
	}
}
