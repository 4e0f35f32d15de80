import { validateWorkflows, type ValidateResult } from '../../runtime/validate';
import { CORPUS, errors, line, n8nDir, ROOT, VALID } from './support';

/**
 * One small broken workflow per error class (test/validate/corpus/), each with the findings it must
 * produce: `file:node:field` and a fragment of the message. Every error of the corpus is listed,
 * so a check that goes quiet or starts inventing errors fails here.
 */
const EXPECTED: Record<string, Array<[string, string]>> = {
	'unknown-node-type.json': [
		['Ticket:type', 'unknown node type "n8n-nodes-widip.glpiTicket" (n8n-nodes-widip has: redisHelper'],
		['Fetch:type', 'unknown node type "n8n-nodes-base.httpRequestz"'],
	],
	'bad-type-version.json': [
		['Ping:typeVersion', 'n8n-nodes-widip.glpi has no version 2 (it has 1)'],
		['Done:typeVersion', 'n8n-nodes-base.noOp has no version 7 (it has 1)'],
	],
	'not-a-tool.json': [['Gate:type', 'n8n-nodes-widip.safeguardGate is not usable as an AI tool']],
	'unknown-parameters.json': [
		['Get:parameters.ttlSeconds', 'parameter "ttlSeconds" is not used with these settings (shown only when operation is "redis.set" or "redis.set_if_not_exists")'],
		['Get:parameters.colour', 'unknown parameter "colour"'],
		['Intake:parameters.additionalFields.siteWindowMinutes', 'unknown parameter "siteWindowMinutes" in "Additional Fields"'],
	],
	'required-missing.json': [
		['Call API:parameters.url', 'Parameter "URL" is required.'],
		['Mail:parameters.to', 'Parameter "To" is required.'],
	],
	'bad-options.json': [
		['Webhook:parameters.httpMethod', '"FETCH" is not an option of "HTTP Method"'],
		['Search:parameters.searchBy', '"fax" is not an option of "Search By" (options: "name", "email", "phone")'],
	],
	'catalogue-schema.json': [
		['Cache:parameters.ttlSeconds', 'Invalid input for redis.set: ttlSeconds: Too small: expected number to be >=0'],
		['Explode:parameters.operation', 'Unknown operation "redis.explode"'],
		['Status:parameters.ticketId', 'Invalid input for glpi.update_status: ticketId: Too small: expected number to be >=1'],
	],
	'connections-missing-node.json': [
		['Start:connections.main[0]', 'connection target "Ghost" is not a node of this workflow'],
		['Phantom:connections', 'connection source "Phantom" is not a node of this workflow'],
	],
	'output-index.json': [
		['Read Incident:connections.main[1]', 'output 1 does not exist: "Read Incident" has 1 main output(s)'],
		['Acquire:connections.main[2]', 'output 2 does not exist: "Acquire" has 2 main output(s)'],
	],
	'ai-connections.json': [
		['Check Status:connections.ai_tool[0]', '"Done" (n8n-nodes-base.noOp) does not accept ai_tool connections (its inputs: main)'],
		['Model:connections.ai_languageModel[0]', '"Done" (n8n-nodes-base.noOp) does not accept ai_languageModel connections'],
		['Agent:connections.ai_languageModel', 'needs a connection of type ai_languageModel (Chat Model)'],
	],
	'unreachable.json': [
		['Orphan:connections', 'not reachable: no path from a trigger or webhook leads to this node'],
		['After Orphan:connections', 'not reachable'],
	],
	'duplicate-paths-a.json': [['Alert Webhook Again:parameters.path', 'webhook path "observium-alert" is also served by "Alert Webhook"']],
	'duplicate-paths-b.json': [
		['Assist MCP:parameters.path', 'MCP trigger path "widip-sentinel" is also served by "Sentinel MCP" in test/validate/corpus/duplicate-paths-a.json'],
	],
	'credentials.json': [
		['No Name:credentials.widipRedisApi.name', 'credential without a name: deploy finds credentials by name'],
		['Wrong Type:credentials.widipGlpiApi', 'n8n-nodes-widip.redisHelper does not take a "widipGlpiApi" credential (it takes widipRedisApi, widipSafeguardApi)'],
		['Missing:credentials.widipGlpiApi', 'is required and not set'],
	],
	'placeholders.json': [
		['Ticket:parameters.title', 'placeholder value (CHANGEME)'],
		['Ticket:parameters.content', 'placeholder value (<…>) left in: "<p>Alerte</p> <ticket body>"'],
		['Call:parameters.url', 'placeholder value (xxx)'],
		['Cache:parameters.key', 'placeholder value (TODO)'],
		['Cache:credentials.widipRedisApi.name', 'placeholder credential name (<…>): "<REDIS_CREDENTIAL>"'],
	],
	'subworkflow-references.json': [
		['By Id:parameters.workflowId', 'sub-workflow referenced by id "Xk3pQ9rT2mLw8vNb"'],
		['Missing:parameters.workflowId', 'sub-workflow "Nobody Wrote This" is not among the workflows given'],
	],
	'expressions.json': [
		['Set Key:parameters.key', 'expression does not parse: Unexpected token'],
		['Set Key:parameters.value', 'expression not closed: "{{ $json.device" has no "}}"'],
		['Get Key:parameters.key', 'expression refers to node "Acquire GPU", which is not in this workflow'],
		['Old Style:parameters.key', 'expression refers to node "Set Kee"'],
	],
	'not-a-workflow.json': [['-:-', 'not an n8n workflow: expected an object with a "nodes" array']],
};

