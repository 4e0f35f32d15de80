import type { GlpiState, SimTicket, SimUser } from './state';

type Getter<T> = (item: T, state: GlpiState) => string;

/** Search options of the simulated itemtypes, by GLPI's core ids (see refs/services.md §1.6). */
export const USER_OPTIONS: Record<number, Getter<SimUser>> = {
	1: (user) => user.name,
	2: (user) => String(user.id),
	5: (user) => user.emails.join('$#$'),
	6: (user) => user.phone,
	8: (user) => String(user.is_active),
	9: (user) => user.firstname,
	10: (user) => user.phone2,
	11: (user) => user.mobile,
	34: (user) => user.realname,
	80: (user, state) => state.entities.get(user.entities_id)?.completename ?? '',
};

export const TICKET_OPTIONS: Record<number, Getter<SimTicket>> = {
	1: (ticket) => ticket.name,
	2: (ticket) => String(ticket.id),
	3: (ticket) => String(ticket.priority),
	4: (ticket, state) => ticket.requesters.map((id) => state.users.get(id)?.name ?? '').join('$#$'),
	10: (ticket) => String(ticket.urgency),
	11: (ticket) => String(ticket.impact),
	12: (ticket) => String(ticket.status),
	14: (ticket) => String(ticket.type),
	15: (ticket) => ticket.date,
	19: (ticket) => ticket.date_mod,
	21: (ticket) => ticket.content,
	80: (ticket, state) => state.entities.get(ticket.entities_id)?.completename ?? '',
};

export interface Criterion {
	link: string;
	field: number;
	searchtype: string;
	value: string;
}

/** `criteria[0][field]=12&…` → criteria in index order (Fastify does not nest query keys). */
export function parseCriteria(params: URLSearchParams): Criterion[] {
	const byIndex = new Map<number, Partial<Criterion>>();
	for (const [key, value] of params) {
		const match = key.match(/^criteria\[(\d+)\]\[(\w+)\]$/);
		if (!match) continue;
		const entry = byIndex.get(Number(match[1])) ?? {};
		(entry as Record<string, string>)[match[2]] = value;
		byIndex.set(Number(match[1]), entry);
	}
	return [...byIndex.entries()]
		.sort(([a], [b]) => a - b)
		.map(([, entry]) => ({
			link: entry.link ?? 'AND',
			field: Number(entry.field),
			searchtype: entry.searchtype ?? 'contains',
			value: String(entry.value ?? ''),
		}));
}

/** GLPI's "contains": a case-insensitive LIKE %value%, anchored by ^ and $ when given. */
export function matches(actual: string, searchtype: string, value: string): boolean {
	switch (searchtype) {
		case 'contains': {
			const anchoredStart = value.startsWith('^');
			const anchoredEnd = value.endsWith('$');
			const needle = value.replace(/^\^/, '').replace(/\$$/, '').toLowerCase();
			return actual
				.split('$#$')
				.some((part) => {
					const haystack = part.toLowerCase();
					if (anchoredStart && anchoredEnd) return haystack === needle;
					if (anchoredStart) return haystack.startsWith(needle);
					if (anchoredEnd) return haystack.endsWith(needle);
					return haystack.includes(needle);
				});
		}
		case 'equals':
			return actual === value;
		case 'notequals':
			return actual !== value;
		case 'lessthan':
			return actual < value;
		case 'morethan':
			return actual > value;
		default:
			throw new Error(`unsupported searchtype ${searchtype}`);
	}
}

/** Criteria fold left to right, as GLPI applies its links. */
export function evaluate<T>(item: T, criteria: Criterion[], options: Record<number, Getter<T>>, state: GlpiState): boolean {
	let result = true;
	criteria.forEach((criterion, index) => {
		const getter = options[criterion.field];
		const hit = getter ? matches(getter(item, state), criterion.searchtype, criterion.value) : false;
		if (index === 0) result = criterion.link === 'AND NOT' ? !hit : hit;
		else if (criterion.link === 'OR') result = result || hit;
		else if (criterion.link === 'AND NOT') result = result && !hit;
		else result = result && hit;
	});
	return result;
}
