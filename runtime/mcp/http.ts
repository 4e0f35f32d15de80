import rateLimit from '@fastify/rate-limit';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv-provider.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { bearer, matchKey } from '../api-keys';
import type { RuntimeConfig } from '../config';
import type { McpCalls } from './calls';
import type { McpMetrics } from './metrics';

declare module 'fastify' {
	interface FastifyRequest {
		mcpAgent?: string;
	}
}

const SERVER_INFO = { name: 'widip', version: '1' };
const INSTRUCTIONS =
	'WIDIP operations for IT support of nursing homes and clinics. Every call passes Safeguard: read-only tools run at once; ' +
	'others may answer "approval required" with an approvalId — then nothing was done; once a technician approves, call the same ' +
	'tool again with exactly the same arguments and safeguardApprovalId. Give safeguardConfidence (0–100) and safeguardReason.';

export interface McpHttpDeps {
	calls: McpCalls;
	metrics: McpMetrics;
}

function problem(reply: FastifyReply, status: number, error: string, message: string) {
	return reply.code(status).send({ error, message });
}

/** The key of `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
function presentedKey(request: FastifyRequest): string | undefined {
	const header = request.headers['x-api-key'];
	if (typeof header === 'string' && header.trim()) return header.trim();
	return bearer(request);
}

function hostnameOf(value: string): string | undefined {
	try {
		return new URL(value.includes('://') ? value : `http://${value}`).hostname.toLowerCase();
	} catch {
		return undefined;
	}
}

/**
 * The MCP server of the runtime: one endpoint per toolset, `/mcp/<toolset>`, over Streamable HTTP
 * (stateless: a fresh MCP server per request, so replicas need no stickiness) and, for older
 * clients, the legacy HTTP+SSE transport at `/mcp/<toolset>/sse` (its sessions live in this
 * replica). Every request proves an agent key, names a host this runtime serves (DNS-rebinding
 * protection, before anything else) and stays within the key's rate limit; `/mcp/tools` and
 * `/mcp/call` keep the seed's plain JSON callers working.
 */
