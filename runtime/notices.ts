import type Redis from 'ioredis';

import type { Logger } from '../core/logger';
import { MailClient } from '../core/mail/client';
import type { NoticeConfig } from './config';

/** What technicians are told: an L2 action the AI took, or a new request awaiting their decision. */
export interface Notice {
	kind: 'l2_action' | 'approval_request';
	auditId: string;
	at: string;
	operationId: string;
	level: number | null;
	approvalId?: string;
	/** Why the agent acted, as it said. */
	agentReason: string;
	requester: Record<string, unknown>;
	/** Already redacted by Safeguard before it reached the audit stream. */
	arguments: Record<string, unknown>;
	/** Where to decide (approval requests) or review (L2 actions). */
	link: string;
}

export interface NoticeChannel {
	readonly name: string;
	send(notice: Notice): Promise<void>;
}

function headline(notice: Notice): string {
	return notice.kind === 'approval_request'
		? `[WIDIP Safeguard] Approval needed: ${notice.operationId} (L${notice.level})`
		: `[WIDIP Safeguard] AI action: ${notice.operationId} (L${notice.level})`;
}

function body(notice: Notice): string {
	const lines = [
		headline(notice),
		'',
		`Reason given by the agent: ${notice.agentReason || '(none)'}`,
		`Requested by: ${Object.entries(notice.requester).map(([k, v]) => `${k} ${String(v)}`).join(', ') || '(unknown)'}`,
		`Arguments: ${JSON.stringify(notice.arguments)}`,
		'',
		notice.kind === 'approval_request' ? `Approve or reject: ${notice.link}` : `Audit and approvals: ${notice.link}`,
	];
	return lines.join('\n');
}

/** A generic JSON webhook: `text` is what Teams / Slack incoming webhooks show; `widip` has the details. */
export class WebhookChannel implements NoticeChannel {
	readonly name = 'webhook';

	constructor(
		private readonly url: string,
		private readonly timeoutMs = 5000,
	) {}

	async send(notice: Notice): Promise<void> {
		const response = await fetch(this.url, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ text: body(notice), widip: notice }),
			signal: AbortSignal.timeout(this.timeoutMs),
		});
		await response.arrayBuffer().catch(() => undefined);
		if (!response.ok) throw new Error(`webhook answered HTTP ${response.status}`);
	}
}

export class MailChannel implements NoticeChannel {
	readonly name = 'mail';

	constructor(
		private readonly mail: MailClient,
		private readonly to: string[],
	) {}

	async send(notice: Notice): Promise<void> {
		await this.mail.send('safeguard.notice', {
			to: this.to,
			subject: headline(notice),
			text: body(notice),
			priority: notice.kind === 'approval_request' ? 'high' : 'normal',
		});
	}
}

/** Audit entry → notice, or null for entries technicians need not be told about. */
export function noticeFromAudit(auditId: string, fields: string[] | null, publicUrl: string): Notice | null {
	if (!fields) return null;
	const entry: Record<string, string> = {};
	for (let i = 0; i + 1 < fields.length; i += 2) entry[fields[i]] = fields[i + 1];
	const isRequest = entry.event === 'request';
	const isL2 = entry.event === 'decision' && entry.outcome === 'allow_and_notify';
	if (!isRequest && !isL2) return null;
	let detail: Record<string, unknown> = {};
	try {
		detail = JSON.parse(entry.detail ?? '{}') as Record<string, unknown>;
	} catch {
		// an unreadable detail still deserves a notice
	}
	return {
		kind: isRequest ? 'approval_request' : 'l2_action',
		auditId,
		at: entry.at,
		operationId: entry.operationId,
		level: typeof detail.level === 'number' ? detail.level : null,
		approvalId: entry.approvalId,
		agentReason: typeof detail.agentReason === 'string' ? detail.agentReason : '',
		requester: (detail.requester ?? {}) as Record<string, unknown>,
		arguments: (detail.arguments ?? {}) as Record<string, unknown>,
		link: isRequest && entry.approvalId ? `${publicUrl}/approvals#${entry.approvalId}` : `${publicUrl}/approvals`,
	};
}

export function channelsFrom(config: NoticeConfig, logger: Logger): NoticeChannel[] {
	const channels: NoticeChannel[] = [];
	if (config.webhookUrl) channels.push(new WebhookChannel(config.webhookUrl));
	if (config.mail) channels.push(new MailChannel(new MailClient(config.mail.smtp, logger), config.mail.to));
	return channels;
}

export interface DispatcherOptions {
	/** How long one read waits for new audit entries. */
	blockMs?: number;
	/** Attempts per notice and channel before it is given up (and logged). */
	maxAttempts?: number;
	/** First pause before failed notices are retried; doubles up to 60 s. */
	retryMs?: number;
}

