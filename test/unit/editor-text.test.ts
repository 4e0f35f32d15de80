import { readFileSync } from 'node:fs';
import path from 'node:path';

import * as n8nWorkflow from 'n8n-workflow';
import type { INodeProperties, INodeTypeDescription } from 'n8n-workflow';

import { catalogue, OPERATIONS, SAFEGUARD_LEVELS } from '../../core/catalogue';
import { inputJsonSchema } from '../../core/catalogue/json-schema';
import { TOOL_APPROVAL_ID, TOOL_CONFIDENCE, TOOL_REASON, toolSafeguardNotice } from '../../nodes/shared/tool-safeguard';
import packageJson from '../../package.json';
import {
	allProperties,
	duplicateCredentialLabels,
	evaluateSubtitle,
	fieldFor,
	longTextInputs,
	operationChoices,
	optionLabels,
	rawIdProblem,
	type N8nWorkflowModule,
} from '../support/editor-text';

/** Every node the package declares to n8n, loaded from its TypeScript source. */
const NODES: INodeTypeDescription[] = packageJson.n8n.nodes.map((distPath) => {
	const source = path.join(__dirname, '../..', distPath.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
	// eslint-disable-next-line @typescript-eslint/no-require-imports -- the list is only known from package.json
	const module = require(source) as Record<string, new () => { description: INodeTypeDescription }>;
	return new (Object.values(module)[0])().description;
});
const gate = NODES.find((node) => node.name === 'safeguardGate')!;
const n8n = n8nWorkflow as unknown as N8nWorkflowModule;

describe('what a technician reads in the editor, from the catalogue', () => {
	it.each(OPERATIONS.map((operation) => [operation.id, operation] as const))('%s has a summary in words for people', (_id, operation) => {
		expect(operation.summary).toMatch(/^[A-Z].{9,109}\.$/);
		// No return shapes or ids: those are for language models (the description).
		expect(operation.summary).not.toMatch(/[{}]/);
		expect(rawIdProblem(operation.summary)).toBeUndefined();
		expect(operation.summary).not.toBe(operation.description);
	});

	it('every long free-text input is multi-line in the catalogue and in its node', () => {
		const long = longTextInputs();
		// The ones the issue names are among them.
		expect(long).toEqual(
			expect.arrayContaining([
				{ operationId: 'glpi.create_ticket', field: 'content' },
				{ operationId: 'glpi.add_followup', field: 'content' },
				{ operationId: 'glpi.close_ticket', field: 'solution' },
				{ operationId: 'mail.send_mail', field: 'body' },
				{ operationId: 'mail.send_bulk_notification', field: 'body' },
			]),
		);
		for (const { operationId, field } of long) {
			expect([operationId, field, inputJsonSchema(catalogue.get(operationId).input).properties![field].rows]).toEqual([operationId, field, expect.any(Number)]);
			const node = NODES.find((candidate) => fieldFor(candidate, operationId, field))!;
			expect([operationId, field, (fieldFor(node, operationId, field)!.typeOptions?.rows ?? 0) >= 2]).toEqual([operationId, field, true]);
		}
	});

	it('every catalogue operation has a readable subtitle in some node', () => {
		const covered = NODES.flatMap((node) => operationChoices(node, node.name === 'safeguardGate' ? 'operationId' : 'operation').map((choice) => choice.operationId));
		for (const operation of OPERATIONS) expect(covered.filter((id) => id === operation.id)).toHaveLength(2);
	});

	it.each(NODES.map((node) => [node.name, node] as const))('node %s: subtitles and option labels read as words, credential fields are told apart', (_name, node) => {
		const field = node.name === 'safeguardGate' ? 'operationId' : 'operation';
		// Nodes without catalogue operations (a trigger) have none to check here.
		const choices = operationChoices(node, field);
		for (const { operationId, set } of choices) {
			const subtitle = evaluateSubtitle(n8n, node, set);
			expect([operationId, typeof subtitle]).toEqual([operationId, 'string']);
			expect([operationId, subtitle, rawIdProblem(String(subtitle))]).toEqual([operationId, subtitle, undefined]);
			const operation = catalogue.get(operationId);
			expect(subtitle).toContain(operation.displayName);
		}
		for (const { field: label, label: option } of optionLabels(node)) expect([label, option, rawIdProblem(option)]).toEqual([label, option, undefined]);
		expect(duplicateCredentialLabels(node)).toEqual([]);
		for (const credential of node.credentials ?? []) expect(credential.displayName).toEqual(expect.any(String));
		// The optional Safeguard store says what it is for.
		const optional = (node.credentials ?? []).find((credential) => credential.name === 'widipSafeguardApi' && !credential.required);
		if (optional) expect(optional.displayName).toMatch(/AI Tool/);
	});

	it('the Safeguard Gate: a neutral default, the levels explained, the expected keys shown per operation', () => {
		const operation = gate.properties.find((property) => property.name === 'operationId')!;
		expect(catalogue.get(operation.default as string).level).toBe(0);
		expect(evaluateSubtitle(n8n, gate, {})).toBe('GLPI · Search Client (L0)');
		// An expression names the operation: the subtitle says so instead of showing the expression.
		expect(evaluateSubtitle(n8n, gate, { operationId: '={{ $json.body.operation }}' })).toBe('Operation from an expression');
		const notices = gate.properties.filter((property) => property.type === 'notice');
		const levels = notices.find((notice) => !notice.displayOptions)!;
		for (const level of Object.values(SAFEGUARD_LEVELS)) expect(levels.displayName).toContain(`${level.label}: ${level.meaning}`);
		for (const candidate of OPERATIONS) {
			const shown = notices.filter((notice) => (notice.displayOptions?.show?.operationId as string[] | undefined)?.includes(candidate.id));
			expect([candidate.id, shown.length]).toEqual([candidate.id, 1]);
			const keys = Object.keys(inputJsonSchema(candidate.input).properties ?? {});
			for (const key of keys) expect(shown[0].displayName).toContain(`<li>${key} (`);
			if (keys.length === 0) expect(shown[0].displayName).toContain('takes no arguments');
		}
		// Only what n8n's notices render (sanitize-html with ul, li and a): anything else would show as text or vanish.
		for (const notice of notices) expect(notice.displayName.replace(/<\/?(ul|li)>/g, '')).not.toMatch(/<[a-z/]/i);
		expect(gate.properties.find((property) => property.name === 'arguments')!.hint).toMatch(/keys listed above/);
	});

	it.each(NODES.filter((node) => allProperties(node.properties).some((property) => property.name === TOOL_CONFIDENCE)).map((node) => [node.name, node] as const))(
		'node %s as an AI tool explains its Safeguard fields',
		(_name, node) => {
			const byName = (name: string) => node.properties.find((property) => property.name === name) as INodeProperties;
			for (const name of [TOOL_APPROVAL_ID, TOOL_CONFIDENCE, TOOL_REASON]) {
				expect(String(byName(name).default)).toContain('$fromAI(');
				// n8n shows a hint only under a fixed value: the tooltip (description) says who fills it in.
				expect(byName(name).description).toMatch(/^The agent fills this in at each call \(\$fromAI\)/);
			}
			// Each operation says, as a tool, what Safeguard does with it.
			for (const { operationId } of operationChoices(node)) {
				const notices = node.properties.filter(
					(property) => property.type === 'notice' && property.displayOptions?.show?.['@tool']?.[0] === true && (property.displayOptions.show.operation as string[]).includes(operationId),
				);
				expect([operationId, notices.map((notice) => notice.displayName)]).toEqual([operationId, [toolSafeguardNotice(catalogue.get(operationId))]]);
			}
			expect(toolSafeguardNotice(catalogue.get('glpi.close_ticket'))).toBe(
				"As an AI tool, Close Ticket is Safeguard L3 sensitive: waits for a technician's approval. It needs the Safeguard credential above, where approvals and the audit live. The agent fills in the three Safeguard fields below at each call ($fromAI): keep their expressions.",
			);
			expect(toolSafeguardNotice(catalogue.get('incident.intake'))).toMatch(/workflows only/);
		},
	);

	it('every node has its own icon, light and dark, and the files exist (a trigger may wear its service\'s)', () => {
		const icons = NODES.filter((node) => !node.group.includes('trigger')).map((node) => node.icon as { light: string; dark: string });
		for (const key of ['light', 'dark'] as const) {
			const files = icons.map((icon) => icon[key]);
			expect(new Set(files).size).toBe(files.length);
			for (const file of files) {
				const svg = readFileSync(path.join(__dirname, '../../icons', path.basename(file.replace(/^file:/, ''))), 'utf8');
				expect(svg).toMatch(/^<svg /);
			}
		}
		// Distinct drawings, not only distinct file names.
		const drawings = icons.map((icon) => readFileSync(path.join(__dirname, '../../icons', path.basename(icon.light.replace(/^file:/, ''))), 'utf8').replace(/#[0-9A-Fa-f]{6}/g, ''));
		expect(new Set(drawings).size).toBe(drawings.length);
	});
});
