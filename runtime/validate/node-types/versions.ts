import type { INodeType, INodeTypeDescription, IVersionedNodeType } from 'n8n-workflow';

import type { ResolvedNodeType } from '../types';

/**
 * A loaded node class, plain or versioned. Duck-typed on purpose: n8n's packages bring their own
 * copy of n8n-workflow, so `instanceof VersionedNodeType` would be false for them.
 */
export type AnyNodeType = INodeType | IVersionedNodeType;

function isVersioned(nodeType: AnyNodeType): nodeType is IVersionedNodeType {
	return typeof (nodeType as IVersionedNodeType).getNodeType === 'function' && 'nodeVersions' in nodeType;
}

function versionsOf(description: INodeTypeDescription): number[] {
	return Array.isArray(description.version) ? description.version : [description.version];
}

/** Every version a node class offers: a versioned node's keys and each version's own list. */
export function allVersions(nodeType: AnyNodeType): number[] {
	if (!isVersioned(nodeType)) return versionsOf(nodeType.description);
	const versions = new Set<number>();
	for (const [key, version] of Object.entries(nodeType.nodeVersions)) {
		versions.add(Number(key));
		for (const listed of versionsOf(version.description)) versions.add(listed);
	}
	return [...versions].sort((a, b) => a - b);
}

/** The node type for one version, or undefined when that version does not exist. */
export function atVersion(nodeType: AnyNodeType, version: number): ResolvedNodeType | undefined {
	const versions = allVersions(nodeType);
	if (!versions.includes(version)) return undefined;
	let single: INodeType | undefined;
	if (isVersioned(nodeType)) {
		single = nodeType.nodeVersions[version];
		// A version listed inside another version's description (e.g. [2, 2.1] under key 2).
		single ??= Object.values(nodeType.nodeVersions).find((candidate) => versionsOf(candidate.description).includes(version));
	} else {
		single = nodeType;
	}
	if (!single) return undefined;
	return { nodeType: single, description: single.description, versions };
}