export async function registerMcp(app: FastifyInstance, config: RuntimeConfig, deps: McpHttpDeps): Promise<void> {
	const { calls, metrics } = deps;
	const allowed = new Set(config.mcp.allowedHosts);
	const sseSessions = new Map<string, { transport: SSEServerTransport; agent: string; toolset: string }>();

	// One validator for every per-request server: a new Ajv per request was the largest cost of a call.
	const jsonSchemaValidator = new AjvJsonSchemaValidator();

	function mcpServer(toolset: string, agent: string): Server {
		const server = new Server(SERVER_INFO, { capabilities: { tools: {} }, instructions: INSTRUCTIONS, jsonSchemaValidator });
		server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: calls.tools(toolset) }));
		server.setRequestHandler(CallToolRequestSchema, async (request) =>
			calls.call(toolset, request.params.name, request.params.arguments, { agent, meta: request.params._meta }),
		);
		return server;
	}

	/** The agent may use this toolset; else the answer is sent and false returned. */
	async function toolsetAllowed(request: FastifyRequest<{ Params: { toolset: string } }>, reply: FastifyReply): Promise<boolean> {
		const { toolset } = request.params;
		if (!calls.has(toolset)) {
			await problem(reply, 404, 'not_found', `no toolset "${toolset}" on this server`);
			return false;
		}
		if (!(config.mcp.agentToolsets.get(request.mcpAgent!) ?? []).includes(toolset)) {
			await problem(reply, 403, 'forbidden', `agent "${request.mcpAgent}" may not use the toolset "${toolset}"`);
			return false;
		}
		return true;
	}

	await app.register(rateLimit, { global: false });

	await app.register(
		async (mcp) => {
			mcp.addHook('onRequest', async (request, reply) => {
				reply.header('cache-control', 'no-store');
				// DNS rebinding: a page on evil.example resolving to this host must be refused before anything else.
				const host = hostnameOf(String(request.headers.host ?? ''));
				if (!host || !allowed.has(host)) {
					return await problem(reply, 403, 'forbidden', `Host "${String(request.headers.host ?? '')}" is not a name this server answers to (WIDIP_MCP_ALLOWED_HOSTS)`);
				}
				const origin = request.headers.origin;
				if (typeof origin === 'string' && origin !== 'null' && !allowed.has(hostnameOf(origin) ?? '')) {
					return await problem(reply, 403, 'forbidden', `Origin "${origin}" is not allowed`);
				}
				const key = presentedKey(request);
				if (!key) {
					reply.header('www-authenticate', 'Bearer realm="widip-mcp"');
					return await problem(reply, 401, 'auth', 'an agent key is required: Authorization: Bearer <key> or X-API-Key: <key>');
				}
				const agent = matchKey(key, config.agentKeys);
				if (!agent) {
					const technician = matchKey(key, config.technicianKeys);
					if (technician) return await problem(reply, 403, 'forbidden', 'technician keys cannot call agent tools; use an agent key');
					reply.header('www-authenticate', 'Bearer realm="widip-mcp", error="invalid_token"');
					return await problem(reply, 401, 'auth', 'unknown key');
				}
				request.mcpAgent = agent.name;
			});

			// One limiter shared by every MCP route: a key's budget is one, whichever route it calls.
			// It runs as a preHandler, after the key check: the limit is per agent key, not per address.
			const perKey = mcp.rateLimit({
				max: config.mcp.rateLimitPerMinute,
				timeWindow: 60_000,
				keyGenerator: (request: FastifyRequest) => `agent:${request.mcpAgent ?? request.ip}`,
				onExceeded: (request: FastifyRequest) => metrics.limited(request.mcpAgent ?? 'unknown'),
				errorResponseBuilder: (request: FastifyRequest, context: { max: number; after: string; statusCode: number }) => ({
					statusCode: context.statusCode,
					error: 'rate_limited',
					message: `agent "${request.mcpAgent}" made more than ${context.max} calls in a minute; retry in ${context.after}`,
				}),
			});
			const limited = { bodyLimit: config.mcp.bodyLimitBytes, preHandler: perKey };

			mcp.get('/tools', limited, async (request) => {
				const names = config.mcp.agentToolsets.get(request.mcpAgent!) ?? [];
				return {
					agent: request.mcpAgent,
					toolsets: Object.fromEntries(
						names.map((name) => [
							name,
							calls.tools(name).map((tool) => ({ ...tool, level: (tool._meta as Record<string, unknown> | undefined)?.['widip/safeguardLevel'] ?? 0 })),
						]),
					),
				};
			});

			mcp.post<{ Body: Record<string, unknown> }>('/call', limited, async (request, reply) => {
				const body = request.body;
				if (!body || typeof body !== 'object' || Array.isArray(body) || typeof body.name !== 'string') {
					return await problem(reply, 400, 'bad_request', 'the body must be a JSON object {name, arguments, confidence?, reason?, approvalId?, toolset?}');
				}
				const names = config.mcp.agentToolsets.get(request.mcpAgent!) ?? [];
				const toolset =
					typeof body.toolset === 'string' ? body.toolset : (names.find((name) => calls.tools(name).some((tool) => tool.name === body.name)) ?? names[0]);
				if (!toolset || !names.includes(toolset)) return await problem(reply, 403, 'forbidden', `agent "${request.mcpAgent}" may not use the toolset "${String(toolset)}"`);
				const args = body.arguments && typeof body.arguments === 'object' && !Array.isArray(body.arguments) ? (body.arguments as Record<string, unknown>) : {};
				const meta: Record<string, unknown> = {};
				if (body.confidence !== undefined) meta['widip/confidence'] = body.confidence;
				if (body.reason !== undefined) meta['widip/reason'] = body.reason;
				if (body.approvalId !== undefined) meta['widip/approvalId'] = body.approvalId;
				return await calls.call(toolset, body.name, args, { agent: request.mcpAgent!, meta });
			});

			mcp.post<{ Params: { toolset: string } }>('/:toolset', limited, async (request, reply) => {
				if (!(await toolsetAllowed(request, reply))) return;
				const server = mcpServer(request.params.toolset, request.mcpAgent!);
				const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
				reply.hijack();
				reply.raw.on('close', () => {
					void transport.close();
					void server.close();
				});
				await server.connect(transport);
				await transport.handleRequest(request.raw, reply.raw, request.body);
			});

			// Stateless: no server-initiated stream and no session to end.
			const notStateful = async (_request: FastifyRequest, reply: FastifyReply) =>
				await reply.code(405).header('allow', 'POST').send({ error: 'method_not_allowed', message: 'this server is stateless: POST only' });
			mcp.get('/:toolset', notStateful);
			mcp.delete('/:toolset', notStateful);

			mcp.get<{ Params: { toolset: string } }>('/:toolset/sse', limited, async (request, reply) => {
				if (!(await toolsetAllowed(request, reply))) return;
				const { toolset } = request.params;
				reply.hijack();
				const transport = new SSEServerTransport(`/mcp/${toolset}/messages`, reply.raw);
				const session = { transport, agent: request.mcpAgent!, toolset };
				sseSessions.set(transport.sessionId, session);
				transport.onclose = () => sseSessions.delete(transport.sessionId);
				reply.raw.on('close', () => sseSessions.delete(transport.sessionId));
				await mcpServer(toolset, request.mcpAgent!).connect(transport);
			});

			mcp.post<{ Params: { toolset: string }; Querystring: { sessionId?: string } }>('/:toolset/messages', limited, async (request, reply) => {
				const session = sseSessions.get(request.query.sessionId ?? '');
				// Another agent's session is "not found": a session id is no key to someone else's tools.
				if (!session || session.agent !== request.mcpAgent || session.toolset !== request.params.toolset) {
					return await problem(reply, 404, 'not_found', 'no SSE session of yours has this id on this replica (legacy SSE sessions live in one replica)');
				}
				reply.hijack();
				await session.transport.handlePostMessage(request.raw, reply.raw, request.body);
			});
		},
		{ prefix: '/mcp' },
	);

	app.addHook('onClose', async () => {
		for (const { transport } of sseSessions.values()) await transport.close();
		sseSessions.clear();
	});
}
