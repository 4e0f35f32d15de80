import { z } from 'zod/v4';

import { PRIORITY_CLASSES, type PriorityClass, type SchedulerOptions } from './scheduler';

export interface GpuBackendSpec {
	name: string;
	url: string;
	/** Generations at once; 1 = the GPU is serial (set OLLAMA_NUM_PARALLEL=1 to match). */
	slots: number;
}

export interface GpuProxyConfig {
	backends: GpuBackendSpec[];
	/** API keys and the highest class each may use. None = open (development). */
	keys: Array<{ name: string; key: string; priority: PriorityClass }>;
	defaultPriority: PriorityClass;
	scheduler: Omit<SchedulerOptions, 'now'>;
	/** Ollama `keep_alive` put into generation requests that set none (e.g. "30m", -1). */
	keepAlive?: string | number;
	/** How long a crashed replica keeps a shared slot. */
	leaseMs: number;
	modelRefreshMs: number;
}

const backendsText = z
	.string()
	.min(1)
	.transform((text, context) => {
		const backends: GpuBackendSpec[] = [];
		for (const [index, raw] of text.split(',').entries()) {
			const entry = raw.trim();
			if (!entry) continue;
			// name=url[*slots], e.g. gpu0=http://127.0.0.1:11434*1
			const match = /^([A-Za-z0-9_.-]+)=(https?:\/\/[^*\s]+)(?:\*(\d+))?$/.exec(entry);
			if (!match) {
				context.addIssue({ code: 'custom', message: `entry ${index + 1} is not name=http://host:port[*slots]` });
				continue;
			}
			backends.push({ name: match[1], url: match[2].replace(/\/+$/, ''), slots: match[3] ? Number(match[3]) : 1 });
		}
		if (backends.length === 0) context.addIssue({ code: 'custom', message: 'needs at least one backend' });
		return backends;
	});

const schema = z.object({
	WIDIP_GPU_BACKENDS: backendsText,
	WIDIP_GPU_KEYS: z.string().default(''),
	WIDIP_GPU_DEFAULT_PRIORITY: z.enum(PRIORITY_CLASSES).default('assist'),
	WIDIP_GPU_QUEUE_LIMIT: z.coerce.number().int().min(1).max(10_000).default(64),
	WIDIP_GPU_MAX_WAIT_SECONDS: z.coerce.number().min(0.01).max(3600).default(120),
	WIDIP_GPU_AGING_SECONDS: z.coerce.number().min(0.01).max(3600).default(30),
	WIDIP_GPU_AFFINITY_WINDOW_MS: z.coerce.number().min(0).max(60_000).default(2000),
	WIDIP_GPU_KEEP_ALIVE: z.string().optional(),
	WIDIP_GPU_LEASE_SECONDS: z.coerce.number().min(0.1).max(600).default(10),
	WIDIP_GPU_MODEL_REFRESH_SECONDS: z.coerce.number().min(1).max(3600).default(30),
});

/**
 * The GPU proxy's settings from WIDIP_GPU_* variables. Keys: `name:priority:key` entries, e.g.
 * `proactif:proactif:<key>,assist:assist:<key>,rag:batch:<key>`. Errors name the variable only.
 */
export function parseGpuProxyConfig(env: Record<string, string | undefined>): GpuProxyConfig {
	const parsed = schema.safeParse(env);
	if (!parsed.success) {
		throw new Error(`invalid GPU proxy configuration: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
	}
	const values = parsed.data;
	const keys: GpuProxyConfig['keys'] = [];
	for (const [index, raw] of values.WIDIP_GPU_KEYS.split(',').entries()) {
		const entry = raw.trim();
		if (!entry) continue;
		const [name, priority, ...rest] = entry.split(':');
		const key = rest.join(':');
		if (!name || !key || !PRIORITY_CLASSES.includes(priority as PriorityClass)) {
			throw new Error(`invalid GPU proxy configuration: WIDIP_GPU_KEYS entry ${index + 1} is not name:${PRIORITY_CLASSES.join('|')}:key`);
		}
		keys.push({ name, key, priority: priority as PriorityClass });
	}
	const keepAlive = values.WIDIP_GPU_KEEP_ALIVE;
	return {
		backends: values.WIDIP_GPU_BACKENDS,
		keys,
		defaultPriority: values.WIDIP_GPU_DEFAULT_PRIORITY,
		scheduler: {
			queueLimit: values.WIDIP_GPU_QUEUE_LIMIT,
			maxWaitMs: values.WIDIP_GPU_MAX_WAIT_SECONDS * 1000,
			agingMs: values.WIDIP_GPU_AGING_SECONDS * 1000,
			affinityWindowMs: values.WIDIP_GPU_AFFINITY_WINDOW_MS,
		},
		keepAlive: keepAlive === undefined ? undefined : /^-?\d+$/.test(keepAlive) ? Number(keepAlive) : keepAlive,
		leaseMs: values.WIDIP_GPU_LEASE_SECONDS * 1000,
		modelRefreshMs: values.WIDIP_GPU_MODEL_REFRESH_SECONDS * 1000,
	};
}
