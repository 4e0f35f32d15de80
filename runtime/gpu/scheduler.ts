import type { SlotPool } from './slots';

/** Proactif alerts before Assist tickets before batch work. */
export const PRIORITY_CLASSES = ['proactif', 'assist', 'batch'] as const;
export type PriorityClass = (typeof PRIORITY_CLASSES)[number];
const RANK: Record<PriorityClass, number> = { proactif: 0, assist: 1, batch: 2 };

export interface SchedulerOptions {
	/** Jobs waiting in all classes together; past it a new job is refused at once. */
	queueLimit: number;
	/** A job that waited this long is refused (the client gets 503 + Retry-After). */
	maxWaitMs: number;
	/** Every `agingMs` of waiting raises a job one class, so low priority is never starved. */
	agingMs: number;
	/**
	 * A job for the model already loaded may go before an older job of the same effective class
	 * for another model if it arrived at most this much later: no swap, no real unfairness.
	 */
	affinityWindowMs: number;
	now?: () => number;
}

/** One place a generation can run: an Ollama host (or GPU) with its slots. */
export interface Backend {
	readonly name: string;
	readonly url: string;
	readonly pool: SlotPool;
	/** Models it has (from /api/tags); undefined until known: then it takes any model. */
	models?: Set<string>;
	/** The model it ran last: most likely still in GPU memory. */
	loadedModel?: string;
	running: number;
}

export interface JobRequest {
	priority: PriorityClass;
	model: string;
	/** Who asked (API key name), for the queue view. */
	client: string;
	/** Aborted when the client goes away: a queued job is dropped. */
	signal?: AbortSignal;
}

export interface Grant {
	backend: Backend;
	waitedMs: number;
	/** Gives the slot back; call exactly once, when the upstream answer is over. */
	release(): void;
}

export class SchedulerError extends Error {
	constructor(
		readonly reason: 'queue_full' | 'max_wait' | 'aborted' | 'closed',
		message: string,
		/** Seconds a client should wait before trying again. */
		readonly retryAfterSeconds: number,
	) {
		super(message);
		this.name = 'SchedulerError';
	}
}

interface Job extends JobRequest {
	id: number;
	enqueuedAt: number;
	resolve(grant: Grant): void;
	reject(error: SchedulerError): void;
	timer?: NodeJS.Timeout;
	onAbort?: () => void;
}

export interface QueueEntry {
	id: number;
	priority: PriorityClass;
	model: string;
	client: string;
	waitingSince: string;
	waitedMs: number;
}

export interface SchedulerEvents {
	onGrant?(job: { priority: PriorityClass; model: string; waitedMs: number; backend: string }): void;
	onReject?(reason: SchedulerError['reason'], priority: PriorityClass): void;
}

/**
 * The queue in front of the GPU(s). Jobs wait by class, then arrival; ageing lifts old jobs; a
 * job goes to a backend that has its model and a free slot, preferring the model already loaded
 * when that costs no fairness. Slots come from a SlotPool: local, or shared by proxy replicas.
 */
export class GpuScheduler {
	private readonly queue: Job[] = [];
	private nextId = 1;
	private pumping = false;
	private pumpAgain = false;
	private closed = false;
	private readonly now: () => number;

	constructor(
		readonly backends: Backend[],
		private readonly options: SchedulerOptions,
		private readonly events: SchedulerEvents = {},
	) {
		this.now = options.now ?? (() => performance.now());
		for (const backend of backends) backend.pool.onFreed(() => this.pump());
	}

	get depth(): number {
		return this.queue.length;
	}

	depthOf(priority: PriorityClass): number {
		let count = 0;
		for (const job of this.queue) if (job.priority === priority) count++;
		return count;
	}

	/** Waits for a slot. Rejects at once past the queue limit, later past the max wait or on abort. */
	acquire(request: JobRequest): Promise<Grant> {
		if (this.closed) return Promise.reject(new SchedulerError('closed', 'the GPU queue is shutting down', 5));
		if (request.signal?.aborted) return Promise.reject(new SchedulerError('aborted', 'the client went away', 0));
		if (this.queue.length >= this.options.queueLimit) {
			this.events.onReject?.('queue_full', request.priority);
			return Promise.reject(
				new SchedulerError('queue_full', `server busy, please try again: ${this.queue.length} requests are already waiting for the GPU`, this.retryAfter()),
			);
		}
		return new Promise<Grant>((resolve, reject) => {
			const job: Job = { ...request, id: this.nextId++, enqueuedAt: this.now(), resolve, reject };
			job.timer = setTimeout(() => {
				if (!this.remove(job)) return;
				this.events.onReject?.('max_wait', job.priority);
				reject(new SchedulerError('max_wait', `server busy, please try again: waited ${this.options.maxWaitMs} ms for the GPU`, this.retryAfter()));
			}, this.options.maxWaitMs);
			job.timer.unref?.();
			if (request.signal) {
				job.onAbort = () => {
					if (this.remove(job)) reject(new SchedulerError('aborted', 'the client went away while queued', 0));
				};
				request.signal.addEventListener('abort', job.onAbort, { once: true });
			}
			this.queue.push(job);
			this.pump();
		});
	}

