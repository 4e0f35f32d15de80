import { ExpressionParser } from 'n8n-workflow';
// Not re-exported by n8n-workflow's index; reached through its `./*` export, as n8n's own
// expression code runs it (extendSyntax): esprima-next parsing, nothing evaluated.
import { extendTransform } from 'n8n-workflow/dist/cjs/extensions/expression-extension.js';

import { STICKY_NOTE, type WorkflowContext } from '../context';
import { stringsIn } from '../walk';

const NODE_REFERENCES = [
	// $('Name'), $("Name"), $(`Name`)
	/\$\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1\s*\)/g,
	// $node["Name"], $node['Name']
	/\$node\[\s*(['"])((?:\\.|(?!\1)[^\\])*)\1\s*\]/g,
	// $items("Name")
	/\$items\(\s*(['"])((?:\\.|(?!\1)[^\\])*)\1/g,
];

function unescape(text: string): string {
	return text.replace(/\\(.)/g, '$1');
}

/** Why a chunk of expression code does not parse, or undefined when it does (as n8n parses it). */
function syntaxError(code: string): string | undefined {
	if (code.trim() === '') return undefined;
	// n8n retries a bare object literal wrapped in parentheses.
	if (extendTransform(code)?.code || (code.trim().startsWith('{') && extendTransform(`(${code})`)?.code)) return undefined;
	try {
		// Compiled for its error message only; a function never called runs nothing.
		new Function(code);
	} catch (error) {
		return (error as Error).message;
	}
	return 'invalid syntax';
}

function referencedNodes(code: string): string[] {
	const names: string[] = [];
	for (const pattern of NODE_REFERENCES) {
		for (const match of code.matchAll(pattern)) if (!match[2].includes('${')) names.push(unescape(match[2]));
	}
	// $node.Name (dot access: names without spaces or dots)
	for (const match of code.matchAll(/\$node\.([A-Za-z_$][\w$]*)/g)) names.push(match[1]);
	return names;
}

/**
 * Expressions (`=…`) parse the way n8n parses them, `{{` are closed, and `$('Node')` /
 * `$node["Node"]` name nodes of this workflow. A value with `{{ }}` but no leading `=` is plain
 * text to n8n: a warning.
 */
export function checkExpressions(context: WorkflowContext): void {
	for (const { node } of context.entries()) {
		if (node.type === STICKY_NOTE) continue;
		for (const { path, value } of stringsIn(node.parameters, 'parameters')) {
			if (!value.startsWith('=')) {
				if (/\{\{[\s\S]*\}\}/.test(value)) context.report(node.name, path, "missing '=': n8n treats it as text, not an expression", 'warning');
				continue;
			}
			for (const chunk of ExpressionParser.splitExpression(value.slice(1))) {
				if (chunk.type !== 'code') continue;
				if (!chunk.hasClosingBrackets) {
					context.report(node.name, path, `expression not closed: "{{${chunk.text.slice(0, 40)}" has no "}}"`);
					continue;
				}
				const error = syntaxError(chunk.text);
				if (error) context.report(node.name, path, `expression does not parse: ${error} in {{${chunk.text.slice(0, 60)}}}`);
				for (const name of referencedNodes(chunk.text)) {
					if (!context.nodes.has(name)) context.report(node.name, path, `expression refers to node "${name}", which is not in this workflow`);
				}
			}
		}
	}
}
