import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * What a simulator can be told to do instead of answering normally, so that clients' failure
 * paths are tested against a real HTTP server:
 * - `down`: the connection is cut as soon as a request arrives (like a crashed server);
 * - `slow`: every answer is delayed;
 * - `status`: an error status (500, 503…) with the service's own error body;
 * - `rate_limit`: 429 with Retry-After;
 * - `lose_response`: the request IS processed, then the connection is cut before the answer —
 *   the case that makes a blind retry of a write create duplicates.
 */
export type Fault =
	| { mode: 'down' }
	| { mode: 'slow'; delayMs: number }
	| { mode: 'status'; status: number }
	| { mode: 'rate_limit'; retryAfterSeconds: number }
	| { mode: 'lose_response' };

export interface FaultRule {
	fault: Fault;
	/** How many matching requests it applies to (default: until cleared). */
	times?: number;
	/** Only requests with this method / whose path contains this text. */
	method?: string;
	pathIncludes?: string;
}

export interface RecordedRequest {
	method: string;
	path: string;
	query: Record<string, unknown>;
	body: unknown;
	at: number;
}

export interface SimulatorOptions {
	/** Error body in the service's own format, for injected error statuses. */
	errorBody?: (status: number) => unknown;
	logger?: boolean;
}

/** A Fastify server with fault injection, a request log and `/__sim/*` control routes. */
export class SimulatorServer {
	readonly app: FastifyInstance;
	readonly requests: RecordedRequest[] = [];
	private rules: Array<FaultRule & { left: number }> = [];
	private address?: string;

	constructor(
		readonly name: string,
		private readonly options: SimulatorOptions = {},
	) {
		this.app = Fastify({ logger: options.logger ?? false, forceCloseConnections: true });
		this.app.addHook('onRequest', async (request, reply) => this.beforeHandler(request, reply));
		this.app.addHook('onSend', async (request, reply, payload) => {
			if ((request as FastifyRequest & { loseResponse?: boolean }).loseResponse) {
				request.raw.socket?.destroy();
			}
			return payload;
		});
		this.app.post('/__sim/fault', async (request) => {
			this.fault(request.body as FaultRule);
			return { ok: true };
		});
		this.app.post('/__sim/reset', async () => {
			this.clearFaults();
			return { ok: true };
		});
		this.app.get('/__sim/requests', async () => this.requests);
	}

	fault(rule: FaultRule): void {
		this.rules.push({ ...rule, left: rule.times ?? Number.POSITIVE_INFINITY });
	}

	clearFaults(): void {
		this.rules = [];
	}

	/** Requests seen so far, optionally filtered (e.g. every POST to /Ticket). */
	seen(method?: string, pathIncludes?: string): RecordedRequest[] {
		return this.requests.filter(
			(request) => (!method || request.method === method) && (!pathIncludes || request.path.includes(pathIncludes)),
		);
	}

	async start(port = 0, host = '127.0.0.1'): Promise<string> {
		await this.app.listen({ port, host });
		const address = this.app.server.address();
		const actualPort = typeof address === 'object' && address ? address.port : port;
		this.address = `http://${host}:${actualPort}`;
		return this.address;
	}

	get url(): string {
		if (!this.address) throw new Error(`${this.name} simulator is not started`);
		return this.address;
	}

	async stop(): Promise<void> {
		await this.app.close();
	}

	private async beforeHandler(request: FastifyRequest, reply: FastifyReply): Promise<void> {
		const path = request.url.split('?')[0];
		if (path.startsWith('/__sim/')) return;
		this.requests.push({
			method: request.method,
			path,
			query: request.query as Record<string, unknown>,
			body: undefined,
			at: Date.now(),
		});
		const rule = this.rules.find(
			(candidate) =>
				candidate.left > 0 &&
				(!candidate.method || candidate.method === request.method) &&
				(!candidate.pathIncludes || path.includes(candidate.pathIncludes)),
		);
		if (!rule) return;
		rule.left--;
		const fault = rule.fault;
		switch (fault.mode) {
			case 'down':
				request.raw.socket?.destroy();
				return reply.hijack();
			case 'slow':
				await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
				return;
			case 'status':
				return reply.code(fault.status).send(this.options.errorBody?.(fault.status) ?? { error: 'simulated failure' });
			case 'rate_limit':
				return reply
					.code(429)
					.header('Retry-After', String(fault.retryAfterSeconds))
					.send(this.options.errorBody?.(429) ?? { error: 'too many requests' });
			case 'lose_response':
				(request as FastifyRequest & { loseResponse?: boolean }).loseResponse = true;
				return;
		}
	}
}

/** Records the parsed body of the last request (bodies are parsed after onRequest). */
export function recordBodies(simulator: SimulatorServer): void {
	simulator.app.addHook('preHandler', async (request) => {
		const last = simulator.requests[simulator.requests.length - 1];
		if (last && last.body === undefined) last.body = request.body;
	});
}
