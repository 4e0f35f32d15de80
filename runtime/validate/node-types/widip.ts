import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { AnyNodeType } from './versions';

export const WIDIP_PACKAGE = 'n8n-nodes-widip';

/**
 * Where this package's code lives: the repository root when running from TypeScript (tsx, jest),
 * the build folder when running compiled (`dist/`, as installed). Both hold `nodes/` and a
 * package.json whose `n8n.nodes` lists the node files (the build copies it into `dist/`).
 */
function codeRoot(): { root: string; typescript: boolean } {
	return { root: path.resolve(__dirname, '../../..'), typescript: __filename.endsWith('.ts') };
}

function manifestNodes(root: string): string[] {
	for (let folder = root; ; folder = path.dirname(folder)) {
		const file = path.join(folder, 'package.json');
		if (existsSync(file)) {
			const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; n8n?: { nodes?: string[] } };
			if (manifest.name === WIDIP_PACKAGE) return manifest.n8n?.nodes ?? [];
		}
		if (path.dirname(folder) === folder) throw new Error(`${WIDIP_PACKAGE}'s package.json not found above ${root}`);
	}
}

/**
 * Our node classes by type name (`glpi`, `incident`…), loaded from the files package.json lists:
 * `dist/nodes/X/X.node.js` as built, or its source `nodes/X/X.node.ts` under TypeScript. The
 * extension is explicit: `X.node` alone would resolve to the codex file `X.node.json`.
 */
export function loadWidipNodes(): Map<string, AnyNodeType> {
	const { root, typescript } = codeRoot();
	const nodes = new Map<string, AnyNodeType>();
	for (const entry of manifestNodes(root)) {
		const relative = entry.replace(/^dist\//, '');
		const file = path.join(root, typescript ? relative.replace(/\.js$/, '.ts') : relative);
		const className = path.basename(file).replace(/\.node\.[jt]s$/, '');
		// eslint-disable-next-line @typescript-eslint/no-require-imports -- node files are found at run time, as n8n loads them
		const exported = require(file) as Record<string, new () => AnyNodeType>;
		const NodeClass = exported[className];
		if (typeof NodeClass !== 'function') throw new Error(`${file} does not export ${className}`);
		const instance = new NodeClass();
		nodes.set(instance.description.name, instance);
	}
	return nodes;
}
