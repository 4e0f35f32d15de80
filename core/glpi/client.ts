import { throughCircuit, type Circuit } from '../breaker/circuit';
import { WidipError } from '../errors';
import { HttpService } from '../http/client';
import type { Logger } from '../logger';
import { glpiConfigSchema, type GlpiConfig, type GlpiConfigInput } from './config';
import { statusLabel, TICKET_FIELD, USER_FIELD } from './constants';
import { GlpiSession } from './session';

type Row = Record<string, unknown>;
type QueryPairs = Array<[string, string | number]>;

/**
 * What every request of one operation shares: its name, one deadline for the whole operation
 * (pages, re-login and retries included, as the credential's timeout promises) and a signal that
 * stops its other requests once one has failed.
 */
interface Op {
	operation: string;
	deadline: number;
	signal: AbortSignal;
}

export interface GlpiPerson {
	id: number;
	login: string;
	firstname: string;
	lastname: string;
	email: string;
	phone: string;
	mobile: string;
	entity: string;
}

export interface TicketSummary {
	id: number;
	title: string;
	content: string;
	status: number;
	statusLabel: string;
	priority: number;
	openedAt: string;
	requester: string;
	entity: string;
}

export interface NewTicket {
	title: string;
	content: string;
	entityId?: number;
	requesterId?: number;
	type: number;
	urgency: number;
	impact: number;
	priority?: number;
	idempotencyKey?: string;
}

const text = (value: unknown) => (value === null || value === undefined ? '' : String(value));
/** GLPI search results carry numbers as strings ("42"); dropdowns may be names or ids. */
const int = (value: unknown) => {
	const parsed = Number.parseInt(text(value), 10);
	return Number.isFinite(parsed) ? parsed : 0;
};
/** Multi-valued search columns come back joined by GLPI's separator. */
const first = (value: unknown) => text(value).split('$#$')[0];

/** `Content-Range: 0-49/120` → the last row index and the total. */
export function parseContentRange(header: string | null): { end: number; total: number } | undefined {
	const match = header?.match(/^(\d+)-(\d+)\/(\d+)$/);
	return match ? { end: Number(match[2]), total: Number(match[3]) } : undefined;
}

/** The text GLPI stores in a ticket so that a retried create can find its first attempt. */
export function idempotencyMarker(key: string): string {
	return `WIDIP-REF:${key}`;
}

