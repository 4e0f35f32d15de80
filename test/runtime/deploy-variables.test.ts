import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { readWorkflowFiles, unpublishedCallees } from '../../runtime/deploy/plan';
import { substituteVariables } from '../../runtime/deploy/variables';

describe('deploy variables ${WIDIP_FLOW_*}', () => {
	it('fills values and defaults inside strings, leaves other ${…} (code, other variables) alone', () => {
		const nodes = [
			{
				name: 'Sentinel',
				parameters: {
					endpointUrl: '${WIDIP_FLOW_RUNTIME_URL}/mcp/sentinel',
					to: '${WIDIP_FLOW_ONCALL_EMAIL:-astreinte@widip.fr}',
					jsCode: 'return [{ json: { text: `${$json.device} ${WIDIP_N8N_API_KEY}` } }];',
					leak: '${WIDIP_N8N_API_KEY}',
					count: 3,
				},
			},
		];
		const env = { WIDIP_FLOW_RUNTIME_URL: 'http://widip:8080', WIDIP_N8N_API_KEY: 'n8n-secret-key' };
		const { value, missing, used } = substituteVariables(nodes, env);
		expect(value[0].parameters).toEqual({
			endpointUrl: 'http://widip:8080/mcp/sentinel',
			to: 'astreinte@widip.fr',
			jsCode: 'return [{ json: { text: `${$json.device} ${WIDIP_N8N_API_KEY}` } }];',
			// Only WIDIP_FLOW_* names are read: a workflow cannot pull the deploy's API key into n8n.
			leak: '${WIDIP_N8N_API_KEY}',
			count: 3,
		});
		expect(missing).toEqual([]);
		expect(used).toEqual(['WIDIP_FLOW_ONCALL_EMAIL', 'WIDIP_FLOW_RUNTIME_URL']);
		// Validate's way: an unset variable stays as written (its field is then not checked), and is named.
		const kept = substituteVariables({ url: '${WIDIP_FLOW_UNSET}/x', to: '${WIDIP_FLOW_ONCALL_EMAIL:-a@b.fr}' }, {}, { keepUnset: true });
		expect(kept).toEqual({ value: { url: '${WIDIP_FLOW_UNSET}/x', to: 'a@b.fr' }, missing: ['WIDIP_FLOW_UNSET'], used: ['WIDIP_FLOW_ONCALL_EMAIL', 'WIDIP_FLOW_UNSET'] });
	});

	it('a value with quotes or braces stays one JSON string (no injection into the workflow)', () => {
		const { value } = substituteVariables({ a: 'x ${WIDIP_FLOW_X} y' }, { WIDIP_FLOW_X: '", "evil": {"}' });
		expect(value).toEqual({ a: 'x ", "evil": {"} y' });
	});

	it('deploy refuses a workflow whose variable is unset and has no default, naming it', async () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'widip-vars-'));
		const file = path.join(dir, 'flow.json');
		writeFileSync(file, JSON.stringify({ name: 'Flow', nodes: [{ name: 'A', parameters: { url: '${WIDIP_FLOW_RUNTIME_URL}/x', to: '${WIDIP_FLOW_ONCALL_EMAIL}' } }], connections: {} }));
		await expect(readWorkflowFiles([file], {})).rejects.toThrow(/WIDIP_FLOW_ONCALL_EMAIL, WIDIP_FLOW_RUNTIME_URL not set/);
		const [read] = await readWorkflowFiles([file], { WIDIP_FLOW_RUNTIME_URL: 'http://r', WIDIP_FLOW_ONCALL_EMAIL: 'a@b.fr' });
		expect(read.json.nodes[0].parameters).toEqual({ url: 'http://r/x', to: 'a@b.fr' });
	});
});

describe('deploy preflight', () => {
	it('a published caller of a sub-workflow that would stay unpublished is refused before any write', async () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'widip-callee-'));
		const ref = { __rl: true, mode: 'list', value: 'Callee', cachedResultName: 'Callee' };
		writeFileSync(path.join(dir, 'caller.json'), JSON.stringify({ name: 'Caller', nodes: [{ name: 'Call', type: 'n8n-nodes-base.executeWorkflow', parameters: { workflowId: ref } }], connections: {} }));
		writeFileSync(path.join(dir, 'callee.json'), JSON.stringify({ name: 'Callee', active: false, nodes: [], connections: {} }));
		const files = await readWorkflowFiles([dir], {});
		expect(unpublishedCallees(files)).toEqual([expect.stringMatching(/caller\.json: calls "Callee", whose file says "active": false/)]);
		writeFileSync(path.join(dir, 'callee.json'), JSON.stringify({ name: 'Callee', nodes: [], connections: {} }));
		expect(unpublishedCallees(await readWorkflowFiles([dir], {}))).toEqual([]);
	});
});
