import { readFileSync } from 'node:fs';
import path from 'node:path';

import { ToolSchema } from '@modelcontextprotocol/sdk/types.js';
import type { INodeProperties, INodeTypeDescription } from 'n8n-workflow';

import { catalogue, operationLabel, OPERATIONS } from '../../core/catalogue';
import { GATE_APPROVAL_ID } from '../../nodes/shared/gate-approval';
import { inputJsonSchema } from '../../core/catalogue/json-schema';
import { toMcpTool } from '../../core/catalogue/mcp';
import { ValidationError } from '../../core/errors';
import packageJson from '../../package.json';
import { renderReadme } from '../../scripts/generate-docs';

/** Every node the package declares to n8n, loaded from its TypeScript source. */
const NODES: INodeTypeDescription[] = packageJson.n8n.nodes.map((distPath) => {
	const source = path.join(__dirname, '../..', distPath.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
	// eslint-disable-next-line @typescript-eslint/no-require-imports -- the list is only known from package.json
	const module = require(source) as Record<string, new () => { description: INodeTypeDescription }>;
	return new (Object.values(module)[0])().description;
});

/** The nodes that present catalogue operations (the Safeguard Gate names any operation instead). */
const CATALOGUE_NODES = (): INodeTypeDescription[] => NODES.filter((node) => node.properties.some((property) => property.name === 'operation'));

function operationOptions(description: INodeTypeDescription) {
	return description.properties
		.filter((property) => property.name === 'operation')
		.flatMap((property) => property.options as Array<{ value: string; name: string; description: string }>);
}

/** The catalogue inputs a node shows for one operation (not Safeguard's own field after a Gate, nor notices). */
function fieldsFor(description: INodeTypeDescription, operationId: string): INodeProperties[] {
	const shown = description.properties.filter(
		(property) =>
			property.name !== GATE_APPROVAL_ID && property.type !== 'notice' && (property.displayOptions?.show?.operation as string[] | undefined)?.includes(operationId),
	);
	return shown.flatMap((property) =>
		property.name === 'additionalFields' ? (property.options as INodeProperties[]) : [property],
	);
}

describe('operation catalogue', () => {
	it('has unique ids of the form <service>.<snake_case>', () => {
		const ids = OPERATIONS.map((operation) => operation.id);
		expect(new Set(ids).size).toBe(ids.length);
		for (const operation of OPERATIONS) expect(operation.id).toMatch(new RegExp(`^${operation.service}\\.[a-z][a-z0-9_]*$`));
	});

	it('refuses invalid input with a message naming each bad field', () => {
		expect(() => catalogue.parseInput('redis.set', { key: '', value: 'v', ttlSeconds: -5 })).toThrow(ValidationError);
		try {
			catalogue.parseInput('redis.set', { key: '', value: 'v', ttlSeconds: -5 });
		} catch (error) {
			const message = (error as Error).message;
			expect(message).toMatch(/^Invalid input for redis\.set: /);
			expect(message).toMatch(/key: /);
			expect(message).toMatch(/ttlSeconds: /);
			expect((error as ValidationError).issues).toHaveLength(2);
		}
		expect(() => catalogue.parseInput('redis.get', { key: 'k', keyy: 1 })).toThrow(/unknown field\(s\) "keyy"/);
		expect(() => catalogue.parseInput('redis.mutex_release', { lockName: 'gpu', token: 'nope' })).toThrow(
			/token: expected the 32-character token/,
		);
	});

	it('refuses unknown operations', () => {
		expect(() => catalogue.get('redis.flushall')).toThrow('Unknown operation "redis.flushall"');
	});

	it('applies schema defaults', () => {
		expect(catalogue.parseInput('redis.mutex_acquire', {})).toEqual({ lockName: 'gpu', ttlSeconds: 120, waitTimeoutSeconds: 60 });
	});
});

describe('faces derived from the catalogue agree with it', () => {
	it.each(OPERATIONS.map((operation) => [operation.id, operation] as const))('%s is a valid MCP tool', (_id, operation) => {
		const tool = toMcpTool(operation);
		expect(() => ToolSchema.parse(tool)).not.toThrow();
		expect(tool.name).toBe(operation.id.replace('.', '_'));
		expect(tool.description).toBe(operation.description);
		expect(Object.keys(tool.inputSchema.properties ?? {})).toEqual(Object.keys(operation.input.shape));
		expect(tool.annotations?.readOnlyHint).toBe(operation.level === 0);
		expect(tool.annotations?.destructiveHint).toBe(operation.level >= 3);
		expect(tool._meta?.['widip/safeguardLevel']).toBe(operation.level);
	});

	it('every catalogue operation appears in exactly one node', () => {
		const listed = CATALOGUE_NODES().flatMap((node) => operationOptions(node).map((option) => option.value));
		expect([...listed].sort()).toEqual(OPERATIONS.map((operation) => operation.id).sort());
	});

	it('the Safeguard Gate offers every catalogue operation, with its level', () => {
		const gate = NODES.find((node) => node.name === 'safeguardGate')!;
		const options = gate.properties.find((property) => property.name === 'operationId')!.options as Array<{ value: string; name: string }>;
		expect(options.map((option) => option.value).sort()).toEqual(OPERATIONS.map((operation) => operation.id).sort());
		// In words, grouped by service: "GLPI · Create Ticket (L1 minor)", sorted so each service's operations stand together.
		for (const option of options) expect(option.name).toBe(operationLabel(catalogue.get(option.value)));
		expect(options.map((option) => option.name)).toEqual([...options.map((option) => option.name)].sort((a, b) => a.localeCompare(b, 'en')));
		for (const option of options) expect((option as { description?: string }).description).toBe(catalogue.get(option.value).summary);
		expect(gate.outputNames).toEqual(['Allowed', 'Forbidden', 'Approved', 'Rejected', 'Expired']);
	});

	it.each(CATALOGUE_NODES().map((node) => [node.name, node] as const))('node %s shows exactly the catalogue inputs', (_name, node) => {
		expect(node.usableAsTool).toBe(true);
		// resource / operation style: each resource offers exactly the operations that name it
		const resource = node.properties.find((p) => p.name === 'resource');
		for (const field of node.properties.filter((p) => p.name === 'operation' && p.displayOptions)) {
			const [shownFor] = field.displayOptions!.show!.resource as string[];
			expect(resource?.options?.map((o) => (o as { value: string }).value)).toContain(shownFor);
			for (const option of field.options as Array<{ value: string }>) expect(catalogue.get(option.value).resource).toBe(shownFor);
		}
		// Outside AI tools, every operation above L0 (and only those) can run a Safeguard Gate's approval.
		const gateField = node.properties.find((p) => p.name === GATE_APPROVAL_ID);
		const guarded = operationOptions(node).filter((option) => catalogue.get(option.value).level > 0).map((option) => option.value);
		expect((gateField?.displayOptions?.show?.operation as string[] | undefined) ?? []).toEqual(guarded);
		if (gateField) expect(gateField.displayOptions?.show?.['@tool']).toEqual([false]);
		for (const option of operationOptions(node)) {
			const operation = catalogue.get(option.value);
			expect(option.name).toBe(operation.displayName);
			// People read the node's list: the summary; language models get the description (MCP).
			expect(option.description).toBe(operation.summary);
			const schema = inputJsonSchema(operation.input);
			const fields = fieldsFor(node, operation.id);
			expect(fields.map((field) => field.name).sort()).toEqual(Object.keys(schema.properties ?? {}).sort());
			for (const field of fields) {
				const property = schema.properties![field.name];
				expect(field.description).toBe(property.description);
				expect(Boolean(field.required)).toBe((schema.required ?? []).includes(field.name) && property.default === undefined);
				if (property.default !== undefined) expect(field.default).toEqual(property.default);
			}
		}
	});

	it('README operation and Redis key tables are up to date (run `npm run docs`)', () => {
		const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
		expect(readme).toBe(renderReadme(readme));
	});
});
