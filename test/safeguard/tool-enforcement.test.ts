import type { Client } from 'ldapts';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { catalogue } from '../../core/catalogue';
import type { Coordination } from '../../core/redis/coordination';
import { Approvals } from '../../core/safeguard/approvals';
import { DEFAULT_POLICY } from '../../core/safeguard/decision';
import { PolicyStore } from '../../core/safeguard/policy';
import { ActiveDirectory } from '../../nodes/ActiveDirectory/ActiveDirectory.node';
import { Glpi } from '../../nodes/Glpi/Glpi.node';
import { createGlpiSimulator, type GlpiSimulator } from '../../sandbox/simulators/glpi/server';
import { createMySecretSimulator, type MySecretSimulator } from '../../sandbox/simulators/mysecret';
import { adminClient, createOu, ensureDc, ldapsConfig, makeUser, removeTree, userBind, type SambaDc, type TestUser } from '../ad/support';
import { fakeExecuteContext } from '../support/n8n-context';
import { connectTest, dropPrefix } from '../support/redis';

jest.setTimeout(120_000);

const APP_TOKEN = 'app-token-for-tests-0123';
const MYSECRET_KEY = 'mysecret-tool-test-key-4d1e';
const SAFEGUARD_KEY = 'tool-enforcement-safeguard-key-0123456789';

/**
 * Catalogue nodes as AI tools (`…Tool` types): Safeguard decides before any service is touched.
 * The services are real or recording: a Samba AD DC (the password still works = no reset
 * happened), the GLPI and MySecret simulators (their request logs).
 */
