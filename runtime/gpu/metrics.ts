import { Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { Backend, GpuScheduler, PriorityClass } from './scheduler';
import { PRIORITY_CLASSES } from './scheduler';

/** Tracks how long a backend had at least one generation running, to report a busy ratio. */
class BusyClock {
	private busySince?: number;
	private busyMs = 0;
	private readonly startedAt = performance.now();

	change(running: number): void {
		const now = performance.now();
		if (running > 0 && this.busySince === undefined) this.busySince = now;
		if (running === 0 && this.busySince !== undefined) {
			this.busyMs += now - this.busySince;
			this.busySince = undefined;
		}
	}

	ratio(): number {
		const now = performance.now();
		const busy = this.busyMs + (this.busySince === undefined ? 0 : now - this.busySince);
		const elapsed = now - this.startedAt;
		return elapsed > 0 ? busy / elapsed : 0;
	}
}

/**
 * The proxy's Prometheus metrics (prom-client, its own registry): what Ollama users have asked
 * for since 2024 — queue depth by class, wait and service times, GPU busy ratio, tokens per second,
 * rejections.
 */
export class GpuMetrics {
	readonly registry = new Registry();
	private readonly wait: Histogram<'priority'>;
	private readonly service: Histogram<'priority' | 'model'>;
	private readonly tokensPerSecond: Gauge<'model'>;
	private readonly tokens: Counter<'model'>;
	private readonly rejections: Counter<'reason' | 'priority'>;
	private readonly clocks = new Map<string, BusyClock>();

	constructor(scheduler: GpuScheduler, backends: Backend[]) {
		const registers = [this.registry];
		for (const backend of backends) this.clocks.set(backend.name, new BusyClock());
		new Gauge({
			name: 'widip_gpu_queue_depth',
			help: 'Requests waiting for a GPU slot, by priority class',
			labelNames: ['priority'],
			registers,
			collect() {
				for (const priority of PRIORITY_CLASSES) this.set({ priority }, scheduler.depthOf(priority));
			},
		});
		new Gauge({
			name: 'widip_gpu_running',
			help: 'Generations running on each backend',
			labelNames: ['backend'],
			registers,
			collect() {
				for (const backend of backends) this.set({ backend: backend.name }, backend.running);
			},
		});
		const clocks = this.clocks;
		new Gauge({
			name: 'widip_gpu_busy_ratio',
			help: 'Share of time since start each backend had at least one generation running (0–1)',
			labelNames: ['backend'],
			registers,
			collect() {
				for (const [name, clock] of clocks) this.set({ backend: name }, clock.ratio());
			},
		});
		const seconds = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
		this.wait = new Histogram({ name: 'widip_gpu_wait_seconds', help: 'Time spent queued before a GPU slot', labelNames: ['priority'], buckets: seconds, registers });
		this.service = new Histogram({
			name: 'widip_gpu_service_seconds',
			help: 'Time a request held its GPU slot',
			labelNames: ['priority', 'model'],
			buckets: seconds,
			registers,
		});
		this.tokensPerSecond = new Gauge({
			name: 'widip_gpu_tokens_per_second',
			help: "Generation speed of the last answer per model, from Ollama's eval_count / eval_duration",
			labelNames: ['model'],
			registers,
		});
		this.tokens = new Counter({ name: 'widip_gpu_generated_tokens_total', help: 'Tokens generated (eval_count)', labelNames: ['model'], registers });
		this.rejections = new Counter({
			name: 'widip_gpu_rejections_total',
			help: 'Requests refused: queue full, waited too long, unauthorised, bad request',
			labelNames: ['reason', 'priority'],
			registers,
		});
	}

	running(backend: Backend): void {
		this.clocks.get(backend.name)?.change(backend.running);
	}

	waited(priority: PriorityClass, waitedMs: number): void {
		this.wait.observe({ priority }, waitedMs / 1000);
	}

	served(priority: PriorityClass, model: string, serviceMs: number, evalCount?: number, evalDurationNs?: number): void {
		this.service.observe({ priority, model }, serviceMs / 1000);
		if (evalCount !== undefined && evalCount > 0) {
			this.tokens.inc({ model }, evalCount);
			const seconds = evalDurationNs !== undefined && evalDurationNs > 0 ? evalDurationNs / 1e9 : serviceMs / 1000;
			if (seconds > 0) this.tokensPerSecond.set({ model }, evalCount / seconds);
		}
	}

	rejected(reason: string, priority: PriorityClass | 'unknown'): void {
		this.rejections.inc({ reason, priority });
	}
}