/** `YYYY-MM-DD HH:MM:SS` in GLPI's time zone, the only date form its search accepts. */
export function glpiDate(date: Date, timeZone: string): string {
	const parts = Object.fromEntries(
		new Intl.DateTimeFormat('en-GB', {
			timeZone,
			year: 'numeric',
			month: '2-digit',
			day: '2-digit',
			hour: '2-digit',
			minute: '2-digit',
			second: '2-digit',
			hourCycle: 'h23',
		})
			.formatToParts(date)
			.map((part) => [part.type, part.value]),
	);
	return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

/**
 * Typed GLPI client over the legacy REST API (`apirest.php`), which GLPI 9.5, 10 and 11 all serve.
 * Reads page through Content-Range and retry; writes are sent once unless made idempotent.
 */
export interface GlpiClientOptions {
	/**
	 * The shared circuit breaker (core/breaker): while it is open, operations fail at once with no
	 * request sent; each operation's outcome is reported to it.
	 */
	circuit?: Circuit;
}

export class GlpiClient {
	readonly config: GlpiConfig;
	private readonly session: GlpiSession;
	private readonly circuit?: Circuit;
	private closing = false;

	private statusHttp?: HttpService;

	constructor(config: GlpiConfigInput, logger?: Logger, options: GlpiClientOptions = {}) {
		this.config = glpiConfigSchema.parse(config);
		this.session = new GlpiSession(this.config, logger);
		this.circuit = options.circuit;
	}

	/**
	 * Runs an operation's requests; when one fails, the others stop: none retries for a lost cause.
	 * The circuit sees the operation as one call (pages, re-login and retries included), so a
	 * half-open breaker's single probe is a whole operation. A call cut short by close() is not GLPI's
	 * fault and is not reported.
	 */
	private async run<T>(operation: string, work: (op: Op) => Promise<T>): Promise<T> {
		return await throughCircuit(
			this.circuit,
			{ label: 'GLPI', service: 'glpi', operation },
			async () => {
				const controller = new AbortController();
				try {
					return await work({ operation, deadline: Date.now() + this.config.timeoutMs, signal: controller.signal });
				} finally {
					controller.abort();
				}
			},
			() => this.closing,
		);
	}

	/** Runs the search engine and follows 206 Partial Content pages until `limit` rows or the end. */
	private async search(itemtype: string, criteria: QueryPairs, display: number[], limit: number, op: Op, sort?: number) {
		const rows: Row[] = [];
		let start = 0;
		let total = Number.POSITIVE_INFINITY;
		const base: QueryPairs = [...criteria, ...display.map((field, i): [string, number] => [`forcedisplay[${i}]`, field])];
		if (sort !== undefined) base.push(['sort', sort], ['order', 'ASC']);
		while (rows.length < limit && start < total) {
			const end = start + Math.min(this.config.pageSize, limit - rows.length) - 1;
			const response = await this.session.call<{ totalcount?: number | string; data?: Row[] }>({
				...op,
				method: 'GET',
				path: `search/${itemtype}`,
				query: [...base, ['range', `${start}-${end}`]],
				retry: true,
			});
			total = int(response.body?.totalcount);
			const data = response.body?.data ?? [];
			if (data.length === 0) break;
			rows.push(...data);
			start = (parseContentRange(response.headers.get('content-range'))?.end ?? start + data.length - 1) + 1;
		}
		return { rows: rows.slice(0, limit), total: Number.isFinite(total) ? total : rows.length };
	}

	async searchClients(by: 'name' | 'email' | 'phone', value: string, limit: number) {
		const fields =
			by === 'email' ? [USER_FIELD.email] : by === 'phone' ? [USER_FIELD.phone, USER_FIELD.phone2, USER_FIELD.mobile] : [USER_FIELD.login, USER_FIELD.realname, USER_FIELD.firstname];
		// An e-mail is matched whole (^…$); names and phones as "contains".
		const pattern = by === 'email' ? `^${value}$` : value;
		const criteria: QueryPairs = fields.flatMap((field, i): QueryPairs => [
			...(i > 0 ? ([[`criteria[${i}][link]`, 'OR']] as QueryPairs) : []),
			[`criteria[${i}][field]`, field],
			[`criteria[${i}][searchtype]`, 'contains'],
			[`criteria[${i}][value]`, pattern],
		]);
		const display = [USER_FIELD.id, USER_FIELD.login, USER_FIELD.realname, USER_FIELD.firstname, USER_FIELD.email, USER_FIELD.phone, USER_FIELD.mobile, USER_FIELD.entity];
		const { rows, total } = await this.run('glpi.search_client', (op) => this.search('User', criteria, display, limit, op));
		const clients: GlpiPerson[] = rows.map((row) => ({
			id: int(row[USER_FIELD.id]),
			login: text(row[USER_FIELD.login]),
			firstname: text(row[USER_FIELD.firstname]),
			lastname: text(row[USER_FIELD.realname]),
			email: first(row[USER_FIELD.email]),
			phone: text(row[USER_FIELD.phone]),
			mobile: text(row[USER_FIELD.mobile]),
			entity: text(row[USER_FIELD.entity]),
		}));
		return { clients, total };
	}

	async searchNewTickets(sinceMinutes: number, limit: number) {
		const since = glpiDate(new Date(Date.now() - sinceMinutes * 60_000), this.config.timeZone);
		const criteria: QueryPairs = [
			['criteria[0][field]', TICKET_FIELD.status],
			['criteria[0][searchtype]', 'equals'],
			['criteria[0][value]', 1],
			['criteria[1][link]', 'AND'],
			['criteria[1][field]', TICKET_FIELD.openedAt],
			['criteria[1][searchtype]', 'morethan'],
			['criteria[1][value]', since],
		];
		const display = [TICKET_FIELD.id, TICKET_FIELD.title, TICKET_FIELD.content, TICKET_FIELD.status, TICKET_FIELD.priority, TICKET_FIELD.openedAt, TICKET_FIELD.requester, TICKET_FIELD.entity];
		const { rows, total } = await this.run('glpi.search_new_tickets', (op) => this.search('Ticket', criteria, display, limit, op, TICKET_FIELD.openedAt));
		const tickets: TicketSummary[] = rows.map((row) => ({
			id: int(row[TICKET_FIELD.id]),
			title: text(row[TICKET_FIELD.title]),
			content: text(row[TICKET_FIELD.content]),
			status: int(row[TICKET_FIELD.status]),
			statusLabel: statusLabel(int(row[TICKET_FIELD.status])),
			priority: int(row[TICKET_FIELD.priority]),
			openedAt: text(row[TICKET_FIELD.openedAt]),
			requester: first(row[TICKET_FIELD.requester]),
			entity: text(row[TICKET_FIELD.entity]),
		}));
		return { tickets, total, since };
	}

	private async findTicketByMarker(key: string, op: Op): Promise<number | undefined> {
		const { rows } = await this.search(
			'Ticket',
			[
				['criteria[0][field]', TICKET_FIELD.content],
				['criteria[0][searchtype]', 'contains'],
				['criteria[0][value]', idempotencyMarker(key)],
			],
			[TICKET_FIELD.id],
			1,
			op,
		);
		return rows.length > 0 ? int(rows[0][TICKET_FIELD.id]) : undefined;
	}

	/**
	 * Creates a ticket. With an idempotency key, the key is stored in the ticket text; before
	 * sending, and after a lost answer, GLPI is searched for it, so a retry never makes a second
	 * ticket. Without a key the POST is sent exactly once.
	 */
	createTicket(ticket: NewTicket): Promise<{ id: number; created: boolean }> {
		return this.run('glpi.create_ticket', (op) => this.create(ticket, op));
	}

	private async create(ticket: NewTicket, op: Op): Promise<{ id: number; created: boolean }> {
		const key = ticket.idempotencyKey;
		if (key) {
			const existing = await this.findTicketByMarker(key, op);
			if (existing !== undefined) return { id: existing, created: false };
		}
		const input: Row = {
			name: ticket.title,
			content: key ? `${ticket.content}\n<p>${idempotencyMarker(key)}</p>` : ticket.content,
			type: ticket.type,
			urgency: ticket.urgency,
			impact: ticket.impact,
		};
		if (ticket.entityId !== undefined) input.entities_id = ticket.entityId;
		if (ticket.priority !== undefined) input.priority = ticket.priority;
		if (ticket.requesterId !== undefined) input._users_id_requester = ticket.requesterId;
		const send = () =>
			this.session.call<{ id: number | string }>({ ...op, method: 'POST', path: 'Ticket/', body: { input }, retry: false });
		for (let attempt = 0; ; attempt++) {
			try {
				const response = await send();
				return { id: int(response.body?.id), created: true };
			} catch (error) {
				if (!key || !(error instanceof WidipError) || !error.transient || attempt >= this.config.retries) throw error;
				// The answer was lost, not necessarily the ticket: look before sending again.
				const existing = await this.findTicketByMarker(key, op);
				if (existing !== undefined) return { id: existing, created: true };
			}
		}
	}

	async getTicket(id: number) {
		// Three reads in parallel: the first failure fails the call, and run() then stops the other two.
		const [ticket, followups, solutions] = await this.run('glpi.get_ticket', (op) => {
			const get = <T>(path: string, query?: Record<string, string | number>) =>
				this.session.call<T>({ ...op, method: 'GET', path, query, retry: true }).then((response) => response.body);
			return Promise.all([get<Row>(`Ticket/${id}`, { expand_dropdowns: 'true' }), get<Row[]>(`Ticket/${id}/ITILFollowup`), get<Row[]>(`Ticket/${id}/ITILSolution`)]);
		});
		const solution = (Array.isArray(solutions) ? solutions : []).at(-1);
		return {
			id: int(ticket.id),
			title: text(ticket.name),
			content: text(ticket.content),
			status: int(ticket.status),
			statusLabel: statusLabel(int(ticket.status)),
			priority: int(ticket.priority),
			urgency: int(ticket.urgency),
			impact: int(ticket.impact),
			type: int(ticket.type),
			entity: text(ticket.entities_id),
			openedAt: text(ticket.date),
			updatedAt: text(ticket.date_mod),
			solvedAt: ticket.solvedate ? text(ticket.solvedate) : null,
			closedAt: ticket.closedate ? text(ticket.closedate) : null,
			followups: (Array.isArray(followups) ? followups : []).map((followup) => ({
				id: int(followup.id),
				content: text(followup.content),
				isPrivate: int(followup.is_private) === 1,
				date: text(followup.date),
				authorId: int(followup.users_id),
			})),
			solution: solution ? { id: int(solution.id), content: text(solution.content), status: int(solution.status), date: text(solution.date_creation) } : null,
		};
	}

	async addFollowup(ticketId: number, content: string, isPrivate: boolean): Promise<number> {
		const response = await this.run('glpi.add_followup', (op) =>
			this.session.call<{ id: number | string }>({
				...op,
				method: 'POST',
				path: 'ITILFollowup/',
				body: { input: { itemtype: 'Ticket', items_id: ticketId, content, is_private: isPrivate ? 1 : 0 } },
				retry: false,
			}),
		);
		return int(response.body?.id);
	}

	/** Setting a status is idempotent (PUT), so it may be retried. */
	async updateStatus(ticketId: number, status: number): Promise<void> {
		await this.run('glpi.update_status', (op) => this.setStatus(ticketId, status, op));
	}

	private async setStatus(ticketId: number, status: number, op: Op): Promise<void> {
		await this.session.call({ ...op, method: 'PUT', path: `Ticket/${ticketId}`, body: { input: { status } }, retry: true });
	}

	/**
	 * Adds the solution and leaves the rest to GLPI: the ticket is solved (5), and the requester may
	 * accept or refuse it; an entity that auto-closes at once closes it (6). Sent once (a retried
	 * POST could solve twice; GLPI refuses a second solution anyway). Returns the status GLPI set.
	 */
	solveTicket(ticketId: number, solution: string, solutionTypeId?: number) {
		const input: Row = { itemtype: 'Ticket', items_id: ticketId, content: solution };
		if (solutionTypeId !== undefined) input.solutiontypes_id = solutionTypeId;
		return this.run('glpi.solve_ticket', async (op) => {
			const added = await this.session.call<{ id: number | string }>({ ...op, method: 'POST', path: 'ITILSolution/', body: { input }, retry: false });
			const after = await this.session.call<Row>({ ...op, method: 'GET', path: `Ticket/${ticketId}`, retry: true });
			const status = int(after.body.status);
			return { ticketId, solutionId: int(added.body?.id), status, statusLabel: statusLabel(status) };
		});
	}

	/**
	 * Adds the solution (GLPI then marks the ticket solved, or closed at once when the entity
	 * auto-closes) and closes it if it stayed solved.
	 */
	closeTicket(ticketId: number, solution: string, solutionTypeId?: number) {
		const input: Row = { itemtype: 'Ticket', items_id: ticketId, content: solution };
		if (solutionTypeId !== undefined) input.solutiontypes_id = solutionTypeId;
		return this.run('glpi.close_ticket', async (op) => {
			const added = await this.session.call<{ id: number | string }>({ ...op, method: 'POST', path: 'ITILSolution/', body: { input }, retry: false });
			const after = await this.session.call<Row>({ ...op, method: 'GET', path: `Ticket/${ticketId}`, retry: true });
			if (int(after.body.status) !== 6) await this.setStatus(ticketId, 6, op);
			return { ticketId, solutionId: int(added.body?.id), status: 6 };
		});
	}

	/**
	 * GLPI's own cheap check, `status.php?service=db` next to `apirest.php`: no login, the database
	 * only (the full check binds every LDAP directory and opens IMAP sockets, too much every 30 s).
	 * GLPI answers OK / WARNING / PROBLEM / NO_DATA, the worst of the main database and its replicas;
	 * OK and WARNING (a replica late) still serve requests. Never throws, like ping().
	 */
	async statusCheck(): Promise<{ healthy: boolean; status: string; latencyMs: number; message: string }> {
		const started = Date.now();
		const root = this.config.url.replace(/\/apirest\.php\/?$/, '');
		this.statusHttp ??= new HttpService('GLPI', 'glpi', { baseUrl: root, timeoutMs: this.config.timeoutMs, retries: 0, notJsonHint: 'status.php should answer JSON when asked with Accept: application/json (GLPI 10+)' });
		try {
			const answer = await this.statusHttp.request<{ status?: unknown }>({
				operation: 'glpi.status_check',
				method: 'GET',
				path: 'status.php',
				query: { service: 'db', format: 'json' },
				headers: { Accept: 'application/json' },
				retry: false,
			});
			const status = typeof answer.body?.status === 'string' ? answer.body.status : 'NO_DATA';
			const healthy = status === 'OK' || status === 'WARNING';
			return { healthy, status, latencyMs: Date.now() - started, message: `GLPI database status ${status}` };
		} catch (error) {
			return { healthy: false, status: 'UNREACHABLE', latencyMs: Date.now() - started, message: (error as Error).message };
		}
	}

	/** Never throws: the Health-Check flow needs "down, because …", not an exception. */
	async ping(): Promise<{ healthy: boolean; latencyMs: number; message: string }> {
		const started = Date.now();
		try {
			await this.run('glpi.health_ping', (op) => this.session.call({ ...op, method: 'GET', path: 'getActiveProfile', retry: false }));
			return { healthy: true, latencyMs: Date.now() - started, message: 'GLPI answered' };
		} catch (error) {
			return { healthy: false, latencyMs: Date.now() - started, message: (error as Error).message };
		}
	}

	async close(): Promise<void> {
		this.closing = true;
		await this.session.close();
	}
}
