import { NodeHelpers, validateNodeCredentials, type INode } from 'n8n-workflow';

import { isObject, type WorkflowContext } from '../context';

/**
 * Credentials are referenced by type and name: deploy finds each by name in the target n8n, so
 * an `id` (valid in one n8n only) is a warning and a missing name an error. The type must be one
 * the node takes, and credentials the node requires (for these settings) must be there.
 */
export function checkCredentials(context: WorkflowContext): void {
	for (const { node, type, loaded } of context.entries()) {
		const credentials = node.credentials as unknown;
		if (credentials !== undefined && !isObject(credentials)) {
			context.report(node.name, 'credentials', 'credentials must be an object: { <credential type>: { name } }');
			continue;
		}
		for (const [credentialType, reference] of Object.entries((credentials ?? {}) as Record<string, unknown>)) {
			const field = `credentials.${credentialType}`;
			if (!isObject(reference) || typeof reference.name !== 'string' || (reference.name as string).trim() === '') {
				context.report(node.name, `${field}.name`, 'credential without a name: deploy finds credentials by name');
			}
			if (isObject(reference) && reference.id !== undefined && reference.id !== null) {
				context.report(node.name, `${field}.id`, `credential id ${JSON.stringify(reference.id)} belongs to one n8n instance: deploy resolves credentials by name, drop the id`, 'warning');
			}
			if (!type || !loaded) continue;
			const declared = (type.description.credentials ?? []).map((credential) => credential.name);
			// HTTP Request and the like pick a credential type through a parameter.
			const active = NodeHelpers.getActiveCredentialTypes(loaded, type.description);
			if (!declared.includes(credentialType) && !active?.has(credentialType)) {
				const takes = declared.length > 0 ? `it takes ${declared.join(', ')}` : 'it takes none';
				context.report(node.name, field, `${node.type} does not take a "${credentialType}" credential (${takes})`);
			}
		}
		if (!type || !loaded) continue;
		for (const issue of validateNodeCredentials(loaded as INode, type.nodeType)) {
			// 'not-configured' means "no id": by-name references are our convention.
			if (issue.type === 'missing') context.report(node.name, `credentials.${issue.credentialName}`, `credential "${issue.displayName}" (${issue.credentialName}) is required and not set`);
		}
	}
}