describe('Safeguard in AI-tool variants of the typed nodes', () => {
	let coordination: Coordination;
	let safeguardCredential: IDataObject;
	let approvals: Approvals;
	let glpi: GlpiSimulator;
	let glpiCredential: IDataObject;
	let mySecret: MySecretSimulator;
	let mySecretCredential: IDataObject;
	let dc: SambaDc;
	let admin: Client;
	let ou: string;
	let user: TestUser;

	beforeAll(async () => {
		coordination = await connectTest('tool-safeguard');
		const prefix = coordination.config.keyPrefix;
		safeguardCredential = { host: coordination.config.host, port: coordination.config.port, keyPrefix: prefix, timeoutMs: 3000, safeguardSecret: SAFEGUARD_KEY };
		approvals = new Approvals(coordination.redis, prefix);
		glpi = createGlpiSimulator({ appToken: APP_TOKEN });
		glpiCredential = { url: `${await glpi.start()}/apirest.php`, appToken: APP_TOKEN, authMethod: 'userToken', userToken: 'widip-sim-user-token', timeZone: 'UTC', timeoutMs: 3000 };
		mySecret = createMySecretSimulator({ apiKey: MYSECRET_KEY });
		mySecretCredential = { url: await mySecret.start(), apiKey: MYSECRET_KEY, timeoutMs: 3000 };
		dc = await ensureDc();
		admin = await adminClient(dc);
		ou = await createOu(admin, dc.baseDn);
		user = await makeUser(admin, dc, ou);
	}, 600_000);
	afterAll(async () => {
		await removeTree(admin, ou).catch(() => undefined);
		await admin?.unbind();
		await glpi?.stop();
		await mySecret?.stop();
		await dropPrefix(coordination);
		await coordination.close();
	});

	async function resetAsTool(extra: IDataObject = {}, name = 'Reset tool'): Promise<IDataObject> {
		const [items] = (await new ActiveDirectory().execute.call(
			fakeExecuteContext({
				type: 'n8n-nodes-widip.activeDirectoryTool',
				name,
				credentialsByType: { widipActiveDirectoryApi: { ...ldapsConfig(dc) }, widipMySecretApi: mySecretCredential, widipSafeguardApi: safeguardCredential },
				params: [
					{
						resource: 'user',
						operation: 'ad.reset_password',
						sAMAccountName: user.sam,
						mustChangeAtNextLogon: true,
						safeguardConfidence: '95',
						safeguardReason: 'locked out, called the hotline',
						...extra,
					},
				],
			}),
		)) as INodeExecutionData[][];
		return items[0].json;
	}

	it('AD reset password without approval never reaches the DC: approval required, with a request id', async () => {
		const answer = await resetAsTool();
		expect(answer).toMatchObject({ status: 'approval_required', approvalId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) });
		expect(String(answer.message)).toMatch(/needs a technician's approval.*Nothing was done/);
		// The old password still works and no one-time link was made: nothing happened.
		expect(await userBind(dc, user.upn, user.password)).toBe('ok');
		expect(mySecret.requests.filter((request) => request.method === 'POST')).toEqual([]);
		const request = await approvals.get(String(answer.approvalId));
		expect(request).toMatchObject({ status: 'pending', operationId: 'ad.reset_password', level: 3, confidence: 95, reason: 'locked out, called the hotline' });
	});

	it('once approved, identical arguments run exactly once; changed arguments and a second use are refused', async () => {
		const { approvalId } = await resetAsTool();
		expect(await approvals.decide(String(approvalId), 'approved', 'tech.martin', 'appel vérifié')).toBe('ok');

		const other = await resetAsTool({ safeguardApprovalId: approvalId, mustChangeAtNextLogon: false });
		expect(other).toMatchObject({ status: 'refused', why: 'mismatch' });
		expect(await userBind(dc, user.upn, user.password)).toBe('ok');

		const done = await resetAsTool({ safeguardApprovalId: approvalId });
		expect(done).toMatchObject({ sAMAccountName: user.sam, mustChangeAtNextLogon: true });
		expect(await userBind(dc, user.upn, user.password)).toBe('52e'); // the reset happened: the old password is refused
		expect((await approvals.get(String(approvalId)))!.status).toBe('executed');

		const again = await resetAsTool({ safeguardApprovalId: approvalId });
		expect(again).toMatchObject({ status: 'refused', why: 'executed' });
		expect(mySecret.requests.filter((request) => request.method === 'POST')).toHaveLength(1);
	});

	it("another tool node, or a Gate's approval, cannot use an approval: refused as foreign and audited, nothing done", async () => {
		// Each reset makes one one-time link: none may be made here.
		const links = () => mySecret.requests.filter((request) => request.method === 'POST').length;
		const linksBefore = links();
		const { approvalId } = await resetAsTool();
		expect(await approvals.decide(String(approvalId), 'approved', 'tech.martin', '')).toBe('ok');
		expect(await resetAsTool({ safeguardApprovalId: approvalId }, 'Another AD tool')).toMatchObject({ status: 'refused', why: 'foreign' });
		const gate = await approvals.request({
			operation: catalogue.get('ad.reset_password'),
			args: { sAMAccountName: user.sam, mustChangeAtNextLogon: true },
			requester: { face: 'gate', node: 'Reset tool', execution: 'exec-test', workflow: 'wf-test' },
			reason: 'gate',
		});
		expect(await approvals.decide(gate.id, 'approved', 'tech.martin', '')).toBe('ok');
		expect(await resetAsTool({ safeguardApprovalId: gate.id })).toMatchObject({ status: 'refused', why: 'foreign' });
		expect(links()).toBe(linksBefore);
		expect((await approvals.get(String(approvalId)))!.status).toBe('approved');
		expect((await approvals.get(gate.id))!.status).toBe('approved');
	});

	it('an L3 GLPI close as a tool does nothing at GLPI until approved', async () => {
		const before = glpi.requests.length;
		const [items] = (await new Glpi().execute.call(
			fakeExecuteContext({
				type: 'n8n-nodes-widip.glpiTool',
				credentialsByType: { widipGlpiApi: glpiCredential, widipSafeguardApi: safeguardCredential },
				params: [{ resource: 'ticket', operation: 'glpi.close_ticket', ticketId: 1, solution: 'Imprimante redémarrée', safeguardConfidence: '99' }],
			}),
		)) as INodeExecutionData[][];
		expect(items[0].json.status).toBe('approval_required');
		expect(glpi.requests.length).toBe(before); // not even a session was opened
	});

	it('without the Redis credential an L1+ tool call fails closed; L0 still runs', async () => {
		const run = (operation: string, extra: IDataObject) =>
			new Glpi().execute.call(
				fakeExecuteContext({
					type: 'n8n-nodes-widip.glpiTool',
					credentialsByType: { widipGlpiApi: glpiCredential },
					params: [{ resource: 'ticket', operation, ...extra }],
				}),
			);
		await expect(run('glpi.add_followup', { ticketId: 1, content: 'x', safeguardConfidence: '99' })).rejects.toThrow(
			/glpi\.add_followup is Safeguard L1: as an AI tool it needs the WIDIP Safeguard credential/,
		);
		const [items] = (await run('glpi.get_ticket', { ticketId: 1 })) as INodeExecutionData[][];
		expect(items[0].json).toMatchObject({ id: 1 });
	});

	it('the policy published in Redis applies: an override lowers close_ticket to L2 and it runs at once', async () => {
		const policy = new PolicyStore(coordination.redis, coordination.config.keyPrefix, SAFEGUARD_KEY);
		await policy.publish({ ...DEFAULT_POLICY, levels: { 'glpi.close_ticket': 2 }, allowLower: ['glpi.close_ticket'] });
		try {
			const [items] = (await new Glpi().execute.call(
				fakeExecuteContext({
					type: 'n8n-nodes-widip.glpiTool',
					credentialsByType: { widipGlpiApi: glpiCredential, widipSafeguardApi: safeguardCredential },
					params: [{ resource: 'ticket', operation: 'glpi.close_ticket', ticketId: 1, solution: 'Imprimante redémarrée' }],
				}),
			)) as INodeExecutionData[][];
			expect(items[0].json).toMatchObject({ ticketId: 1, status: 6 });
		} finally {
			await coordination.redis.del(policy.key);
		}
	});
});