	/** Who is waiting, for which model, since when: the queue view. */
	snapshot(): QueueEntry[] {
		const now = this.now();
		const wallNow = Date.now();
		return this.ordered(now).map((job) => ({
			id: job.id,
			priority: job.priority,
			model: job.model,
			client: job.client,
			waitedMs: Math.round(now - job.enqueuedAt),
			waitingSince: new Date(wallNow - (now - job.enqueuedAt)).toISOString(),
		}));
	}

	/** Refuses everything still waiting (shutdown). */
	close(): void {
		this.closed = true;
		for (const job of [...this.queue]) {
			this.remove(job);
			job.reject(new SchedulerError('closed', 'the GPU queue is shutting down', 5));
		}
	}

	private remove(job: Job): boolean {
		const index = this.queue.indexOf(job);
		if (index < 0) return false;
		this.queue.splice(index, 1);
		clearTimeout(job.timer);
		if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
		return true;
	}

	private effectiveRank(job: Job, now: number): number {
		return RANK[job.priority] - Math.floor((now - job.enqueuedAt) / this.options.agingMs);
	}

	private ordered(now: number): Job[] {
		return [...this.queue].sort((a, b) => this.effectiveRank(a, now) - this.effectiveRank(b, now) || a.id - b.id);
	}

	private eligible(backend: Backend, job: Job): boolean {
		if (!backend.models) return true;
		if (backend.models.has(job.model)) return true;
		// A model no backend lists still goes somewhere: Ollama answers "not found" itself.
		return !this.backends.some((other) => other.models?.has(job.model));
	}

	/** The job this backend should run next, or undefined. */
	private pick(backend: Backend, now: number): Job | undefined {
		let best: Job | undefined;
		let bestRank = Infinity;
		for (const job of this.queue) {
			if (!this.eligible(backend, job)) continue;
			const rank = this.effectiveRank(job, now);
			if (rank < bestRank || (rank === bestRank && best !== undefined && job.id < best.id)) {
				best = job;
				bestRank = rank;
			}
		}
		if (!best || !backend.loadedModel || best.model === backend.loadedModel) return best;
		for (const job of this.queue) {
			if (
				job.model === backend.loadedModel &&
				this.eligible(backend, job) &&
				this.effectiveRank(job, now) === bestRank &&
				job.enqueuedAt - best.enqueuedAt <= this.options.affinityWindowMs
			) {
				return job;
			}
		}
		return best;
	}

	/** Hands free slots to waiting jobs. Re-entrant calls fold into one more pass. */
	private pump(): void {
		if (this.pumping) {
			this.pumpAgain = true;
			return;
		}
		this.pumping = true;
		void this.pass().finally(() => {
			this.pumping = false;
			if (this.pumpAgain) {
				this.pumpAgain = false;
				this.pump();
			}
		});
	}

	private async pass(): Promise<void> {
		let progressed = true;
		while (progressed && this.queue.length > 0) {
			progressed = false;
			for (const backend of this.backends) {
				const job = this.pick(backend, this.now());
				if (!job) continue;
				const taken = backend.pool.tryAcquire();
				const lease = typeof taken === 'object' && taken !== null && 'then' in taken ? await taken.catch(() => null) : taken;
				if (!lease) continue;
				// The job may have gone (abort, max wait) while a shared slot was being taken.
				if (!this.remove(job)) {
					await lease.release();
					progressed = true;
					continue;
				}
				progressed = true;
				this.grant(backend, job, lease);
			}
		}
	}

	private grant(backend: Backend, job: Job, lease: { release(): void | Promise<void> }): void {
		const waitedMs = this.now() - job.enqueuedAt;
		backend.running++;
		backend.loadedModel = job.model;
		let released = false;
		this.events.onGrant?.({ priority: job.priority, model: job.model, waitedMs, backend: backend.name });
		job.resolve({
			backend,
			waitedMs,
			release: () => {
				if (released) return;
				released = true;
				backend.running--;
				void Promise.resolve(lease.release()).finally(() => this.pump());
			},
		});
	}

	private retryAfter(): number {
		// A rough "when will there be room": a few seconds per waiting job per slot, capped.
		const slots = this.backends.reduce((sum, backend) => sum + backend.pool.size, 0) || 1;
		return Math.min(60, Math.max(1, Math.ceil((this.queue.length / slots) * 2)));
	}
}
