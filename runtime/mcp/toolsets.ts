import type { AnyOperation } from '../../core/catalogue/operation';
import type { OperationRegistry } from '../../core/catalogue/registry';

/**
 * A toolset: the operations one kind of agent may see and call, at `/mcp/<name>`. Patterns name
 * an operation (`glpi.get_ticket`), a service (`observium.*`) or everything (`*`); L4 and
 * workflow-only operations are never part of any toolset, whatever a pattern says.
 */
export type ToolsetPatterns = Record<string, string[]>;

export const DEFAULT_TOOLSETS: ToolsetPatterns = {
	// Proactif's diagnosis: reads only.
	sentinel: ['observium.*', 'phibee.*', 'glpi.search_client', 'glpi.get_ticket', 'incident.get', 'incident.list'],
	// What the seed's Notifier agent did: tickets and mails.
	notifier: ['glpi.create_ticket', 'glpi.add_followup', 'mail.send_template_mail', 'mail.send_mail'],
	// The Assist agent: read the ticket, check the account, unlock or reset, tell the person, follow up.
	assist: [
		'glpi.get_ticket',
		'glpi.search_client',
		'glpi.add_followup',
		'glpi.update_status',
		'glpi.close_ticket',
		'ad.check_user',
		'ad.get_user_info',
		'ad.unlock_account',
		'ad.reset_password',
		'mail.send_template_mail',
		'mail.send_mail',
	],
	all: ['*'],
};

export interface Toolset {
	name: string;
	operations: AnyOperation[];
}

const NAME = /^[a-z][a-z0-9_-]{0,39}$/;
/** `/mcp/tools` and `/mcp/call` are the seed-compatible routes. */
const RESERVED_NAMES = new Set(['tools', 'call']);

/** Resolves the patterns against the catalogue; every problem is named, nothing is guessed. */
export function resolveToolsets(
	patterns: ToolsetPatterns,
	catalogue: Pick<OperationRegistry, 'list' | 'has' | 'get'>,
): { toolsets: Map<string, Toolset>; problems: string[] } {
	const problems: string[] = [];
	const toolsets = new Map<string, Toolset>();
	for (const [name, list] of Object.entries(patterns)) {
		if (RESERVED_NAMES.has(name)) {
			problems.push(`toolset "${name}": the name is taken by the server's own route /mcp/${name}`);
			continue;
		}
		if (!NAME.test(name)) {
			problems.push(`toolset "${name}": names are 1–40 lower-case letters, digits, _ or -, starting with a letter`);
			continue;
		}
		if (!Array.isArray(list) || list.some((item) => typeof item !== 'string')) {
			problems.push(`toolset "${name}": must be a list of operation ids or patterns`);
			continue;
		}
		const chosen = new Map<string, AnyOperation>();
		for (const pattern of list) {
			const matches = pattern === '*'
				? catalogue.list()
				: pattern.endsWith('.*')
					? catalogue.list().filter((operation) => operation.service === pattern.slice(0, -2))
					: catalogue.has(pattern)
						? [catalogue.get(pattern)]
						: [];
			if (matches.length === 0) problems.push(`toolset "${name}": "${pattern}" matches no operation`);
			// L4 is a person's job; workflow-only operations (incident intake, breakers, claims) steer
			// platform state no agent may write.
			for (const operation of matches) if (operation.level < 4 && !operation.workflowOnly) chosen.set(operation.id, operation);
		}
		toolsets.set(name, { name, operations: [...chosen.values()] });
	}
	return { toolsets, problems };
}

/**
 * Which toolsets each agent key may use: `assist:assist,sentinel:sentinel+notifier`. An agent not
 * named gets the toolset of its own name when there is one, else none.
 */
export function resolveAgentToolsets(
	text: string,
	agents: readonly string[],
	toolsets: ReadonlyMap<string, Toolset>,
): { byAgent: Map<string, string[]>; problems: string[] } {
	const problems: string[] = [];
	const byAgent = new Map<string, string[]>();
	for (const agent of agents) if (toolsets.has(agent)) byAgent.set(agent, [agent]);
	for (const raw of text.split(',')) {
		const entry = raw.trim();
		if (!entry) continue;
		const colon = entry.indexOf(':');
		const agent = colon > 0 ? entry.slice(0, colon).trim() : '';
		const names = colon > 0 ? entry.slice(colon + 1).split('+').map((name) => name.trim()).filter(Boolean) : [];
		if (!agent || names.length === 0) {
			problems.push(`"${entry}" is not of the form agent:toolset+toolset`);
			continue;
		}
		if (!agents.includes(agent)) problems.push(`"${agent}" is not an agent of WIDIP_AGENT_KEYS`);
		for (const name of names) if (!toolsets.has(name)) problems.push(`agent "${agent}": unknown toolset "${name}"`);
		byAgent.set(agent, names.filter((name) => toolsets.has(name)));
	}
	return { byAgent, problems };
}
