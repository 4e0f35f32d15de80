import type { FastifyReply, FastifyRequest } from 'fastify';

import { recordBodies, SimulatorServer, type FaultRule } from '../base';
import { GlpiFaults, ignoresSanitizeHeader, isGlpiOnly, type GlpiFaultRule } from './faults';
import { evaluate, parseCriteria, TICKET_OPTIONS, USER_OPTIONS } from './search';
import { computePriority, glpiNow, GlpiState, type SimTicket } from './state';

export interface GlpiSimulatorOptions {
	/** App-Token required by the API client config (GLPI "API clients"); none when undefined. */
	appToken?: string;
	/** Idle time after which GLPI forgets a session (PHP's gc_maxlifetime, 1440 s by default). */
	sessionTtlMs?: number;
}

type Req = FastifyRequest<{ Params: Record<string, string>; Body: { input?: Record<string, unknown> } }>;

const API = '/apirest.php';

/** GLPI's error format: `["ERROR_CODE", "message; view documentation in your browser at …"]`. */
function glpiError(reply: FastifyReply, status: number, code: string, message: string) {
	return reply.code(status).send([code, `${message}; view documentation in your browser at ${API}/#${code}`]);
}

/**
 * GLPI 10 returns HTML-encoded text unless the client sends `X-GLPI-Sanitized-Content: false`:
 * `&`, `<` and `>` only, as `&#38;`, `&#60;`, `&#62;` (src/Toolbox/Sanitizer.php); quotes stay.
 */
function sanitize(value: unknown): unknown {
	if (typeof value === 'string') return value.replace(/&/g, '&#38;').replace(/</g, '&#60;').replace(/>/g, '&#62;');
	if (Array.isArray(value)) return value.map(sanitize);
	if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sanitize(v)]));
	return value;
}

/**
 * A GLPI legacy REST API (`apirest.php`) that behaves as the documentation says, awkward parts
 * included: error arrays, session tokens that expire, 206 Partial Content with Content-Range,
 * search results keyed by search-option id with string values, HTML-encoded text by default.
 */
export class GlpiSimulator extends SimulatorServer {
	readonly state = new GlpiState();
	sessionTtlMs: number;
	private readonly glpiFaults = new GlpiFaults();

	constructor(readonly glpiOptions: GlpiSimulatorOptions = {}) {
		super('glpi', { errorBody: (status) => [status === 429 ? 'ERROR_RATE_LIMITED' : 'ERROR', `Simulated HTTP ${status}`] });
		this.sessionTtlMs = glpiOptions.sessionTtlMs ?? 1_440_000;
		recordBodies(this);
		// Runs after the shared onRequest hook, which records the request and applies shared faults.
		this.app.addHook('onRequest', async (request, reply) => {
			if (reply.sent || !request.url.startsWith(API)) return;
			return this.glpiFaults.apply(request, reply);
		});
		this.app.addHook('preSerialization', async (request, _reply, payload) =>
			request.url.startsWith(API) && (request.headers['x-glpi-sanitized-content'] !== 'false' || ignoresSanitizeHeader(request)) ? sanitize(payload) : payload,
		);
		this.routes();
	}

	/** The shared faults plus GLPI's own (`html_login`, `plain_text`, `ignore_sanitize_header`); also `POST /__sim/fault`. */
	override fault(rule: GlpiFaultRule): void {
		if (isGlpiOnly(rule)) this.glpiFaults.add(rule);
		else super.fault(rule as FaultRule);
	}

	override clearFaults(): void {
		super.clearFaults();
		this.glpiFaults.clear();
	}

	/** Forget every session now, as GLPI does after its session lifetime. */
	expireSessions(): void {
		this.state.sessions.clear();
	}

	private checkAppToken(request: FastifyRequest, reply: FastifyReply): boolean {
		if (!this.glpiOptions.appToken) return true;
		const given = request.headers['app-token'];
		if (!given) return void glpiError(reply, 400, 'ERROR_APP_TOKEN_PARAMETERS_MISSING', 'missing parameter app_token'), false;
		if (given !== this.glpiOptions.appToken) return void glpiError(reply, 400, 'ERROR_WRONG_APP_TOKEN_PARAMETER', 'parameter app_token seems wrong'), false;
		return true;
	}

