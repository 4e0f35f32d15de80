import path from 'node:path';

import { deepCopy, type INodeTypeDescription } from 'n8n-workflow';

import { toAiToolDescription } from '../../runtime/validate/node-types/ai-tool';
import { loadWidipNodes } from '../../runtime/validate/node-types/widip';
import { n8nDir } from './support';

/** Our copy of n8n's AI-tool conversion (it lives in the n8n app) against n8n 2.41.1's own. */
describe('AI-tool variants as n8n generates them', () => {
	it('matches n8n convertNodeToAiTool for every node of ours marked usableAsTool', () => {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const { convertNodeToAiTool } = require(path.join(n8nDir(), 'node_modules/n8n/dist/tool-generation/ai-tools.js')) as {
			convertNodeToAiTool: (item: { description: INodeTypeDescription }) => { description: INodeTypeDescription };
		};
		const usable = [...loadWidipNodes().values()].map((node) => node.description as INodeTypeDescription).filter((description) => description.usableAsTool);
		expect(usable.length).toBeGreaterThanOrEqual(9);
		for (const description of usable) {
			const theirs = convertNodeToAiTool({ description: deepCopy(description) }).description;
			// n8n also files the tool under "AI > Tools" in the editor's codex: presentation only.
			delete (theirs as { codex?: unknown }).codex;
			const ours = toAiToolDescription(description);
			delete (ours as { codex?: unknown }).codex;
			expect(ours).toEqual(theirs);
		}
	});
});
