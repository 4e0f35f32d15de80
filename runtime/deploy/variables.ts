/**
 * Deploy variables: what differs between one WIDIP installation and another and is not a secret
 * (the runtime's URL, the on-call address, thresholds) is written in workflow JSON as
 * `${WIDIP_FLOW_NAME}` or `${WIDIP_FLOW_NAME:-default}`, the docker-compose way, and filled in by
 * `widip deploy` from its environment. Only `WIDIP_FLOW_*` names are read, so a workflow file cannot
 * pull another variable of the deploying shell (the n8n API key, a password) into n8n.
 */
export const VARIABLE_PATTERN = /\$\{(WIDIP_FLOW_[A-Z0-9_]+)(?::-([^}]*))?\}/g;

export interface Substituted<T> {
	value: T;
	/** Variables used without a default and absent from the environment. */
	missing: string[];
	/** Every variable the value uses. */
	used: string[];
}

/**
 * Replaces the variables inside every string of a JSON value; keys and structure stay as they are.
 * An unset variable without a default becomes '' (deploy refuses then), or stays as written with
 * `keepUnset` (validate then skips the field).
 */
export function substituteVariables<T>(value: T, env: NodeJS.ProcessEnv, options: { keepUnset?: boolean } = {}): Substituted<T> {
	const missing = new Set<string>();
	const used = new Set<string>();
	const walk = (node: unknown): unknown => {
		if (typeof node === 'string') {
			return node.replace(VARIABLE_PATTERN, (whole: string, name: string, fallback: string | undefined) => {
				used.add(name);
				const given = env[name];
				if (given !== undefined && given !== '') return given;
				if (fallback !== undefined) return fallback;
				missing.add(name);
				return options.keepUnset ? whole : '';
			});
		}
		if (Array.isArray(node)) return node.map(walk);
		if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, walk(child)]));
		return node;
	};
	const result = walk(value) as T;
	return { value: result, missing: [...missing].sort(), used: [...used].sort() };
}
