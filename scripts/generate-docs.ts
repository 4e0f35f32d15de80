/** Regenerates README's derived sections (operation table, Redis key table) from the code. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { OPERATIONS } from '../core/catalogue';
import { operationTable, redisKeyTable, replaceSection } from '../core/catalogue/markdown';
import { REDIS_KEY_TABLE } from '../core/redis/keys';

export function renderReadme(current: string): string {
	let readme = replaceSection(current, 'operations', operationTable(OPERATIONS));
	readme = replaceSection(readme, 'redis-keys', redisKeyTable(REDIS_KEY_TABLE));
	return readme;
}

if (require.main === module) {
	const file = path.join(__dirname, '..', 'README.md');
	const next = renderReadme(readFileSync(file, 'utf8'));
	writeFileSync(file, next);
	console.log('README.md: operation and Redis key tables regenerated');
}
