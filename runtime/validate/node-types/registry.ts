import type { INodeType, INodeTypes, IVersionedNodeType } from 'n8n-workflow';

import type { NodeTypeLookup, ResolvedNodeType } from '../types';
import { toAiToolDescription } from './ai-tool';
import { findN8nPackages, N8N_PACKAGES, type N8nNodePackage, type N8nPackageName } from './n8n-packages';
import { allVersions, atVersion, type AnyNodeType } from './versions';
import { loadWidipNodes, WIDIP_PACKAGE } from './widip';

const TOOL_SUFFIX = 'Tool';

function splitType(type: string): { prefix: string; name: string } {
	const dot = type.lastIndexOf('.');
	return dot < 0 ? { prefix: '', name: type } : { prefix: type.slice(0, dot), name: type.slice(dot + 1) };
}

/** Every node type validate knows: ours always, n8n's when its packages are found. */
export class NodeTypeRegistry {
	private widip?: Map<string, AnyNodeType>;
	private readonly packages: Map<N8nPackageName, N8nNodePackage>;
	private readonly resolved = new Map<string, NodeTypeLookup>();

	constructor(options: { n8nDir?: string; env: NodeJS.ProcessEnv; cwd: string }) {
		this.packages = findN8nPackages(options.n8nDir, options.env, options.cwd);
	}

	/** Where n8n's packages were found (for notes and tests). */
	packageDirs(): Record<string, string> {
		return Object.fromEntries([...this.packages].map(([name, found]) => [name, found.dir]));
	}

	private classOf(prefix: string, name: string): AnyNodeType | undefined | 'no-package' {
		if (prefix === WIDIP_PACKAGE) {
			this.widip ??= loadWidipNodes();
			return this.widip.get(name);
		}
		const found = this.packages.get(prefix as N8nPackageName);
		return found ? found.get(name) : 'no-package';
	}

	/** A type at one version; cached, so each node class is loaded and converted once. */
	lookup(type: string, version: number): NodeTypeLookup {
		const key = `${type}@${version}`;
		let result = this.resolved.get(key);
		if (!result) {
			result = this.find(type, version);
			this.resolved.set(key, result);
		}
		return result;
	}

	private find(type: string, version: number): NodeTypeLookup {
		try {
			return this.findLoading(type, version);
		} catch (error) {
			return { kind: 'unchecked', note: `cannot check ${type}: loading its node class failed: ${(error as Error).message.split('\n')[0]}` };
		}
	}

	private findLoading(type: string, version: number): NodeTypeLookup {
		const { prefix, name } = splitType(type);
		const known = prefix === WIDIP_PACKAGE || (N8N_PACKAGES as readonly string[]).includes(prefix);
		if (!known) return { kind: 'unchecked', note: `cannot check ${type}: its package is not one validate knows (${WIDIP_PACKAGE}, ${N8N_PACKAGES.join(', ')})` };
		const direct = this.classOf(prefix, name);
		if (direct === 'no-package') {
			return { kind: 'unchecked', note: `cannot check ${type}: n8n's node packages not found (use --n8n <dir>)` };
		}
		if (direct) return this.atVersion(direct, version);
		// `<node>Tool`: the AI-tool variant n8n generates for nodes marked usableAsTool.
		if (name.endsWith(TOOL_SUFFIX)) {
			const base = this.classOf(prefix, name.slice(0, -TOOL_SUFFIX.length));
			if (base && base !== 'no-package') {
				const found = this.atVersion(base, version);
				if (found.kind !== 'found') return found;
				if (!found.type.description.usableAsTool) {
					return { kind: 'unknown', message: `unknown node type "${type}": ${prefix}.${splitType(base.description.name).name} is not usable as an AI tool` };
				}
				const description = toAiToolDescription(found.type.description);
				const nodeType = Object.assign(Object.create(found.type.nodeType) as INodeType, { description });
				return { kind: 'found', type: { nodeType, description, versions: found.type.versions } };
			}
		}
		return { kind: 'unknown', message: `unknown node type "${type}"${this.suggest(prefix, name)}` };
	}

	private atVersion(nodeType: AnyNodeType, version: number): NodeTypeLookup {
		const found = atVersion(nodeType, version);
		return found ? { kind: 'found', type: found } : { kind: 'bad-version', versions: allVersions(nodeType) };
	}

	private suggest(prefix: string, name: string): string {
		if (prefix !== WIDIP_PACKAGE) return '';
		this.widip ??= loadWidipNodes();
		const names = [...this.widip.keys()];
		const close = names.find((candidate) => candidate.toLowerCase() === name.toLowerCase());
		return close ? ` (did you mean ${prefix}.${close}?)` : ` (${prefix} has: ${names.join(', ')})`;
	}

	/** The INodeTypes n8n-workflow's Workflow wants: found types only, unknown ones skipped as n8n does. */
	asNodeTypes(): INodeTypes {
		const get = (type: string, version?: number): INodeType => {
			const found = version === undefined ? undefined : this.lookup(type, version);
			return (found?.kind === 'found' ? found.type.nodeType : undefined) as INodeType;
		};
		return {
			getByName: (type: string) => get(type, undefined) as INodeType | IVersionedNodeType,
			getByNameAndVersion: get,
			getKnownTypes: () => ({}),
		};
	}
}

export type { ResolvedNodeType };