	/** Every call but initSession needs a live Session-Token. */
	private authenticated(request: FastifyRequest, reply: FastifyReply): boolean {
		if (!this.checkAppToken(request, reply)) return false;
		const token = request.headers['session-token'];
		if (!token || typeof token !== 'string') return void glpiError(reply, 400, 'ERROR_SESSION_TOKEN_MISSING', 'parameter session_token is missing or empty'), false;
		const session = this.state.sessions.get(token);
		if (!session || Date.now() - session.lastUsed > this.sessionTtlMs) {
			this.state.sessions.delete(token);
			return void glpiError(reply, 401, 'ERROR_SESSION_TOKEN_INVALID', 'session_token seems invalid'), false;
		}
		session.lastUsed = Date.now();
		return true;
	}

	/**
	 * What status.php reports for the database (GLPI 10's StatusChecker): OK, WARNING (a replica
	 * late), PROBLEM (main database unreachable) or NO_DATA.
	 */
	databaseStatus: 'OK' | 'WARNING' | 'PROBLEM' | 'NO_DATA' = 'OK';

	private routes(): void {
		const app = this.app;
		// No login; JSON when asked by Accept or format=json, else the deprecated plain text.
		app.get('/status.php', async (request, reply) => {
			const query = request.query as Record<string, string | undefined>;
			const json = query.format === 'json' || String(request.headers.accept ?? '').includes('application/json');
			const db = { status: this.databaseStatus, main: { status: this.databaseStatus }, replicas: { status: 'NO_DATA', servers: [] } };
			if (query.service === 'db') return json ? reply.send(db) : reply.type('text/plain').send(`GLPI_DB_${this.databaseStatus}`);
			const all = { glpi: { status: this.databaseStatus }, db };
			return json ? reply.send(all) : reply.type('text/plain').send(`GLPI_OK\nGLPI_DB_${this.databaseStatus}`);
		});
		app.get(`${API}/initSession`, async (request, reply) => {
			if (!this.checkAppToken(request, reply)) return reply;
			const authorization = request.headers.authorization ?? '';
			const userToken = authorization.match(/^user_token\s+(.+)$/)?.[1];
			if (userToken) {
				const userId = this.state.userTokens.get(userToken);
				if (!userId) return glpiError(reply, 401, 'ERROR_GLPI_LOGIN_USER_TOKEN', 'parameter user_token seems invalid');
				return { session_token: this.state.openSession(userId) };
			}
			const basic = authorization.match(/^Basic\s+(.+)$/)?.[1];
			if (basic) {
				const [login, ...rest] = Buffer.from(basic, 'base64').toString().split(':');
				const user = [...this.state.users.values()].find((candidate) => candidate.name === login);
				if (!user || this.state.passwords.get(login) !== rest.join(':')) {
					return glpiError(reply, 401, 'ERROR_GLPI_LOGIN', 'Incorrect username or password');
				}
				return { session_token: this.state.openSession(user.id) };
			}
			return glpiError(reply, 400, 'ERROR_LOGIN_PARAMETERS_MISSING', 'parameter user_token or login/password missing');
		});

		app.get(`${API}/killSession`, async (request, reply) => {
			if (!this.authenticated(request, reply)) return reply;
			this.state.sessions.delete(request.headers['session-token'] as string);
			return true;
		});

		app.get(`${API}/getActiveProfile`, async (request, reply) => {
			if (!this.authenticated(request, reply)) return reply;
			return { active_profile: { id: 4, name: 'Super-Admin', interface: 'central' } };
		});

		app.get(`${API}/search/:itemtype`, async (request: Req, reply) => {
			if (!this.authenticated(request, reply)) return reply;
			return this.search(request, reply);
		});

		app.get(`${API}/Ticket/:id`, async (request: Req, reply) => {
			if (!this.authenticated(request, reply)) return reply;
			const ticket = this.state.tickets.get(Number(request.params.id));
			if (!ticket) return glpiError(reply, 404, 'ERROR_ITEM_NOT_FOUND', 'Item not found');
			const expand = (request.query as Record<string, string>).expand_dropdowns === 'true';
			return this.ticketRow(ticket, expand);
		});

		app.get(`${API}/Ticket/:id/:sub`, async (request: Req, reply) => {
			if (!this.authenticated(request, reply)) return reply;
			const id = Number(request.params.id);
			if (!this.state.tickets.has(id)) return glpiError(reply, 404, 'ERROR_ITEM_NOT_FOUND', 'Item not found');
			switch (request.params.sub) {
				case 'ITILFollowup':
					return this.state.followups.filter((f) => f.items_id === id);
				case 'ITILSolution':
					return this.state.solutions.filter((s) => s.items_id === id);
				case 'Ticket_User':
					return this.state.tickets.get(id)!.requesters.map((users_id, index) => ({ id: index + 1, tickets_id: id, users_id, type: 1 }));
				default:
					return glpiError(reply, 400, 'ERROR_ITEMTYPE_NOT_FOUND_NOR_COMMONDBTM', 'itemtype not found or not an instance of CommonDBTM');
			}
		});

		app.post(`${API}/Ticket/`, async (request: Req, reply) => {
			if (!this.authenticated(request, reply)) return reply;
			const input = request.body?.input;
			if (!input || typeof input !== 'object') return glpiError(reply, 400, 'ERROR_BAD_ARRAY', 'input parameter must be an array of objects');
			if (!input.name && !input.content) return glpiError(reply, 400, 'ERROR_GLPI_ADD', 'Mandatory fields are not filled. Please correct: Title, Description');
			const urgency = Number(input.urgency ?? 3);
			const impact = Number(input.impact ?? 3);
			const requester = input._users_id_requester !== undefined ? Number(input._users_id_requester) : undefined;
			const ticket = this.state.addTicket({
				name: String(input.name ?? ''),
				content: String(input.content ?? ''),
				type: Number(input.type ?? 1),
				urgency,
				impact,
				priority: input.priority !== undefined ? Number(input.priority) : computePriority(urgency, impact),
				entities_id: Number(input.entities_id ?? 0),
				requesters: requester ? [requester] : [],
			});
			return reply.code(201).header('Location', `${API}/Ticket/${ticket.id}`).send({ id: ticket.id, message: '' });
		});

		app.put(`${API}/Ticket/:id`, async (request: Req, reply) => {
			if (!this.authenticated(request, reply)) return reply;
			const ticket = this.state.tickets.get(Number(request.params.id));
			if (!ticket) return glpiError(reply, 404, 'ERROR_ITEM_NOT_FOUND', 'Item not found');
			const input = request.body?.input ?? {};
			if (input.status !== undefined) this.setStatus(ticket, Number(input.status));
			return [{ [ticket.id]: true, message: '' }];
		});

		app.post(`${API}/ITILFollowup/`, async (request: Req, reply) => {
			if (!this.authenticated(request, reply)) return reply;
			const input = request.body?.input ?? {};
			const ticket = this.state.tickets.get(Number(input.items_id));
			if (input.itemtype !== 'Ticket' || !ticket) return glpiError(reply, 400, 'ERROR_GLPI_ADD', 'You don\'t have permission to perform this action.');
			const followup = this.state.addFollowup({
				itemtype: 'Ticket',
				items_id: ticket.id,
				content: String(input.content ?? ''),
				is_private: Number(input.is_private ?? 0),
				users_id: 1,
			});
			ticket.date_mod = glpiNow();
			return reply.code(201).send({ id: followup.id, message: '' });
		});

		app.post(`${API}/ITILSolution/`, async (request: Req, reply) => {
			if (!this.authenticated(request, reply)) return reply;
			const input = request.body?.input ?? {};
			const ticket = this.state.tickets.get(Number(input.items_id));
			if (input.itemtype !== 'Ticket' || !ticket) return glpiError(reply, 400, 'ERROR_GLPI_ADD', 'You don\'t have permission to perform this action.');
			if (ticket.status >= 5) return glpiError(reply, 400, 'ERROR_GLPI_ADD', 'The item is already solved, did anyone pushed a solution before you?');
			const autoclose = this.state.entities.get(ticket.entities_id)?.autoclose ?? false;
			const solution = this.state.addSolution({
				itemtype: 'Ticket',
				items_id: ticket.id,
				content: String(input.content ?? ''),
				status: autoclose ? 3 : 2,
				solutiontypes_id: Number(input.solutiontypes_id ?? 0),
			});
			this.setStatus(ticket, autoclose ? 6 : 5);
			return reply.code(201).send({ id: solution.id, message: '' });
		});
	}

