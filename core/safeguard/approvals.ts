import { randomBytes } from 'node:crypto';

import type Redis from 'ioredis';

import type { AnyOperation } from '../catalogue/operation';
import { WidipError } from '../errors';
import { argumentsDigest, canonicalJson } from './canonical';
import { redactArguments } from './redact';

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'executed';

export interface Requester {
	agent?: string;
	workflow?: string;
	execution?: string;
}

export interface ApprovalRequest {
	id: string;
	operationId: string;
	level: number;
	digest: string;
	/** Canonical arguments with secrets redacted: what a technician is shown. */
	arguments: Record<string, unknown>;
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

/** How long a decided request stays readable for audit after it expired. */
const RETENTION_MS = 7 * 24 * 3600_000;

const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** ARGV: new status, approver, comment, decided-at ISO. Pending and unexpired only. */
const DECIDE = `${NOW}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'not_found' end
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'pending' then return status end
if now > tonumber(redis.call('HGET', KEYS[1], 'expiresAtMs')) then
  redis.call('HSET', KEYS[1], 'status', 'expired')
  return 'expired'
end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'approver', ARGV[2], 'comment', ARGV[3], 'decidedAt', ARGV[4])
return 'ok'
`;

/**
 * ARGV: operation id, digest, executed-at ISO. approved → executed in one step, only for the exact
 * operation and arguments approved, only before expiry: whoever calls it twice, it runs once.
 */
const CONSUME = `${NOW}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'not_found' end
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'pending' and now > tonumber(redis.call('HGET', KEYS[1], 'expiresAtMs')) then
  redis.call('HSET', KEYS[1], 'status', 'expired')
  return 'expired'
end
if status ~= 'approved' then return status end
if now > tonumber(redis.call('HGET', KEYS[1], 'expiresAtMs')) then
  redis.call('HSET', KEYS[1], 'status', 'expired')
  return 'expired'
end
if redis.call('HGET', KEYS[1], 'operationId') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'digest') ~= ARGV[2] then
  return 'mismatch'
end
redis.call('HSET', KEYS[1], 'status', 'executed', 'executedAt', ARGV[3])
return 'ok'
`;

/** Pending and past its expiry → expired ('ok'); otherwise why not: 'not_found' or the status it has. */
const EXPIRE = `${NOW}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'not_found' end
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'pending' then return status end
if now <= tonumber(redis.call('HGET', KEYS[1], 'expiresAtMs')) then return 'pending' end
redis.call('HSET', KEYS[1], 'status', 'expired')
return 'ok'
`;

type ApprovalCommands = Redis & {
	widipApprovalDecide(key: string, ...args: string[]): Promise<string>;
	widipApprovalConsume(key: string, ...args: string[]): Promise<string>;
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

/**
 * Approval requests in Redis. An approval binds the exact arguments (SHA-256 of their canonical
 * JSON); approved → executed is one Lua step, so an approval runs at most once.
 */
export class Approvals {
	private readonly redis: ApprovalCommands;

	constructor(
		redis: Redis,
		private readonly prefix: string,
		private readonly defaultTtlMs = 60 * 60_000,
	) {
		this.redis = redis as ApprovalCommands;
		if (typeof this.redis.widipApprovalDecide !== 'function') {
			redis.defineCommand('widipApprovalDecide', { numberOfKeys: 1, lua: DECIDE });
			redis.defineCommand('widipApprovalConsume', { numberOfKeys: 1, lua: CONSUME });
			redis.defineCommand('widipApprovalExpire', { numberOfKeys: 1, lua: EXPIRE });
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

	async request(input: NewRequest): Promise<ApprovalRequest> {
		const { operation, args } = input;
		const level = input.level ?? operation.level;
		if (level >= 4) {
			throw new WidipError('bad_request', `${operation.id} is L4 (forbidden to AI): it cannot be requested or approved`, {
				service: 'safeguard',
				operation: operation.id,
			});
		}
		const id = randomBytes(16).toString('base64url');
		const now = Date.now();
		const expiresAtMs = now + (input.ttlMs ?? this.defaultTtlMs);
		const fields = {
			id,
			operationId: operation.id,
			level: String(level),
			digest: argumentsDigest(operation.id, args),
			arguments: canonicalJson(redactArguments(operation, args)),
			requester: JSON.stringify(input.requester),
			reason: input.reason,
			confidence: input.confidence === undefined ? '' : String(input.confidence),
			createdAt: new Date(now).toISOString(),
			expiresAtMs: String(expiresAtMs),
			status: 'pending',
			...(input.resumeUrl ? { resumeUrl: input.resumeUrl } : {}),
		};
		const key = this.key(id);
		const write = this.redis.multi().hset(key, fields).pexpireat(key, expiresAtMs + RETENTION_MS).zadd(this.indexKey, now, id);
		if (input.resumeUrl) write.zadd(this.waitingKey, expiresAtMs, id);
		await write.exec();
		return (await this.get(id))!;
	}

	async get(id: string): Promise<ApprovalRequest | null> {
		if (!ID_PATTERN.test(id)) return null;
		return this.fromRow(await this.redis.hgetall(this.key(id)));
	}

	/**
	 * The technicians' list, newest first, at most `limit`: every request or the pending ones. One
	 * pipelined read; ids whose request is gone (retention over) leave the index.
	 */
	async list(status: 'pending' | 'all', limit = 200): Promise<ApprovalRequest[]> {
		const ids = await this.redis.zrevrange(this.indexKey, 0, status === 'pending' ? -1 : limit - 1);
		if (ids.length === 0) return [];
		const read = this.redis.pipeline();
		for (const id of ids) read.hgetall(this.key(id));
		const rows = (await read.exec()) ?? [];
		const out: ApprovalRequest[] = [];
		const gone: string[] = [];
		for (const [index, [error, row]] of rows.entries()) {
			if (error) throw error;
			const request = this.fromRow(row as Record<string, string>);
			if (!request) gone.push(ids[index]);
			else if (status === 'all' || request.status === 'pending') out.push(request);
		}
		if (gone.length > 0) await this.redis.zrem(this.indexKey, ...gone);
		return out.slice(0, limit);
	}

	private fromRow(row: Record<string, string>): ApprovalRequest | null {
		if (!row.id) return null;
		const expired = row.status === 'pending' && Date.now() > Number(row.expiresAtMs);
		return {
			id: row.id,
			operationId: row.operationId,
			level: Number(row.level),
			digest: row.digest,
			arguments: JSON.parse(row.arguments),
			requester: JSON.parse(row.requester),
			reason: row.reason,
			confidence: row.confidence === '' ? null : Number(row.confidence),
			createdAt: row.createdAt,
			expiresAt: new Date(Number(row.expiresAtMs)).toISOString(),
			status: expired ? 'expired' : (row.status as ApprovalStatus),
			approver: row.approver ?? null,
			comment: row.comment ?? null,
			decidedAt: row.decidedAt ?? null,
			executedAt: row.executedAt ?? null,
			result: row.result ?? null,
		};
	}

	/** Returns 'ok' or why not: 'not_found', 'expired', or the status it already has. */
	async decide(id: string, decision: 'approved' | 'rejected', approver: string, comment: string): Promise<string> {
		if (decision === 'rejected' && !comment.trim()) {
			throw new WidipError('bad_request', 'a rejection needs a comment', { service: 'safeguard' });
		}
		if (!ID_PATTERN.test(id)) return 'not_found';
		return await this.redis.widipApprovalDecide(this.key(id), decision, approver, comment, new Date().toISOString());
	}

	/** 'ok' exactly once for the approved operation and arguments; otherwise why not. */
	async consume(id: string, operationId: string, args: Record<string, unknown>): Promise<string> {
		if (!ID_PATTERN.test(id)) return 'not_found';
		return await this.redis.widipApprovalConsume(this.key(id), operationId, argumentsDigest(operationId, args), new Date().toISOString());
	}

	/**
	 * Consumes an approval for the operation and arguments it was requested with (the Safeguard
	 * Gate's case: the approved arguments travel on with the item). Same atomic step as consume().
	 */
	async consumeAsRequested(id: string): Promise<string> {
		if (!ID_PATTERN.test(id)) return 'not_found';
		const [operationId, digest] = await this.redis.hmget(this.key(id), 'operationId', 'digest');
		if (!operationId || !digest) return 'not_found';
		return await this.redis.widipApprovalConsume(this.key(id), operationId, digest, new Date().toISOString());
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
