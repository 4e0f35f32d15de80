import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { AnyNodeType } from './versions';

/** n8n's own node packages, by the prefix their node types carry. */
export const N8N_PACKAGES = ['n8n-nodes-base', '@n8n/n8n-nodes-langchain'] as const;
export type N8nPackageName = (typeof N8N_PACKAGES)[number];

interface NodeFile {
	className: string;
	sourcePath: string;
}

/**
 * One n8n node package, loaded lazily: a node class is required only when a workflow uses its
 * type (n8n-nodes-base has ~500 nodes; requiring them all takes far longer than a validation).
 */
export class N8nNodePackage {
	private index?: Map<string, NodeFile>;
	private readonly loaded = new Map<string, AnyNodeType | undefined>();
	private nativeRequire?: NodeJS.Require;

	constructor(
		readonly name: N8nPackageName,
		readonly dir: string,
	) {}

	/**
	 * Type name → file, from the files package.json `n8n.nodes` lists. n8n's build writes the same
	 * list keyed by type name into dist/known/nodes.json (what n8n's lazy loader reads); without it
	 * a name is guessed from the file name and, failing that, every listed file is loaded once.
	 */
	private files(): Map<string, NodeFile> {
		if (this.index) return this.index;
		const manifest = JSON.parse(readFileSync(path.join(this.dir, 'package.json'), 'utf8')) as { n8n?: { nodes?: string[] } };
		const listed = new Set(manifest.n8n?.nodes ?? []);
		this.index = new Map();
		const knownFile = path.join(this.dir, 'dist', 'known', 'nodes.json');
		if (existsSync(knownFile)) {
			const known = JSON.parse(readFileSync(knownFile, 'utf8')) as Record<string, NodeFile>;
			for (const [type, file] of Object.entries(known)) if (listed.has(file.sourcePath)) this.index.set(type, file);
		}
		for (const sourcePath of listed) {
			const className = path.basename(sourcePath).replace(/\.node\.js$/, '');
			const guessed = className.charAt(0).toLowerCase() + className.slice(1);
			if (![...this.index.values()].some((file) => file.sourcePath === sourcePath) && !this.index.has(guessed)) {
				this.index.set(guessed, { className, sourcePath });
			}
		}
		return this.index;
	}

	private require(file: NodeFile): AnyNodeType | undefined {
		// Node's own loader, as n8n loads them: a test runner's module system (jest, which also wraps
		// `import 'node:module'`) cannot require the ES modules some of n8n's dependencies are.
		const { createRequire } = process.getBuiltinModule('node:module');
		this.nativeRequire ??= createRequire(path.join(this.dir, 'package.json'));
		const exported = this.nativeRequire(path.join(this.dir, file.sourcePath)) as Record<string, new () => AnyNodeType>;
		const NodeClass = exported[file.className];
		return typeof NodeClass === 'function' ? new NodeClass() : undefined;
	}

	/** The node class of a type name (without the package prefix), or undefined if the package has none. */
	get(typeName: string): AnyNodeType | undefined {
		if (this.loaded.has(typeName)) return this.loaded.get(typeName);
		let nodeType: AnyNodeType | undefined;
		const file = this.files().get(typeName);
		if (file) nodeType = this.require(file);
		if (nodeType && nodeType.description.name !== typeName) nodeType = undefined;
		this.loaded.set(typeName, nodeType);
		return nodeType;
	}
}

function packageDir(name: string, n8nDir: string | undefined, cwd: string): string | undefined {
	if (n8nDir) {
		for (const candidate of [path.join(n8nDir, 'node_modules', name), path.join(n8nDir, name)]) {
			if (existsSync(path.join(candidate, 'package.json'))) return candidate;
		}
		return undefined;
	}
	// Node's own lookup, by hand: some packages' `exports` hide their package.json from require.resolve.
	for (let folder = cwd; ; folder = path.dirname(folder)) {
		const candidate = path.join(folder, 'node_modules', name);
		if (existsSync(path.join(candidate, 'package.json'))) return candidate;
		if (path.dirname(folder) === folder) return undefined;
	}
}

/**
 * n8n's node packages: from `n8nDir` (an n8n install), else WIDIP_N8N_DIR, else resolved from cwd.
 * A package not found is simply absent: its node types are then noted as not checked.
 */
export function findN8nPackages(n8nDir: string | undefined, env: NodeJS.ProcessEnv, cwd: string): Map<N8nPackageName, N8nNodePackage> {
	const dir = n8nDir ?? (env.WIDIP_N8N_DIR || undefined);
	const found = new Map<N8nPackageName, N8nNodePackage>();
	for (const name of N8N_PACKAGES) {
		const located = packageDir(name, dir ? path.resolve(cwd, dir) : undefined, cwd);
		if (located) found.set(name, new N8nNodePackage(name, located));
	}
	return found;
}
