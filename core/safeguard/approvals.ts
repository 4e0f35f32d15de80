import { createHash, randomBytes } from 'node:crypto';

import type Redis from 'ioredis';

import type { AnyOperation } from '../catalogue/operation';
import { WidipError } from '../errors';
import { argumentsDigest, canonicalJson } from './canonical';
import { DEFAULT_POLICY, MAX_APPROVAL_TTL_MINUTES, MIN_APPROVAL_TTL_MINUTES } from './decision';
import { lookAlikeWarnings } from './lookalike';
import { APPROVAL_SCRIPTS } from './approval-scripts';
import { redactArguments } from './redact';

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'released' | 'executed';
export const APPROVAL_STATUSES: readonly ApprovalStatus[] = ['pending', 'approved', 'rejected', 'expired', 'released', 'executed'];

/**
 * Where a request came from. `tool`: a node run as an AI tool (bound to its workflow and node);
 * `gate`: a Safeguard Gate (bound to its execution and node); `mcp`: the runtime's MCP server
 * (bound to the agent key's identity).
 */
export type Face = 'tool' | 'gate' | 'mcp';

export interface Requester {
	face: Face;
	agent?: string;
	workflow?: string;
	node?: string;
	execution?: string;
}

/** Who may use an approval: the same face and the same identity that asked for it. */
export function bindingOf(requester: Requester): string {
	switch (requester.face) {
		case 'gate':
			return canonicalJson({ face: 'gate', execution: requester.execution ?? '', node: requester.node ?? '' });
		case 'tool':
			return canonicalJson({ face: 'tool', workflow: requester.workflow ?? '', node: requester.node ?? '' });
		default:
			return canonicalJson({ face: 'mcp', agent: requester.agent ?? '' });
	}
}

export interface ApprovalRequest {
	id: string;
	operationId: string;
	level: number;
	/** Canonical arguments with secrets redacted: what a technician is shown. */
	arguments: Record<string, unknown>;
	/** Text in the arguments a technician could misread (non-ASCII, mixed alphabets). */
	warnings: string[];
	requester: Requester;
	reason: string;
	confidence: number | null;
	createdAt: string;
	expiresAt: string;
	status: ApprovalStatus;
	approver: string | null;
	comment: string | null;
	decidedAt: string | null;
	executedAt: string | null;
	result: string | null;
}

export interface ApprovalPage {
	requests: ApprovalRequest[];
	/** Pass as `cursor` for the next (older) page; null at the end. */
	next: string | null;
	/** Records that could not be read (corrupt): left out, never a failure of the whole list. */
	skipped: number;
}

export interface ListOptions {
	status?: ApprovalStatus | 'all';
	operationId?: string;
	agent?: string;
	face?: Face;
	limit?: number;
	cursor?: string;
}

/** How long a decided request stays readable for audit after it expired. */
const RETENTION_MS = 7 * 24 * 3600_000;
/** Canonical arguments above this size are refused before anything is stored. */
export const MAX_ARGUMENTS_BYTES = 128 * 1024;
const MAX_REASON_CHARS = 2000;
const MAX_NAME_CHARS = 200;
export const MAX_PAGE_SIZE = 200;
/** Index entries read per list call at most, so one call stays bounded whatever the filter. */
const MAX_SCANNED = 5000;
const LIST_BATCH = 200;

type ApprovalCommands = Redis & {
	widipApprovalCreate(...args: string[]): Promise<[string, number, number]>;
	widipApprovalDecide(key: string, ...args: string[]): Promise<string>;
	widipApprovalConsume(key: string, ...args: string[]): Promise<string>;
	widipApprovalRelease(key: string, ...args: string[]): Promise<string>;
	widipApprovalConsumeReleased(key: string, ...args: string[]): Promise<string>;
	widipApprovalExpire(key: string): Promise<string>;
};

export interface NewRequest {
	operation: AnyOperation;
	args: Record<string, unknown>;
	requester: Requester;
	reason: string;
	confidence?: number;
	ttlMs?: number;
	/** The effective level when policy overrides the catalogue's (default: the catalogue's). */
	level?: number;
	/** Pending requests this requester may have at once (default 10). */
	maxPending?: number;
	/**
	 * Where to resume a waiting n8n execution once the request is decided or expires (Safeguard
	 * Gate). Kept out of what technicians and audit see.
	 */
	resumeUrl?: string;
}

