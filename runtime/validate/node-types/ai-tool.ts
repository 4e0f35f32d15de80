import { deepCopy, NodeConnectionTypes, type INodeProperties, type INodeTypeDescription } from 'n8n-workflow';

/**
 * The `…Tool` variant n8n generates for a node marked `usableAsTool`, as n8n 2.41's
 * `convertNodeToAiTool` (packages/cli/src/tool-generation/ai-tools.ts) builds it: that code lives in
 * the n8n app, not in a package we can load without n8n, so it is mirrored here. A test compares
 * this with n8n's own function on every one of our nodes.
 */
export function toAiToolDescription(base: INodeTypeDescription): INodeTypeDescription {
	const description =
		typeof base.usableAsTool === 'object' && base.usableAsTool
			? { ...deepCopy(base), ...deepCopy(base.usableAsTool.replacements ?? {}) }
			: deepCopy(base);
	description.name += 'Tool';
	description.inputs = [];
	description.outputs = [NodeConnectionTypes.AiTool];
	description.displayName += ' Tool';
	delete description.usableAsTool;
	const properties = description.properties;
	const hasResource = properties.some((property) => property.name === 'resource');
	const hasOperation = properties.some((property) => property.name === 'operation');
	if (!properties.some((property) => property.name === 'toolDescription')) {
		const lastCallout = properties.map((property) => property.type).lastIndexOf('callout');
		const toolDescription: INodeProperties = {
			displayName: 'Description',
			name: 'toolDescription',
			type: 'string',
			default: description.description,
			required: true,
			typeOptions: { rows: 2 },
			description:
				'Explain to the LLM what this tool does, a good, specific description would allow LLMs to produce expected results much more often',
		};
		properties.splice(lastCallout + 1, 0, toolDescription);
		if (hasResource || hasOperation) {
			properties.splice(lastCallout + 1, 0, {
				displayName: 'Tool Description',
				name: 'descriptionType',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Set Automatically', value: 'auto', description: 'Automatically set based on resource and operation' },
					{ name: 'Set Manually', value: 'manual', description: 'Manually set the description' },
				],
				default: 'auto',
			});
			toolDescription.displayOptions = { show: { descriptionType: ['manual'] } };
		}
	}
	return description;
}
