import type Redis from 'ioredis';

import { canonicalJson } from './canonical';

export type AuditEvent = 'decision' | 'request' | 'approval' | 'rejection' | 'expiry' | 'release' | 'execution' | 'policy';

export interface AuditRecord {
	event: AuditEvent;
	operationId: string;
	/** Decision outcome, or the request / execution status. */
	outcome: string;
	actor?: string;
	approvalId?: string;
	/** Redacted arguments or a short summary; never a secret (callers pass redacted data). */
	detail?: Record<string, unknown>;
}

/** Keep the stream bounded; export it (JSON lines) before it rolls over if it must be kept. */
const MAX_ENTRIES = 100_000;

/**
 * The append-only record of every Safeguard decision, request, approval, rejection, expiry and
 * execution: a Redis stream, so every process appends to the same ordered log.
 */
export class AuditLog {
	constructor(
		private readonly redis: Redis,
		private readonly prefix: string,
	) {}

	get key(): string {
		return `${this.prefix}safeguard:audit`;
	}

	async append(record: AuditRecord): Promise<string> {
		const fields: string[] = ['at', new Date().toISOString(), 'event', record.event, 'operationId', record.operationId, 'outcome', record.outcome];
		if (record.actor) fields.push('actor', record.actor);
		if (record.approvalId) fields.push('approvalId', record.approvalId);
		if (record.detail) fields.push('detail', canonicalJson(record.detail));
		return (await this.redis.xadd(this.key, 'MAXLEN', '~', String(MAX_ENTRIES), '*', ...fields))!;
	}

	/** Every entry as one JSON object per line, oldest first: what `widip audit export` prints. */
	async *exportJsonLines(batch = 500, sinceMs?: number): AsyncGenerator<string> {
		// Stream ids start with their time in ms: `--since` is a range query, not a filter.
		let start = sinceMs === undefined ? '-' : `${Math.max(0, Math.floor(sinceMs))}-0`;
		for (;;) {
			const entries = await this.redis.xrange(this.key, start, '+', 'COUNT', batch);
			for (const [id, flat] of entries) {
				const entry: Record<string, unknown> = { id };
				for (let i = 0; i < flat.length; i += 2) entry[flat[i]] = flat[i] === 'detail' ? JSON.parse(flat[i + 1]) : flat[i + 1];
				yield JSON.stringify(entry);
			}
			if (entries.length < batch) return;
			start = `(${entries[entries.length - 1][0]}`;
		}
	}
}