/** A request whose waiting n8n execution must be resumed: what the runtime's resumer needs. */
export interface ResumeTarget {
	id: string;
	status: ApprovalStatus;
	resumeUrl: string;
	expiresAtMs: number;
}

const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

function badRequest(message: string, operation?: string): WidipError {
	return new WidipError('bad_request', message, { service: 'safeguard', operation });
}

/** Bounds every face applies to a request's lifetime. */
export function checkTtlMs(ttlMs: unknown): number {
	const minutes = typeof ttlMs === 'number' ? ttlMs / 60_000 : Number.NaN;
	if (!Number.isFinite(minutes) || minutes < MIN_APPROVAL_TTL_MINUTES || minutes > MAX_APPROVAL_TTL_MINUTES) {
		throw badRequest(
			`an approval request must expire after ${MIN_APPROVAL_TTL_MINUTES} minute to ${MAX_APPROVAL_TTL_MINUTES / 1440} days (got ${String(ttlMs)} ms)`,
		);
	}
	return Math.round(ttlMs as number);
}

/**
 * Approval requests in Redis. An approval binds the exact arguments (a keyed digest of their
 * canonical JSON) and the requester that asked; approved → executed is one Lua step, so an
 * approval runs at most once, and only for whoever asked.
 */
export class Approvals {
	private readonly redis: ApprovalCommands;

	constructor(
		redis: Redis,
		private readonly prefix: string,
		private readonly defaultTtlMs = DEFAULT_POLICY.approvalTtlMinutes * 60_000,
	) {
		this.redis = redis as ApprovalCommands;
		if (typeof this.redis.widipApprovalDecide !== 'function') {
			for (const [name, { keys, lua }] of Object.entries(APPROVAL_SCRIPTS)) redis.defineCommand(name, { numberOfKeys: keys, lua });
		}
	}

	key(id: string): string {
		return `${this.prefix}safeguard:approval:${id}`;
	}

	/** Sorted set of request ids by creation time: the technicians' list. */
	get indexKey(): string {
		return `${this.prefix}safeguard:approvals`;
	}

	/** Sorted set of requests with a waiting n8n execution, score = expiry (ms): the resumer's work list. */
	get waitingKey(): string {
		return `${this.prefix}safeguard:waiting`;
	}

	/** One requester's pending requests, score = expiry: what the quota counts. */
	pendingKey(requester: Requester): string {
		const hash = createHash('sha256').update(bindingOf(requester)).digest('hex').slice(0, 32);
		return `${this.prefix}safeguard:pending:${hash}`;
	}

	async request(input: NewRequest): Promise<ApprovalRequest> {
		const { operation, args } = input;
		const level = input.level ?? operation.level;
		if (level >= 4) throw badRequest(`${operation.id} is L4 (forbidden to AI): it cannot be requested or approved`, operation.id);
		const canonical = canonicalJson(args);
		if (Buffer.byteLength(canonical) > MAX_ARGUMENTS_BYTES) {
			throw badRequest(`the arguments of ${operation.id} are larger than ${MAX_ARGUMENTS_BYTES / 1024} KiB: no request was stored`, operation.id);
		}
		const ttlMs = checkTtlMs(input.ttlMs ?? this.defaultTtlMs);
		const maxPending = input.maxPending ?? DEFAULT_POLICY.maxPendingPerRequester;
		const id = randomBytes(16).toString('base64url');
		const salt = randomBytes(32).toString('hex');
		const requester = Object.fromEntries(
			Object.entries(input.requester).map(([key, value]) => [key, String(value ?? '').slice(0, MAX_NAME_CHARS)]),
		) as unknown as Requester;
		const fields: Record<string, string> = {
			id,
			operationId: operation.id,
			level: String(level),
			salt,
			digest: argumentsDigest(operation.id, args, salt),
			boundTo: bindingOf(requester),
			arguments: canonicalJson(redactArguments(operation, args)),
			requester: JSON.stringify(requester),
			reason: input.reason.slice(0, MAX_REASON_CHARS),
			confidence: input.confidence === undefined ? '' : String(input.confidence),
			createdAt: new Date().toISOString(),
			status: 'pending',
			pendingKey: this.pendingKey(requester),
			...(input.resumeUrl ? { resumeUrl: input.resumeUrl } : {}),
		};
		const [outcome, count] = await this.redis.widipApprovalCreate(
			this.key(id),
			this.indexKey,
			this.pendingKey(requester),
			this.waitingKey,
			String(maxPending),
			String(ttlMs),
			String(RETENTION_MS),
			input.resumeUrl ? '1' : '0',
			...Object.entries(fields).flat(),
		);
		if (outcome === 'quota') {
			throw new WidipError(
				'rate_limited',
				`too many approval requests waiting for this requester (${count}, at most ${maxPending}): wait for a technician to decide before asking again`,
				{ service: 'safeguard', operation: operation.id },
			);
		}
		return (await this.get(id))!;
	}