	private setStatus(ticket: SimTicket, status: number): void {
		const now = glpiNow();
		ticket.status = status;
		ticket.date_mod = now;
		if (status === 5) ticket.solvedate ??= now;
		if (status === 6) {
			ticket.solvedate ??= now;
			ticket.closedate = now;
		}
	}

	private ticketRow(ticket: SimTicket, expand: boolean) {
		const { requesters: _requesters, ...row } = ticket;
		void _requesters;
		return {
			...row,
			entities_id: expand ? this.state.entities.get(ticket.entities_id)?.completename ?? '' : ticket.entities_id,
			links: [{ rel: 'Entity', href: `${API}/Entity/${ticket.entities_id}` }],
		};
	}

	private search(request: Req, reply: FastifyReply) {
		const params = new URLSearchParams(request.url.split('?')[1] ?? '');
		const criteria = parseCriteria(params);
		const itemtype = request.params.itemtype;
		let options: Record<number, (item: never, state: GlpiState) => string>;
		let items: Map<number, unknown>;
		if (itemtype === 'User') {
			options = USER_OPTIONS as never;
			items = this.state.users;
		} else if (itemtype === 'Ticket') {
			options = TICKET_OPTIONS as never;
			items = this.state.tickets;
		} else {
			return glpiError(reply, 400, 'ERROR_ITEMTYPE_NOT_FOUND_NOR_COMMONDBTM', 'itemtype not found or not an instance of CommonDBTM');
		}
		const ids = [...items.keys()].filter((id) => evaluate(items.get(id) as never, criteria, options, this.state));
		const sort = Number(params.get('sort') ?? 1);
		const descending = params.get('order') === 'DESC';
		const sortValue = (id: number) => options[sort]?.(items.get(id) as never, this.state) ?? '';
		ids.sort((a, b) => {
			const [x, y] = [sortValue(a), sortValue(b)];
			const order = /^\d+$/.test(x) && /^\d+$/.test(y) ? Number(x) - Number(y) : x.localeCompare(y);
			return descending ? -order : order;
		});
		const total = ids.length;
		const [start, end] = (params.get('range') ?? '0-49').split('-').map(Number);
		if (total > 0 && start >= total) return glpiError(reply, 400, 'ERROR_RANGE_EXCEED_TOTAL', 'Provided range exceed total count of data');
		const page = ids.slice(start, end + 1);
		const display = new Set<number>([1, ...[...params.entries()].filter(([key]) => key.startsWith('forcedisplay')).map(([, value]) => Number(value))]);
		// Search results are keyed by search-option id, every value a string.
		const data = page.map((id) => Object.fromEntries([...display].map((field) => [String(field), options[field]?.(items.get(id) as never, this.state) ?? null])));
		const last = start + page.length - 1;
		if (total > 0) {
			reply.header('Content-Range', `${start}-${Math.max(start, last)}/${total}`);
			reply.header('Accept-Range', `${itemtype} 1000`);
		}
		reply.code(page.length < total ? 206 : 200);
		return { totalcount: total, count: page.length, sort: String(sort), order: descending ? 'DESC' : 'ASC', data, 'content-range': `${start}-${last}/${total}` };
	}
}

export function createGlpiSimulator(options?: GlpiSimulatorOptions): GlpiSimulator {
	return new GlpiSimulator(options);
}
