import { randomBytes } from 'node:crypto';

import { seedPeople, SITES } from '../seed-data';

export interface SimUser {
	id: number;
	name: string;
	firstname: string;
	realname: string;
	emails: string[];
	phone: string;
	phone2: string;
	mobile: string;
	entities_id: number;
	is_active: number;
}

export interface SimTicket {
	id: number;
	name: string;
	content: string;
	status: number;
	urgency: number;
	impact: number;
	priority: number;
	type: number;
	entities_id: number;
	date: string;
	date_mod: string;
	solvedate: string | null;
	closedate: string | null;
	users_id_recipient: number;
	requesters: number[];
}

export interface SimFollowup {
	id: number;
	itemtype: string;
	items_id: number;
	content: string;
	is_private: number;
	date: string;
	users_id: number;
}

export interface SimSolution {
	id: number;
	itemtype: string;
	items_id: number;
	content: string;
	status: number;
	solutiontypes_id: number;
	date_creation: string;
}

/** GLPI's date form, in the simulator's zone (UTC): `YYYY-MM-DD HH:MM:SS`. */
export function glpiNow(date = new Date()): string {
	return date.toISOString().replace('T', ' ').slice(0, 19);
}

/** GLPI's default urgency × impact matrix, close enough: the rounded-up mean. */
export function computePriority(urgency: number, impact: number): number {
	return Math.ceil((urgency + impact) / 2);
}

export class GlpiState {
	users = new Map<number, SimUser>();
	tickets = new Map<number, SimTicket>();
	followups: SimFollowup[] = [];
	solutions: SimSolution[] = [];
	entities = new Map<number, { name: string; completename: string; autoclose: boolean }>();
	/** user token → user id */
	userTokens = new Map<string, number>();
	/** login → password (for Basic auth) */
	passwords = new Map<string, string>();
	sessions = new Map<string, { userId: number; lastUsed: number }>();
	private nextIds = { user: 1, ticket: 1, followup: 1, solution: 1 };

	constructor() {
		this.entities.set(0, { name: 'Entité racine', completename: 'Entité racine', autoclose: false });
		for (const site of SITES) {
			this.entities.set(site.entityId, { name: site.name, completename: `Entité racine > ${site.name}`, autoclose: false });
		}
		const tech = this.addUser({ name: 'tech.widip', firstname: 'Technicien', realname: 'WIDIP', emails: ['support@widip.example.fr'], entities_id: 0 });
		this.userTokens.set('widip-sim-user-token', tech.id);
		this.passwords.set('tech.widip', 'widip-sim-password');
		for (const person of seedPeople()) {
			this.addUser({
				name: person.login,
				firstname: person.firstname,
				realname: person.realname,
				emails: [person.email],
				phone: person.phone,
				mobile: person.mobile,
				entities_id: person.entityId,
			});
		}
		const requester = [...this.users.values()].find((user) => user.entities_id === 1)!;
		this.addTicket({ name: 'Imprimante du 1er étage hors service', content: '<p>L\'imprimante du poste de soins ne répond plus.</p>', entities_id: 1, requesters: [requester.id], status: 2 });
	}

	addUser(fields: Partial<SimUser> & { name: string }): SimUser {
		const user: SimUser = {
			id: this.nextIds.user++,
			firstname: '',
			realname: '',
			emails: [],
			phone: '',
			phone2: '',
			mobile: '',
			entities_id: 0,
			is_active: 1,
			...fields,
		};
		this.users.set(user.id, user);
		return user;
	}

	addTicket(fields: Partial<SimTicket> & { name: string; content: string }): SimTicket {
		const now = glpiNow();
		const urgency = fields.urgency ?? 3;
		const impact = fields.impact ?? 3;
		const ticket: SimTicket = {
			id: this.nextIds.ticket++,
			status: 1,
			urgency,
			impact,
			priority: fields.priority ?? computePriority(urgency, impact),
			type: 1,
			entities_id: 0,
			date: now,
			date_mod: now,
			solvedate: null,
			closedate: null,
			users_id_recipient: 1,
			requesters: [],
			...fields,
		};
		this.tickets.set(ticket.id, ticket);
		return ticket;
	}

	addFollowup(fields: Omit<SimFollowup, 'id' | 'date'>): SimFollowup {
		const followup = { ...fields, id: this.nextIds.followup++, date: glpiNow() };
		this.followups.push(followup);
		return followup;
	}

	addSolution(fields: Omit<SimSolution, 'id' | 'date_creation'>): SimSolution {
		const solution = { ...fields, id: this.nextIds.solution++, date_creation: glpiNow() };
		this.solutions.push(solution);
		return solution;
	}

	openSession(userId: number): string {
		const token = randomBytes(16).toString('hex');
		this.sessions.set(token, { userId, lastUsed: Date.now() });
		return token;
	}
}
