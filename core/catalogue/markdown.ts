import type { RedisKeyDoc } from '../redis/keys';
import { inputJsonSchema } from './json-schema';
import type { AnyOperation } from './operation';
import { mcpToolName, SAFEGUARD_LEVELS } from './operation';

function cell(text: string): string {
	return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** README's operation table: one row per catalogue operation, nothing typed by hand. */
export function operationTable(operations: readonly AnyOperation[]): string {
	const rows = operations.map((operation) => {
		const schema = inputJsonSchema(operation.input);
		const required = new Set(schema.required ?? []);
		const inputs = Object.keys(schema.properties ?? {})
			.map((name) => (required.has(name) ? `\`${name}\`` : `\`${name}?\``))
			.join(', ');
		const summary = operation.description.split(/(?<=[A-Za-z)]{2}\.)\s+(?=[A-Z])/)[0];
		return `| \`${operation.id}\` | \`${mcpToolName(operation.id)}\` | ${SAFEGUARD_LEVELS[operation.level].label} | ${inputs} | ${cell(summary)} |`;
	});
	return ['| Operation | MCP tool | Safeguard | Inputs (`?` = optional) | What it does |', '|---|---|---|---|---|', ...rows].join(
		'\n',
	);
}

export function redisKeyTable(keys: readonly RedisKeyDoc[]): string {
	const rows = keys.map((key) => `| ${key.key} | ${key.type} | ${key.ttl} | ${cell(key.writtenBy)} | ${cell(key.meaning)} |`);
	return ['| Key | Type | TTL | Written by | Meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** Replaces the text between `<!-- name:start -->` and `<!-- name:end -->`. */
export function replaceSection(document: string, name: string, body: string): string {
	const start = `<!-- ${name}:start -->`;
	const end = `<!-- ${name}:end -->`;
	const from = document.indexOf(start);
	const to = document.indexOf(end);
	if (from < 0 || to < from) throw new Error(`README has no ${start} … ${end} section`);
	return `${document.slice(0, from + start.length)}\n${body}\n${document.slice(to)}`;
}