/**
 * Sends notices from the audit stream, one consumer group per channel: the action that wrote the
 * audit entry never waits for a mail or a webhook, a failing channel does not hold back the other,
 * failures are retried, and several runtime replicas send each notice once.
 */
export class NoticeDispatcher {
	private stopped = false;
	private readonly loops: Promise<void>[] = [];
	private readonly connections: Redis[] = [];

	constructor(
		private readonly redis: Redis,
		private readonly prefix: string,
		private readonly channels: NoticeChannel[],
		private readonly publicUrl: string,
		private readonly logger: Logger,
		private readonly options: DispatcherOptions = {},
	) {}

	get streamKey(): string {
		return `${this.prefix}safeguard:audit`;
	}

	groupName(channel: NoticeChannel): string {
		return `notices:${channel.name}`;
	}

	/** Creates the consumer groups (from now on: history is not re-sent) and starts reading. */
	async start(): Promise<void> {
		for (const channel of this.channels) {
			try {
				await this.redis.xgroup('CREATE', this.streamKey, this.groupName(channel), '$', 'MKSTREAM');
			} catch (error) {
				if (!/BUSYGROUP/.test((error as Error).message)) throw error;
			}
			// A blocking read holds its connection: one per channel.
			const connection = this.redis.duplicate();
			// Failures surface from the read itself (and are retried); this only keeps ioredis quiet.
			connection.on('error', () => undefined);
			// A duplicate is not connected yet; a failure here is retried by the read loop.
			await connection.connect().catch(() => undefined);
			this.connections.push(connection);
			this.loops.push(this.run(channel, connection));
		}
	}

	async stop(): Promise<void> {
		this.stopped = true;
		for (const connection of this.connections) connection.disconnect();
		await Promise.allSettled(this.loops);
	}

	private async run(channel: NoticeChannel, connection: Redis): Promise<void> {
		const group = this.groupName(channel);
		const consumer = 'runtime';
		const maxAttempts = this.options.maxAttempts ?? 5;
		const attempts = new Map<string, number>();
		let retryAt = 0;
		let retryMs = this.options.retryMs ?? 2000;
		while (!this.stopped) {
			try {
				// Own pending entries first (failed earlier, or read before a crash), when their pause is over.
				let batch = Date.now() >= retryAt ? await this.read(connection, group, consumer, '0', 0) : [];
				if (batch.length === 0) batch = await this.read(connection, group, consumer, '>', this.options.blockMs ?? 1000);
				let failed = false;
				for (const [id, fields] of batch) {
					const notice = noticeFromAudit(id, fields, this.publicUrl);
					if (notice) {
						try {
							await channel.send(notice);
						} catch (error) {
							const count = (attempts.get(id) ?? 0) + 1;
							attempts.set(id, count);
							const message = (error as Error).message.split('\n')[0];
							if (count < maxAttempts) {
								this.logger.warn('Notice not sent, will retry', { channel: channel.name, auditId: id, attempt: count, error: message });
								failed = true;
								continue;
							}
							this.logger.error('Notice given up', { channel: channel.name, auditId: id, attempts: count, error: message });
						}
					}
					attempts.delete(id);
					await connection.xack(this.streamKey, group, id);
				}
				if (failed) {
					retryAt = Date.now() + retryMs;
					retryMs = Math.min(retryMs * 2, 60_000);
				} else if (batch.length > 0) {
					retryMs = this.options.retryMs ?? 2000;
				}
			} catch (error) {
				if (this.stopped) return;
				// Redis away (restart, network): the group keeps our place; wait and read again.
				this.logger.warn('Notice dispatcher cannot read the audit stream', { channel: channel.name, error: (error as Error).message });
				await new Promise((resolve) => setTimeout(resolve, 1000));
			}
		}
	}

	private async read(connection: Redis, group: string, consumer: string, from: string, blockMs: number): Promise<Array<[string, string[] | null]>> {
		const args: Array<string | number> = ['GROUP', group, consumer, 'COUNT', 50];
		if (from === '>') args.push('BLOCK', blockMs);
		args.push('STREAMS', this.streamKey, from);
		// The named command, not call(): ioredis 6 speaks RESP3, where a raw XREADGROUP reply is a flat [key, entries] map.
		const reply = (await (connection as unknown as { xreadgroup(...a: Array<string | number>): Promise<unknown> }).xreadgroup(...args)) as Array<[string, Array<[string, string[] | null]>]> | null;
		return reply?.[0]?.[1] ?? [];
	}
}
