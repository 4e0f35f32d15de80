import { isExpression, isObject, type WorkflowContext } from '../context';
import type { Finding } from '../types';

/** Node types that serve a URL path, and the namespace it lives in (/webhook, /form, /mcp). */
const SERVES_PATH: Record<string, 'webhook' | 'form' | 'mcp'> = {
	'n8n-nodes-base.webhook': 'webhook',
	'n8n-nodes-base.formTrigger': 'form',
	'@n8n/n8n-nodes-langchain.mcpTrigger': 'mcp',
	// Our Observium trigger serves /webhook/<path>, POST only.
	'n8n-nodes-widip.observiumTrigger': 'webhook',
};

/** Our own triggers that serve /webhook/<path> for POST only (deploy's conflict check uses this too). */
export const POST_ONLY_WEBHOOK_TYPES: ReadonlySet<string> = new Set(['n8n-nodes-widip.observiumTrigger']);

const LABELS: Record<string, string> = { webhook: 'webhook path', form: 'form path', mcp: 'MCP trigger path' };

export interface PathUse {
	file: string;
	node: string;
	field: string;
	namespace: string;
	path: string;
	/** HTTP methods it answers; two uses clash when they share one. */
	methods: string[];
}

function webhookMethods(parameters: Record<string, unknown>): string[] {
	if (parameters.multipleMethods === true) return Array.isArray(parameters.httpMethod) ? parameters.httpMethod.map(String) : ['GET', 'POST'];
	return [typeof parameters.httpMethod === 'string' ? parameters.httpMethod : 'GET'];
}

/** The paths this workflow's enabled webhook, form and MCP triggers serve. */
export function collectPaths(context: WorkflowContext): PathUse[] {
	const uses: PathUse[] = [];
	for (const { node, loaded } of context.entries()) {
		const namespace = SERVES_PATH[node.type];
		if (!namespace || node.disabled) continue;
		// With the description's defaults when the type is loaded (httpMethod GET…).
		const parameters = (loaded?.parameters ?? node.parameters ?? {}) as Record<string, unknown>;
		let field = 'parameters.path';
		let value = parameters.path;
		if (!value && namespace === 'form' && isObject(parameters.options)) {
			field = 'parameters.options.path';
			value = (parameters.options as Record<string, unknown>).path;
		}
		if (typeof value !== 'string' || value.trim() === '' || isExpression(value)) continue;
		const methods = POST_ONLY_WEBHOOK_TYPES.has(node.type) ? ['POST'] : namespace === 'webhook' ? webhookMethods(parameters) : ['*'];
		uses.push({ file: context.file, node: node.name, field, namespace, path: value.replace(/^\/+|\/+$/g, ''), methods });
	}
	return uses;
}

/**
 * A path (and method) served twice, in one file or across all files given: n8n registers one
 * and refuses to publish the other (the seed once had two MCP triggers on one path).
 */
export function checkPathClashes(uses: PathUse[]): Finding[] {
	const findings: Finding[] = [];
	uses.forEach((use, index) => {
		const first = uses.slice(0, index).find((earlier) => earlier.namespace === use.namespace && earlier.path === use.path && earlier.methods.some((method) => method === '*' || use.methods.includes(method) || use.methods.includes('*')));
		if (!first) return;
		const where = first.file === use.file ? `"${first.node}"` : `"${first.node}" in ${first.file}`;
		findings.push({ file: use.file, node: use.node, field: use.field, message: `${LABELS[use.namespace]} "${use.path}" is also served by ${where}: paths must be unique across workflows`, severity: 'error' });
	});
	return findings;
}