const EXPECTED_WARNINGS: Record<string, Array<[string, string]>> = {
	'credentials.json': [['No Name:credentials.widipRedisApi.id', 'credential id "aBcD1234eFgH5678" belongs to one n8n instance: deploy resolves credentials by name']],
	'expressions.json': [['Plain Text:parameters.key', "missing '=': n8n treats it as text"]],
	'subworkflow-references.json': [['By Expression:parameters.workflowId', 'sub-workflow chosen by an expression: deploy cannot check or resolve it']],
};

describe('widip validate: the corpus of broken workflows, against real n8n 2.41.1 node packages', () => {
	let result: ValidateResult;

	beforeAll(async () => {
		result = await validateWorkflows([CORPUS], { n8nDir: n8nDir(), cwd: ROOT, env: {} });
	}, 10 * 60_000);

	it('has at least 12 error classes, each a file', () => {
		expect(Object.keys(EXPECTED).length).toBeGreaterThanOrEqual(12);
		expect(result.files.map((file) => file.split('/').pop()).sort()).toEqual(Object.keys(EXPECTED).sort());
	});

	it.each(Object.entries(EXPECTED))('%s: its errors, and no others', (file, expected) => {
		const found = errors(result.findings).filter((finding) => finding.file.endsWith(`/${file}`)).map(line);
		for (const [where, fragment] of expected) {
			expect(found).toContainEqual(expect.stringMatching(new RegExp(`^${escape(`${file}:${where}: `)}.*${escape(fragment)}`)));
		}
		expect(found).toHaveLength(expected.length);
	});

	it.each(Object.entries(EXPECTED_WARNINGS))('%s: its warnings', (file, expected) => {
		const found = result.findings.filter((finding) => finding.severity === 'warning' && finding.file.endsWith(`/${file}`)).map(line);
		for (const [where, fragment] of expected) {
			expect(found).toContainEqual(expect.stringMatching(new RegExp(`^${escape(`${file}:${where}: `)}.*${escape(fragment)}`)));
		}
	});

	it('notes nothing it could not check: every type of the corpus is known', () => {
		expect(result.notes).toEqual([]);
	});

	it('finds a path clash only across the files given together', async () => {
		const alone = await validateWorkflows([`${CORPUS}/duplicate-paths-b.json`], { n8nDir: n8nDir(), cwd: ROOT, env: {} });
		expect(errors(alone.findings)).toEqual([]);
	});

	it('accepts the valid corpus-style workflows without an error or a warning', async () => {
		const valid = await validateWorkflows([VALID], { n8nDir: n8nDir(), cwd: ROOT, env: {} });
		expect(valid.files).toHaveLength(5);
		expect(valid.findings.map(line)).toEqual([]);
		expect(valid.notes).toEqual([]);
	});

	it('needs the called workflow among the files given', async () => {
		const caller = await validateWorkflows([`${VALID}/subworkflow-caller.json`], { n8nDir: n8nDir(), cwd: ROOT, env: {} });
		expect(caller.findings.map(line)).toEqual([
			'subworkflow-caller.json:Diagnose:parameters.workflowId: sub-workflow "Valid: diagnosis sub-workflow" is not among the workflows given',
		]);
	});
});

function escape(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
