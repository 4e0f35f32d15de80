import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

import { catalogue } from '../core/catalogue';
import { isWidipError } from '../core/errors';
import type { Coordination } from '../core/redis/coordination';
import { APPROVAL_STATUSES, Approvals, MAX_PAGE_SIZE, type ApprovalStatus, type Face } from '../core/safeguard/approvals';
import { AuditLog } from '../core/safeguard/audit';
import { bearer, matchKey } from './api-keys';
import { approvalPage, approvalPageCsp } from './approval-page';
import type { RuntimeConfig } from './config';
import { registerMcp, type McpHttpDeps } from './mcp/http';

export interface ServerDeps {
	coordination: Coordination;
	approvals?: Approvals;
	audit?: AuditLog;
	/** Fastify logger option; off by default (tests). Never logs headers, so keys stay out of logs. */
	logger?: boolean;
	/** Told after every decision, so a waiting n8n execution resumes at once. */
	onDecision?: (approvalId: string) => void;
	/** The MCP server for agents (`/mcp/<toolset>`, `/mcp/tools`, `/mcp/call`) and its `/metrics`. */
	mcp?: McpHttpDeps;
}

/** How long /health waits for Redis before answering 503. */
const HEALTH_TIMEOUT_MS = 2000;

function problem(reply: FastifyReply, status: number, error: string, message: string) {
	return reply.code(status).send({ error, message });
}

declare module 'fastify' {
	interface FastifyRequest {
		technician?: string;
	}
}

