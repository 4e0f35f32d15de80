import type { Logger } from '../core/logger';
import type { Approvals } from '../core/safeguard/approvals';
import type { AuditLog } from '../core/safeguard/audit';

export interface ResumerOptions {
	/** Pause between sweeps; a decision made through the API sweeps at once. */
	intervalMs?: number;
	/** Per resume call. */
	timeoutMs?: number;
	/** After expiry, how long an unreachable n8n is retried before giving up (its own wait limit then applies). */
	giveUpAfterMs?: number;
}

/**
 * Resumes the n8n executions that Safeguard Gates put to wait: once a technician decides, or when a
 * request expires, it calls the execution's resume URL. n8n then runs the Gate's webhook, which reads
 * the decision from Redis (never from this call), so a forged call cannot approve anything. Calls
 * that fail are retried on the next sweep; the work list lives in Redis, so a restart loses none.
 */
export class Resumer {
	private timer: NodeJS.Timeout | undefined;
	private running: Promise<void> | undefined;
	private again = false;
	private stopped = false;

	constructor(
		private readonly approvals: Approvals,
		private readonly audit: AuditLog,
		private readonly logger: Logger,
		private readonly options: ResumerOptions = {},
	) {}

	start(): void {
		this.stopped = false;
		this.schedule(0);
	}

	async stop(): Promise<void> {
		this.stopped = true;
		clearTimeout(this.timer);
		await this.running;
	}

	/** Sweep as soon as possible (a decision was just made). */
	kick(): void {
		if (this.running) this.again = true;
		else this.schedule(0);
	}

	private schedule(delayMs: number): void {
		if (this.stopped) return;
		clearTimeout(this.timer);
		this.timer = setTimeout(() => {
			this.running = this.sweep()
				.then(() => undefined)
				.catch((error: unknown) => this.logger.warn('Resume sweep failed', { error: (error as Error).message }))
				.finally(() => {
					this.running = undefined;
					const next = this.again ? 0 : (this.options.intervalMs ?? 1000);
					this.again = false;
					this.schedule(next);
				});
		}, delayMs);
		this.timer.unref?.();
	}

	/** One pass over the waiting executions; returns how many were resumed. */
	async sweep(): Promise<number> {
		let resumed = 0;
		const now = Date.now();
		for (const target of await this.approvals.waiting()) {
			let status = target.status;
			if (status === 'pending') {
				if (now <= target.expiresAtMs) continue;
				const outcome = await this.approvals.expire(target.id);
				if (outcome === 'ok') {
					const request = await this.approvals.get(target.id);
					await this.audit.append({
						event: 'expiry',
						operationId: request?.operationId ?? 'unknown',
						outcome: 'expired',
						actor: 'runtime',
						approvalId: target.id,
					});
					status = 'expired';
				} else {
					status = outcome as typeof status;
				}
			}
			if (await this.resume(target.id, target.resumeUrl, status)) {
				await this.approvals.resumed(target.id);
				resumed++;
			} else if (now > target.expiresAtMs + (this.options.giveUpAfterMs ?? 24 * 3600_000)) {
				this.logger.error('Giving up resuming an n8n execution', { approvalId: target.id, status });
				await this.approvals.resumed(target.id);
			}
		}
		return resumed;
	}

	/** True when the execution was resumed or no longer waits (nothing left to do). */
	private async resume(id: string, url: string, status: string): Promise<boolean> {
		try {
			const response = await fetch(url, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ approvalId: id }),
				signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
			});
			await response.arrayBuffer().catch(() => undefined);
			if (response.ok) {
				this.logger.info('Resumed n8n execution', { approvalId: id, status });
				return true;
			}
			if (response.status === 404 || response.status === 409 || response.status === 410) {
				// The execution is gone or already resumed (another replica, or n8n's own wait limit).
				this.logger.warn('n8n execution no longer waiting', { approvalId: id, status, httpStatus: response.status });
				return true;
			}
			this.logger.warn('n8n did not accept the resume call, will retry', { approvalId: id, httpStatus: response.status });
			return false;
		} catch (error) {
			this.logger.warn('Cannot reach n8n to resume, will retry', { approvalId: id, error: (error as Error).message });
			return false;
		}
	}
}
