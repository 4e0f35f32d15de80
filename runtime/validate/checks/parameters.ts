import {
	NodeHelpers,
	type INode,
	type INodeParameters,
	type INodeProperties,
	type INodePropertyCollection,
	type INodePropertyOptions,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { isExpression, isObject, type NodeEntry, type WorkflowContext } from '../context';

type Values = Record<string, unknown>;

/** When a parameter shows, merged over its variants (one per operation or version). */
function describeShow(variants: INodeProperties[]): string {
	const merged = new Map<string, Set<string>>();
	for (const variant of variants) {
		for (const [name, values] of Object.entries(variant.displayOptions?.show ?? {})) {
			if (name.startsWith('@')) continue;
			const known = merged.get(name) ?? new Set<string>();
			for (const value of values ?? []) known.add(JSON.stringify(value));
			merged.set(name, known);
		}
	}
	if (merged.size === 0) return '';
	const rules = [...merged].map(([name, values]) => `${name} is ${[...values].join(' or ')}`);
	return ` (shown only when ${rules.join(' and ')})`;
}

function listValues(options: INodePropertyOptions[]): string {
	const values = options.map((option) => JSON.stringify(option.value));
	return values.length > 12 ? `${values.slice(0, 12).join(', ')}, …` : values.join(', ');
}

/**
 * Keys the file sets that n8n drops when it loads the node (NodeHelpers.getNodeParameters keeps only
 * parameters its description displays for these values): unknown, or not shown with these settings.
 */
function reportDropped(
	context: WorkflowContext,
	node: string,
	raw: unknown,
	loaded: unknown,
	properties: INodeProperties[] | undefined,
	path: string,
	label: string,
): void {
	if (Array.isArray(raw) && Array.isArray(loaded)) {
		raw.forEach((item, index) => reportDropped(context, node, item, loaded[index], properties, `${path}[${index}]`, label));
		return;
	}
	if (!isObject(raw) || !isObject(loaded)) return;
	for (const key of Object.keys(raw)) {
		const field = `${path}.${key}`;
		const declared = properties?.filter((property) => property.name === key) ?? [];
		if (!(key in loaded)) {
			if (declared.length > 0) {
				context.report(node, field, `parameter "${key}" is not used with these settings${describeShow(declared)}: n8n ignores it`);
			} else {
				context.report(node, field, `unknown parameter "${key}"${label}`);
			}
			continue;
		}
		const property = declared[0];
		if (property?.type === 'collection') {
			reportDropped(context, node, raw[key], loaded[key], property.options as INodeProperties[], field, ` in "${property.displayName}"`);
		} else if (property?.type === 'fixedCollection') {
			const groups = (property.options ?? []) as INodePropertyCollection[];
			if (isObject(raw[key]) && isObject(loaded[key])) {
				const rawGroups = raw[key] as Values;
				const loadedGroups = loaded[key] as Values;
				for (const group of Object.keys(rawGroups)) {
					const declaredGroup = groups.find((candidate) => candidate.name === group);
					if (!declaredGroup) {
						context.report(node, `${field}.${group}`, `unknown option "${group}" in "${property.displayName}"`);
						continue;
					}
					reportDropped(context, node, rawGroups[group], loadedGroups[group], declaredGroup.values, `${field}.${group}`, ` in "${declaredGroup.displayName}"`);
				}
			}
		}
	}
}

/** Values the file sets for `options` / `multiOptions` parameters that are not among the options. */
function reportBadOptions(
	context: WorkflowContext,
	entry: NodeEntry,
	description: INodeTypeDescription,
	properties: INodeProperties[],
	raw: Values,
	loaded: Values,
	root: INodeParameters,
	path: string,
): void {
	for (const property of properties) {
		if (!(property.name in raw) || !(property.name in loaded)) continue;
		if (!NodeHelpers.displayParameter(loaded as INodeParameters, property, entry.node, description, root)) continue;
		const value = raw[property.name];
		const field = `${path}.${property.name}`;
		const dynamic = property.typeOptions?.loadOptionsMethod || property.typeOptions?.loadOptions || property.typeOptions?.loadOptionsDependsOn;
		if ((property.type === 'options' || property.type === 'multiOptions') && !dynamic && property.options) {
			const options = property.options as INodePropertyOptions[];
			const allowed = new Set(options.map((option) => option.value));
			const values = property.type === 'multiOptions' && Array.isArray(value) ? value : [value];
			for (const single of values) {
				// Expressions are decided at run time.
				if (isExpression(single) || allowed.has(single as string)) continue;
				context.report(entry.node.name, field, `${JSON.stringify(single)} is not an option of "${property.displayName}" (options: ${listValues(options)})`);
			}
		} else if (property.type === 'collection' && isObject(value) && isObject(loaded[property.name])) {
			reportBadOptions(context, entry, description, property.options as INodeProperties[], value, loaded[property.name] as Values, root, field);
		} else if (property.type === 'fixedCollection' && isObject(value) && isObject(loaded[property.name])) {
			for (const group of (property.options ?? []) as INodePropertyCollection[]) {
				const rawGroup = (value as Values)[group.name];
				const loadedGroup = (loaded[property.name] as Values)[group.name];
				const pairs = Array.isArray(rawGroup) ? rawGroup.map((item, index) => [item, (loadedGroup as unknown[] | undefined)?.[index], `[${index}]`] as const) : [[rawGroup, loadedGroup, ''] as const];
				for (const [rawItem, loadedItem, suffix] of pairs) {
					if (isObject(rawItem) && isObject(loadedItem)) {
						reportBadOptions(context, entry, description, group.values, rawItem, loadedItem, root, `${field}.${group.name}${suffix}`);
					}
				}
			}
		}
	}
}

/**
 * Parameters against the node's own description, through n8n-workflow's machinery: what n8n keeps
 * when loading (getNodeParameters: unknown or hidden keys), what it flags in the editor
 * (getNodeParametersIssues: required parameters, resource locators, typed values), and option values.
 */
export function checkParameters(context: WorkflowContext): void {
	for (const entry of context.entries()) {
		const { node, type, loaded } = entry;
		if (!type || !loaded) continue;
		if (node.parameters !== undefined && !isObject(node.parameters)) {
			context.report(node.name, 'parameters', 'parameters must be an object');
			continue;
		}
		const raw = (node.parameters ?? {}) as Values;
		const description = type.description;
		reportDropped(context, node.name, raw, loaded.parameters, description.properties, 'parameters', '');
		reportBadOptions(context, entry, description, description.properties, raw, loaded.parameters as Values, loaded.parameters, 'parameters');
		// n8n skips issues of disabled nodes in the editor; a file is checked whole.
		const issues = NodeHelpers.getNodeParametersIssues(description.properties, { ...loaded, disabled: false } as INode, description);
		for (const [name, messages] of Object.entries(issues?.parameters ?? {})) {
			for (const message of messages) context.report(node.name, `parameters.${name}`, message);
		}
	}
}
