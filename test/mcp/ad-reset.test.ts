import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from 'ldapts';

import { Coordination } from '../../core/redis/coordination';
import { Approvals } from '../../core/safeguard/approvals';
import { serve, type Serving } from '../../runtime/serve';
import { createMySecretSimulator, type MySecretSimulator } from '../../sandbox/simulators/mysecret';
import { adminClient, createOu, ensureDc, makeUser, removeTree, userBind, type SambaDc, type TestUser } from '../ad/support';
import { REDIS_HOST, REDIS_PORT, testPrefix } from '../support/redis';
import { expireNow } from '../safeguard/support';

jest.setTimeout(120_000);

const KEYS = { assist: 'assist-ad-key-0123456789abcdefghij', other: 'other-ad-key-0123456789abcdefghijk' };
const MYSECRET_KEY = 'mcp-ad-mysecret-key-0123';

/**
 * A password reset (L3) asked over MCP, against a real Samba AD DC: nothing changes on the DC until
 * a technician approves; then the identical call from the same agent resets once; another agent,
 * other arguments, a replay or an expired approval are refused and audited.
 */
describe('ad_reset_password over MCP (real Samba AD DC, real Redis)', () => {
	const prefix = testPrefix('mcp-ad');
	let dc: SambaDc;
	let admin: Client;
	let ou: string;
	let user: TestUser;
	let mySecret: MySecretSimulator;
	let runtime: Serving;
	let probe: Coordination;
	let approvals: Approvals;
	const clients: McpClient[] = [];

	beforeAll(async () => {
		dc = await ensureDc();
		admin = await adminClient(dc);
		ou = await createOu(admin, dc.baseDn);
		user = await makeUser(admin, dc, ou);
		mySecret = createMySecretSimulator({ apiKey: MYSECRET_KEY });
		const mySecretUrl = await mySecret.start();
		probe = await Coordination.connect({ host: REDIS_HOST, port: REDIS_PORT, keyPrefix: prefix });
		approvals = new Approvals(probe.redis, prefix);
		runtime = await serve(
			{
				WIDIP_PORT: '0',
				WIDIP_REDIS_HOST: REDIS_HOST,
				WIDIP_REDIS_PORT: String(REDIS_PORT),
				WIDIP_REDIS_PREFIX: prefix,
				WIDIP_AGENT_KEYS: `assist:${KEYS.assist},other:${KEYS.other}`,
				WIDIP_MCP_AGENT_TOOLSETS: 'other:assist',
				WIDIP_AD_URL: dc.url,
				WIDIP_AD_BIND_DN: dc.adminUpn,
				WIDIP_AD_BIND_PASSWORD: dc.adminPassword,
				WIDIP_AD_BASE_DN: dc.baseDn,
				WIDIP_AD_CA_CERT: dc.caPem,
				WIDIP_AD_TLS_SERVER_NAME: dc.tlsServerName,
				WIDIP_MYSECRET_URL: mySecretUrl,
				WIDIP_MYSECRET_API_KEY: MYSECRET_KEY,
			},
			{ quiet: true },
		);
	}, 600_000);
	afterAll(async () => {
		for (const client of clients) await client.close().catch(() => undefined);
		await runtime?.close();
		await mySecret?.stop();
		await removeTree(admin, ou).catch(() => undefined);
		await admin?.unbind();
		if (probe) {
			const keys = await probe.redis.keys(`${prefix}*`);
			if (keys.length > 0) await probe.redis.del(...keys);
			await probe.close();
		}
	});

	async function agent(key: string): Promise<McpClient> {
		const client = new McpClient({ name: 'assist-agent', version: '1' });
		await client.connect(new StreamableHTTPClientTransport(new URL(`${runtime.url}/mcp/assist`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
		clients.push(client);
		return client;
	}

	const text = (result: CallToolResult) => (result.content[0] as { text: string }).text;
	const links = () => mySecret.requests.filter((request) => request.method === 'POST').length;

	it('nothing reaches the DC until approved; then the identical call resets once; other agent, other arguments and replay are refused', async () => {
		const assist = await agent(KEYS.assist);
		const args = { sAMAccountName: user.sam, mustChangeAtNextLogon: true, safeguardConfidence: 95, safeguardReason: 'mot de passe oublié, identité vérifiée' };
		const asked = (await assist.callTool({ name: 'ad_reset_password', arguments: args })) as CallToolResult;
		expect(asked.isError).toBe(true);
		const approvalId = /"approvalId":"([A-Za-z0-9_-]{22})"/.exec(text(asked))![1];
		expect(await userBind(dc, user.upn, user.password)).toBe('ok');
		expect(links()).toBe(0);

		expect(await approvals.decide(approvalId, 'approved', 'tech.martin', 'appel vérifié')).toBe('ok');
		const other = await agent(KEYS.other);
		expect(text((await other.callTool({ name: 'ad_reset_password', arguments: { ...args, safeguardApprovalId: approvalId } })) as CallToolResult)).toMatch(
			/belongs to another requester/,
		);
		expect(text((await assist.callTool({ name: 'ad_reset_password', arguments: { ...args, mustChangeAtNextLogon: false, safeguardApprovalId: approvalId } })) as CallToolResult)).toMatch(
			/other arguments/,
		);
		expect(await userBind(dc, user.upn, user.password)).toBe('ok');
		expect(links()).toBe(0);

		const done = (await assist.callTool({ name: 'ad_reset_password', arguments: { ...args, safeguardApprovalId: approvalId } })) as CallToolResult;
		expect(done.isError).toBeFalsy();
		expect(done.structuredContent).toMatchObject({ sAMAccountName: user.sam });
		expect(JSON.stringify(done)).toMatch(/https?:\/\//); // the one-time link, never the password
		expect(await userBind(dc, user.upn, user.password)).toBe('52e');
		expect(links()).toBe(1);
		expect(text((await assist.callTool({ name: 'ad_reset_password', arguments: { ...args, safeguardApprovalId: approvalId } })) as CallToolResult)).toMatch(/already used/);
		expect(links()).toBe(1);

		const audit = (await probe.redis.xrange(`${prefix}safeguard:audit`, '-', '+')).map(([, fields]) => fields.join(' '));
		expect(audit.filter((entry) => entry.includes(approvalId) && /refused:(foreign|mismatch|executed)/.test(entry))).toHaveLength(3);
		expect(audit.filter((entry) => entry.includes(approvalId) && /event execution .* outcome succeeded/.test(entry))).toHaveLength(1);
	});

	it('an approval that expired before it was used is refused and audited as an expiry; the DC is untouched', async () => {
		const assist = await agent(KEYS.assist);
		const args = { sAMAccountName: user.sam, mustChangeAtNextLogon: true, safeguardConfidence: 95, safeguardReason: 'deuxième demande' };
		const asked = (await assist.callTool({ name: 'ad_reset_password', arguments: args })) as CallToolResult;
		const approvalId = /"approvalId":"([A-Za-z0-9_-]{22})"/.exec(text(asked))![1];
		expect(await approvals.decide(approvalId, 'approved', 'tech.martin', '')).toBe('ok');
		await expireNow(probe.redis, approvals, approvalId);
		const late = (await assist.callTool({ name: 'ad_reset_password', arguments: { ...args, safeguardApprovalId: approvalId } })) as CallToolResult;
		expect(text(late)).toMatch(/expired before it was used/);
		expect(links()).toBe(1);
		const audit = (await probe.redis.xrange(`${prefix}safeguard:audit`, '-', '+')).map(([, fields]) => fields.join(' '));
		expect(audit.some((entry) => entry.includes(approvalId) && /event expiry .*outcome refused:expired/.test(entry))).toBe(true);
	});
});