	async get(id: string): Promise<ApprovalRequest | null> {
		if (!ID_PATTERN.test(id)) return null;
		const request = this.fromRow(await this.redis.hgetall(this.key(id)));
		return request === 'corrupt' ? null : request;
	}

	/**
	 * The technicians' list, newest first, one page at a time, filtered by status, operation,
	 * agent or face. A record that cannot be read is skipped and counted, never a failure; ids
	 * whose request is gone (retention over) leave the index.
	 */
	async list(options: ListOptions = {}): Promise<ApprovalPage> {
		const limit = Math.min(Math.max(1, Math.floor(options.limit ?? 50)), MAX_PAGE_SIZE);
		const status = options.status ?? 'pending';
		const out: ApprovalRequest[] = [];
		let skipped = 0;
		let scanned = 0;
		let lastScore: string | undefined;
		let exhausted = false;
		// Scores are unique (the create script makes them so): an exclusive score is a safe cursor.
		let max = options.cursor ? `(${parseCursor(options.cursor)}` : '+inf';
		while (out.length < limit && scanned < MAX_SCANNED) {
			const flat = await this.redis.zrevrangebyscore(this.indexKey, max, '-inf', 'WITHSCORES', 'LIMIT', 0, LIST_BATCH);
			const batch: { id: string; score: string }[] = [];
			for (let i = 0; i < flat.length; i += 2) batch.push({ id: flat[i], score: flat[i + 1] });
			const read = this.redis.pipeline();
			for (const entry of batch) read.hgetall(this.key(entry.id));
			const rows = batch.length > 0 ? ((await read.exec()) ?? []) : [];
			const gone: string[] = [];
			let used = 0;
			for (const [index, [error, row]] of rows.entries()) {
				if (error) throw error;
				used++;
				scanned++;
				lastScore = batch[index].score;
				const request = this.fromRow(row as Record<string, string>);
				if (request === null) gone.push(batch[index].id);
				else if (request === 'corrupt') skipped++;
				else if (matches(request, status, options)) out.push(request);
				if (out.length === limit) break;
			}
			if (gone.length > 0) await this.redis.zrem(this.indexKey, ...gone);
			if (batch.length < LIST_BATCH && used === batch.length) {
				exhausted = true;
				break;
			}
			max = `(${lastScore}`;
		}
		return { requests: out, next: exhausted || lastScore === undefined ? null : lastScore, skipped };
	}

	private fromRow(row: Record<string, string>): ApprovalRequest | 'corrupt' | null {
		if (!row || Object.keys(row).length === 0) return null;
		try {
			if (!ID_PATTERN.test(row.id) || !row.operationId) return 'corrupt';
			const expiresAtMs = Number(row.expiresAtMs);
			if (!Number.isFinite(expiresAtMs)) return 'corrupt';
			const status = row.status as ApprovalStatus;
			if (!APPROVAL_STATUSES.includes(status)) return 'corrupt';
			const args = JSON.parse(row.arguments) as Record<string, unknown>;
			if (!args || typeof args !== 'object' || Array.isArray(args)) return 'corrupt';
			const expired = (status === 'pending' || status === 'approved') && Date.now() > expiresAtMs;
			return {
				id: row.id,
				operationId: row.operationId,
				level: Number(row.level),
				arguments: args,
				warnings: lookAlikeWarnings(args),
				requester: JSON.parse(row.requester) as Requester,
				reason: row.reason ?? '',
				confidence: row.confidence === '' || row.confidence === undefined ? null : Number(row.confidence),
				createdAt: row.createdAt,
				expiresAt: new Date(expiresAtMs).toISOString(),
				status: expired ? 'expired' : status,
				approver: row.approver ?? null,
				comment: row.comment ?? null,
				decidedAt: row.decidedAt ?? null,
				executedAt: row.executedAt ?? null,
				result: row.result ?? null,
			};
		} catch {
			return 'corrupt';
		}
	}

