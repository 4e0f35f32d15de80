// Copies the non-TypeScript files the compiled code reads at run time (mail templates) into dist/,
// next to the code that loads them. `n8n-node build` copies only icons and __schema__ JSON.
const { cpSync, existsSync, readdirSync, statSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

function templateFolders(dir) {
	const found = [];
	for (const entry of readdirSync(dir)) {
		const full = path.join(dir, entry);
		if (!statSync(full).isDirectory()) continue;
		if (entry === 'templates') found.push(full);
		else found.push(...templateFolders(full));
	}
	return found;
}

for (const folder of templateFolders(path.join(root, 'core'))) {
	const target = path.join(root, 'dist', path.relative(root, folder));
	if (!existsSync(path.dirname(target))) continue;
	cpSync(folder, target, { recursive: true });
	console.log(`copied ${path.relative(root, folder)} → ${path.relative(root, target)}`);
}