export function buildServer(config: RuntimeConfig, deps: ServerDeps): FastifyInstance {
	const { coordination } = deps;
	const prefix = coordination.config.keyPrefix;
	const approvals = deps.approvals ?? new Approvals(coordination.redis, prefix, config.approvalTtlMinutes * 60_000);
	const audit = deps.audit ?? new AuditLog(coordination.redis, prefix);

	const app = Fastify({ logger: deps.logger ?? false, bodyLimit: 64 * 1024 });

	app.setErrorHandler((error, _request, reply) => {
		if (isWidipError(error)) {
			const status = error.kind === 'bad_request' ? 400 : error.kind === 'not_found' ? 404 : error.kind === 'conflict' ? 409 : error.transient ? 503 : 500;
			return problem(reply, status, error.kind, error.message);
		}
		const err = error as { statusCode?: number; message?: string; error?: unknown };
		if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
			// Keep a label the thrower chose (the rate limiter's `rate_limited`); 413 says what it is.
			const kind = typeof err.error === 'string' ? err.error : err.statusCode === 413 ? 'too_large' : 'bad_request';
			return problem(reply, err.statusCode, kind, err.message ?? 'bad request');
		}
		// ioredis failures (Redis down) and anything unexpected: no internals in the answer.
		const message = String(err.message ?? '');
		if (/ECONNREFUSED|Connection is closed|max retries|timed? ?out|ETIMEDOUT|Stream isn't writeable/i.test(message)) {
			return problem(reply, 503, 'unavailable', 'Redis is unavailable; try again shortly');
		}
		app.log.error(error);
		return problem(reply, 500, 'internal', 'internal error');
	});

	app.get('/health', async (_request, reply) => {
		try {
			let timer: NodeJS.Timeout | undefined;
			await Promise.race([
				coordination.ping(),
				new Promise((_, reject) => {
					timer = setTimeout(() => reject(new Error('timed out')), HEALTH_TIMEOUT_MS);
					timer.unref();
				}),
			]).finally(() => clearTimeout(timer));
			return await reply.code(200).send({ status: 'ok' });
		} catch {
			return await reply.code(503).send({ status: 'unavailable', redis: 'down' });
		}
	});

	if (deps.mcp) {
		const mcp = deps.mcp;
		app.register(async (instance) => await registerMcp(instance, config, mcp));
		app.get('/metrics', async (_request, reply) =>
			await reply.header('content-type', mcp.metrics.registry.contentType).send(await mcp.metrics.registry.metrics()),
		);
	}

	app.get('/approvals', async (_request, reply) => {
		return await reply
			.header('content-type', 'text/html; charset=utf-8')
			.header('content-security-policy', approvalPageCsp)
			.header('x-content-type-options', 'nosniff')
			.header('referrer-policy', 'no-referrer')
			.header('x-frame-options', 'DENY')
			.header('cache-control', 'no-store')
			.send(approvalPage);
	});

	app.register(
		async (api) => {
			api.addHook('onRequest', async (request, reply) => {
				reply.header('cache-control', 'no-store');
				const presented = bearer(request);
				if (!presented) {
					return await problem(reply, 401, 'auth', 'a technician key is required: Authorization: Bearer <key>');
				}
				const technician = matchKey(presented, config.technicianKeys);
				const agent = matchKey(presented, config.agentKeys);
				if (technician) {
					request.technician = technician.name;
					return;
				}
				if (agent) {
					return await problem(reply, 403, 'forbidden', 'agent keys cannot list or decide approvals; use a technician key');
				}
				return await problem(reply, 401, 'auth', 'unknown key');
			});

			api.get<{ Querystring: Record<string, string | undefined> }>('/', async (request, reply) => {
				const query = request.query;
				const status = query.status ?? 'pending';
				if (status !== 'all' && !APPROVAL_STATUSES.includes(status as ApprovalStatus)) {
					return await problem(reply, 400, 'bad_request', `status: one of ${[...APPROVAL_STATUSES, 'all'].join(', ')}`);
				}
				const limit = query.limit === undefined ? 50 : Number(query.limit);
				if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
					return await problem(reply, 400, 'bad_request', `limit: a whole number from 1 to ${MAX_PAGE_SIZE}`);
				}
				if (query.face !== undefined && !['tool', 'gate', 'mcp'].includes(query.face)) {
					return await problem(reply, 400, 'bad_request', 'face: one of tool, gate, mcp');
				}
				// A page, newest first; `next` is the cursor of the following (older) page.
				return await approvals.list({
					status: status as ApprovalStatus | 'all',
					operationId: query.operation || undefined,
					agent: query.agent || undefined,
					face: (query.face as Face | undefined) || undefined,
					limit,
					cursor: query.cursor || undefined,
				});
			});

			api.get<{ Params: { id: string } }>('/:id', async (request, reply) => {
				const found = await approvals.get(request.params.id);
				if (!found) return await problem(reply, 404, 'not_found', 'no such approval request');
				return found;
			});

			const decideRoute = (decision: 'approved' | 'rejected') =>
				async (request: FastifyRequest<{ Params: { id: string }; Body: unknown }>, reply: FastifyReply) => {
					const body = (request.body ?? {}) as Record<string, unknown>;
					if (typeof body !== 'object' || Array.isArray(body)) return await problem(reply, 400, 'bad_request', 'the body must be a JSON object');
					const rawComment = body.comment;
					if (rawComment !== undefined && rawComment !== null && typeof rawComment !== 'string') {
						return await problem(reply, 400, 'bad_request', 'comment must be a string');
					}
					const comment = (typeof rawComment === 'string' ? rawComment : '').trim().slice(0, 2000);
					if (decision === 'rejected' && !comment) {
						return await problem(reply, 400, 'bad_request', 'a rejection needs a comment (why it was rejected)');
					}
					const technician = request.technician!;
					if (decision === 'approved') {
						// What is stored may have been tampered with, or the catalogue changed since: L4 is never approvable.
						const found = await approvals.get(request.params.id);
						if (found && (!catalogue.has(found.operationId) || catalogue.get(found.operationId).level >= 4 || found.level >= 4)) {
							return await problem(reply, 409, 'forbidden', `${found.operationId} is not approvable: L4 actions are never done by AI`);
						}
					}
					const outcome = await approvals.decide(request.params.id, decision, technician, comment);
					const current = await approvals.get(request.params.id);
					if (outcome === 'not_found' || !current) return await problem(reply, 404, 'not_found', 'no such approval request');
					if (outcome === 'expired') {
						await audit.append({
							event: 'expiry',
							operationId: current.operationId,
							outcome: 'expired',
							actor: technician,
							approvalId: current.id,
						});
						deps.onDecision?.(current.id);
						return await problem(
							reply,
							409,
							'expired',
							`this request expired at ${current.expiresAt} and can no longer be ${decision}; the agent must ask again`,
						);
					}
					if (outcome !== 'ok') {
						return await problem(reply, 409, 'conflict', `this request is already ${outcome}${current.approver ? ` (by ${current.approver})` : ''}`);
					}
					await audit.append({
						event: decision === 'approved' ? 'approval' : 'rejection',
						operationId: current.operationId,
						outcome: decision,
						actor: technician,
						approvalId: current.id,
						detail: comment ? { comment } : undefined,
					});
					deps.onDecision?.(current.id);
					return current;
				};

			api.post('/:id/approve', decideRoute('approved'));
			api.post('/:id/reject', decideRoute('rejected'));
		},
		{ prefix: '/api/approvals' },
	);

	return app;
}
