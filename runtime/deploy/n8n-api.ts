/**
 * The few calls of n8n's public API (`/api/v1`, API key in `X-N8N-API-KEY`) that deploy needs.
 * Every failure becomes a DeployError that says what to do; the key never appears in one.
 */

export class DeployError extends Error {
	constructor(
		message: string,
		/** 2 = connection or usage (n8n unreachable, key refused), 1 = a finding that blocks the deploy. */
		readonly exitCode: 1 | 2,
	) {
		super(message);
		this.name = 'DeployError';
	}
}

export interface N8nWorkflow {
	id: string;
	name: string;
	active: boolean;
	isArchived?: boolean;
	nodes: N8nNode[];
	connections: Record<string, unknown>;
	settings?: Record<string, unknown>;
	versionId?: string;
}

export interface N8nNode {
	name: string;
	type: string;
	typeVersion: number;
	parameters?: Record<string, unknown>;
	credentials?: Record<string, { id?: string; name: string }>;
	[key: string]: unknown;
}

export interface N8nCredential {
	id: string;
	name: string;
	type: string;
}

export class N8nApi {
	private readonly base: string;

	constructor(
		url: string,
		private readonly apiKey: string,
		private readonly timeoutMs = 30_000,
	) {
		this.base = `${url.replace(/\/+$/, '')}/api/v1`;
	}

	private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
		let response: Response;
		try {
			response = await fetch(`${this.base}${path}`, {
				method,
				headers: { 'X-N8N-API-KEY': this.apiKey, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
				body: body === undefined ? undefined : JSON.stringify(body),
				signal: AbortSignal.timeout(this.timeoutMs),
			});
		} catch (error) {
			const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs / 1000} s` : ((error as { cause?: Error }).cause?.message ?? (error as Error).message);
			throw new DeployError(`n8n at ${this.origin} is unreachable (${reason}); is it running, and is the URL right?`, 2);
		}
		const text = await response.text();
		if (response.status === 401 || response.status === 403) {
			throw new DeployError(`n8n at ${this.origin} refused the API key (HTTP ${response.status}): create one under Settings → n8n API and pass it as WIDIP_N8N_API_KEY`, 2);
		}
		let json: unknown;
		try {
			json = text ? JSON.parse(text) : {};
		} catch {
			throw new DeployError(`n8n at ${this.origin} answered ${method} ${path} with something that is not JSON (HTTP ${response.status}): is the URL n8n's?`, 2);
		}
		if (!response.ok) {
			const message = (json as { message?: string }).message ?? text.slice(0, 300);
			throw new DeployError(`n8n refused ${method} ${path.split('?')[0]} (HTTP ${response.status}): ${message}`, 1);
		}
		return json as T;
	}

	get origin(): string {
		return new URL(this.base).origin;
	}

	private async all<T>(path: string): Promise<T[]> {
		const items: T[] = [];
		let cursor: string | undefined;
		do {
			const separator = path.includes('?') ? '&' : '?';
			const page = await this.request<{ data: T[]; nextCursor?: string | null }>('GET', `${path}${separator}limit=250${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
			items.push(...page.data);
			cursor = page.nextCursor ?? undefined;
		} while (cursor);
		return items;
	}

	/** Every workflow, archived ones excluded (n8n keeps them, but they are not "the" workflow of a name). */
	async workflows(): Promise<N8nWorkflow[]> {
		return (await this.all<N8nWorkflow>('/workflows?excludePinnedData=true')).filter((workflow) => !workflow.isArchived);
	}

	async workflow(id: string): Promise<N8nWorkflow> {
		return await this.request<N8nWorkflow>('GET', `/workflows/${encodeURIComponent(id)}?excludePinnedData=true`);
	}

	async credentials(): Promise<N8nCredential[]> {
		return await this.all<N8nCredential>('/credentials');
	}

	async create(body: WorkflowBody): Promise<N8nWorkflow> {
		return await this.request<N8nWorkflow>('POST', '/workflows', body);
	}

	async update(id: string, body: WorkflowBody): Promise<N8nWorkflow> {
		return await this.request<N8nWorkflow>('PUT', `/workflows/${encodeURIComponent(id)}`, body);
	}

	async publish(id: string): Promise<void> {
		await this.request('POST', `/workflows/${encodeURIComponent(id)}/publish`, {});
	}

	async unpublish(id: string): Promise<void> {
		await this.request('POST', `/workflows/${encodeURIComponent(id)}/unpublish`, {});
	}

	async archive(id: string): Promise<void> {
		await this.request('POST', `/workflows/${encodeURIComponent(id)}/archive`, {});
	}
}

export interface WorkflowBody {
	name: string;
	nodes: N8nNode[];
	connections: Record<string, unknown>;
	settings: Record<string, unknown>;
}