	/** Returns 'ok' or why not: 'not_found', 'expired', or the status it already has. */
	async decide(id: string, decision: 'approved' | 'rejected', approver: string, comment: string): Promise<string> {
		if (decision === 'rejected' && !comment.trim()) throw badRequest('a rejection needs a comment');
		if (!ID_PATTERN.test(id)) return 'not_found';
		return await this.redis.widipApprovalDecide(this.key(id), decision, approver, comment, new Date().toISOString());
	}

	/**
	 * A tool or MCP call presenting its approval: 'ok' exactly once, for the requester that asked
	 * and the approved operation and arguments; otherwise why not ('foreign', 'mismatch', …).
	 */
	async consume(id: string, operationId: string, args: Record<string, unknown>, requester: Requester): Promise<string> {
		if (!ID_PATTERN.test(id)) return 'not_found';
		const salt = await this.redis.hget(this.key(id), 'salt');
		if (!salt) return 'not_found';
		return await this.redis.widipApprovalConsume(
			this.key(id),
			bindingOf(requester),
			operationId,
			argumentsDigest(operationId, args, salt),
			new Date().toISOString(),
		);
	}

	/**
	 * The Safeguard Gate's resume: approved → released, only for the Gate (execution and node)
	 * that asked and only before expiry ('expired' after). The released approval then runs once
	 * in that execution, through consumeReleased().
	 */
	async release(id: string, requester: Requester): Promise<string> {
		if (!ID_PATTERN.test(id)) return 'not_found';
		return await this.redis.widipApprovalRelease(this.key(id), bindingOf(requester), requester.execution ?? '', new Date().toISOString());
	}

	/** A node after a Gate running the released action: once, in the Gate's execution, with the approved arguments. */
	async consumeReleased(id: string, operationId: string, args: Record<string, unknown>, execution: string): Promise<string> {
		if (!ID_PATTERN.test(id)) return 'not_found';
		const salt = await this.redis.hget(this.key(id), 'salt');
		if (!salt) return 'not_found';
		return await this.redis.widipApprovalConsumeReleased(
			this.key(id),
			execution,
			operationId,
			argumentsDigest(operationId, args, salt),
			new Date().toISOString(),
		);
	}

	/** Marks a pending request past its expiry as expired: 'ok' once, then its status. */
	async expire(id: string): Promise<string> {
		if (!ID_PATTERN.test(id)) return 'not_found';
		return await this.redis.widipApprovalExpire(this.key(id));
	}

	/** Requests whose n8n execution still waits to be resumed, soonest expiry first. */
	async waiting(limit = 500): Promise<ResumeTarget[]> {
		const ids = await this.redis.zrange(this.waitingKey, 0, String(limit - 1));
		const targets: ResumeTarget[] = [];
		for (const id of ids) {
			const [status, resumeUrl, expiresAtMs] = await this.redis.hmget(this.key(id), 'status', 'resumeUrl', 'expiresAtMs');
			if (!status || !resumeUrl) {
				await this.redis.zrem(this.waitingKey, id);
				continue;
			}
			targets.push({ id, status: status as ApprovalStatus, resumeUrl, expiresAtMs: Number(expiresAtMs) });
		}
		return targets;
	}

	/** The execution was resumed (or can no longer be): drop it from the work list. */
	async resumed(id: string): Promise<void> {
		await this.redis.zrem(this.waitingKey, id);
	}

	async recordResult(id: string, summary: string): Promise<void> {
		await this.redis.hset(this.key(id), 'result', summary.slice(0, 500));
	}
}

function parseCursor(cursor: string): string {
	if (!/^\d{1,16}(\.\d{1,6})?$/.test(cursor)) throw badRequest('cursor: not a cursor returned by a previous page');
	return cursor;
}

function matches(request: ApprovalRequest, status: ApprovalStatus | 'all', options: ListOptions): boolean {
	if (status !== 'all' && request.status !== status) return false;
	if (options.operationId && request.operationId !== options.operationId) return false;
	if (options.agent && request.requester.agent !== options.agent) return false;
	if (options.face && request.requester.face !== options.face) return false;
	return true;
}
