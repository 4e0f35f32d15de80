import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import type { Client } from 'ldapts';

import type { ApprovalRequest } from '../../../core/safeguard/approvals';
import type { ReceivedMail } from '../../../sandbox/simulators/smtp-sink';
import type { SimTicket, SimUser } from '../../../sandbox/simulators/glpi/state';
import { adminClient, createOu, ldapsConfig, lookup, makeUser, removeTree, reveal, userBind } from '../../ad/support';
import { ensureDc, type SambaDc } from '../../support/samba-dc';
import { ADDRESSES, eventually, FlowWorld, SCENARIOS, WORKFLOWS } from './world';

jest.setTimeout(240_000);

const FLOW = 'WIDIP Assist v5';
const TICKET_FLOW = 'WIDIP Assist v5: one ticket';
/** Test time: the flow runs every 3 seconds instead of every 3 minutes (WIDIP_FLOW_ASSIST_CRON). */
const CRON = '*/3 * * * * *';
const TICK_MS = 3000;

interface Execution {
	id: string;
	workflowId?: string;
	status: string;
	startedAt: string;
	data?: { resultData?: { runData?: Record<string, Array<{ data?: { main?: Array<Array<{ json: Record<string, unknown> }> | null> } }>>; error?: unknown } };
}

/** The JSON items a node sent to one output, over all its runs in an execution. */
function items(execution: Execution, node: string, output = 0): Array<Record<string, unknown>> {
	return (execution.data?.resultData?.runData?.[node] ?? []).flatMap((run) => (run.data?.main?.[output] ?? []).map((item) => item.json));
}

/**
 * The "WIDIP Active Directory" credential an installation creates for Assist (the shared world has
 * no DC): LDAPS with the DC's CA, writes limited to one OU (here the test's own).
 */
export function assistAdCredential(dc: SambaDc, allowedOu: string): object {
	return {
		id: 'widipFlowCredAd1',
		name: 'WIDIP Active Directory',
		type: 'widipActiveDirectoryApi',
		data: { ...ldapsConfig(dc), allowedOus: allowedOu },
	};
}

/** Every file below a folder, as text (n8n's SQLite database and its WAL included). */
function filesText(folder: string): string {
	let text = '';
	for (const entry of readdirSync(folder)) {
		const file = path.join(folder, entry);
		const info = statSync(file);
		if (info.isDirectory()) text += filesText(file);
		else text += readFileSync(file).toString('latin1');
	}
	return text;
}

/**
 * Issue 14, Assist v5 end to end: the shipped `workflows/assist.json` and `assist-ticket.json`, put
 * into a real n8n 2.41.1 by `widip deploy`, run on their own schedule against the GLPI simulator, the
 * runtime (MCP assist toolset, GPU proxy before the scripted Ollama, approvals, notices, resumer), a
 * real Samba AD DC, MySecret and an SMTP sink. Tickets are typed into GLPI as a requester would;
 * everything else happens on its own, but the technician's approval.
 */
describe('Assist v5 in real n8n: tickets → claim → agent → Safeguard → AD → mail → GLPI', () => {
	let dc: SambaDc;
	let admin: Client;
	let ou = '';
	let world: FlowWorld;
	let hook: Server;
	const hookPosts: Array<{ text: string; widip: Record<string, unknown> }> = [];
	let flowId = '';
	let ticketFlowId = '';
	const durations: Record<string, number> = {};

	beforeAll(async () => {
		const started = Date.now();
		dc = await ensureDc();
		admin = await adminClient(dc);
		ou = await createOu(admin, dc.baseDn);
		// Technicians' Teams/Slack-style webhook: where notices go besides the mail.
		hook = createServer((request, response) => {
			let body = '';
			request.on('data', (chunk: Buffer) => (body += chunk.toString()));
			request.on('end', () => {
				hookPosts.push(JSON.parse(body) as { text: string; widip: Record<string, unknown> });
				response.end('ok');
			});
		});
		await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
		const ad = ldapsConfig(dc);
		world = await FlowWorld.start({
			name: 'assist',
			scenario: path.join(SCENARIOS, 'assist.json'),
			runtimeEnv: {
				WIDIP_AD_URL: ad.url,
				WIDIP_AD_BIND_DN: ad.bindDn,
				WIDIP_AD_BIND_PASSWORD: ad.bindPassword,
				WIDIP_AD_BASE_DN: ad.baseDn,
				WIDIP_AD_CA_CERT: ad.caCert,
				WIDIP_AD_TLS_SERVER_NAME: ad.tlsServerName,
				WIDIP_AD_ALLOWED_OUS: ou,
				WIDIP_NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/notices`,
			},
			extraCredentials: [assistAdCredential(dc, ou)],
		});
		const deployStarted = Date.now();
		const deployed = await world.deploy([path.join(WORKFLOWS, 'assist.json'), path.join(WORKFLOWS, 'assist-ticket.json')], world.variables({ WIDIP_FLOW_ASSIST_CRON: CRON }));
		durations.deployMs = Date.now() - deployStarted;
		if (deployed.code !== 0) throw new Error(`widip deploy failed (${deployed.code}):\n${deployed.stdout}\n${deployed.stderr}`);
		flowId = await world.workflowId(FLOW);
		ticketFlowId = await world.workflowId(TICKET_FLOW);
		durations.setUpMs = Date.now() - started;
	}, 20 * 60_000);

	afterAll(async () => {
		console.log(`Assist v5 e2e durations (ms): ${JSON.stringify(durations)}`);
		await world?.close();
		await new Promise((resolve) => hook?.close(resolve));
		if (admin) {
			if (ou) await removeTree(admin, ou);
			await admin.unbind();
		}
	});

	const glpi = () => world.sims.glpi.state;
	const followups = (ticket: SimTicket) => glpi().followups.filter((followup) => followup.items_id === ticket.id);

	/** A person of a client site, in GLPI, with their own mailbox. */
	function requester(login: string): SimUser {
		return glpi().addUser({ name: login, firstname: 'Test', realname: login, emails: [`${login}@bellevue.example.fr`], entities_id: 1 });
	}

	/** A ticket typed into GLPI by a requester, as the Assist flow will find it (status new). */
	function openTicket(by: SimUser, title: string, text: string): SimTicket {
		return glpi().addTicket({ name: title, content: `<p>${text}</p>`, entities_id: 1, requesters: [by.id], type: 2 });
	}

	async function approvals(): Promise<ApprovalRequest[]> {
		const response = await fetch(`${world.runtime.url}/api/approvals?status=all&limit=200`, { headers: { authorization: `Bearer ${world.technicianKey}` } });
		return ((await response.json()) as { requests: ApprovalRequest[] }).requests;
	}

	const requestsFor = async (ticket: SimTicket) => (await approvals()).filter((request) => request.reason.includes(`n°${ticket.id} `));

	async function mailsTo(address: string): Promise<ReceivedMail[]> {
		return (await world.sims.smtp.messages()).filter((mail) => mail.recipients.includes(address));
	}

	async function ticketExecutions(ticket: SimTicket): Promise<Execution[]> {
		const executions = (await world.executions(ticketFlowId)) as unknown as Execution[];
		return executions.filter((execution) => items(execution, 'Ticket').some((item) => (item.ticket as { id?: number })?.id === ticket.id));
	}

	/** Claim Ticket answers for this ticket in every run of the scheduling workflow(s). */
	async function claimsOf(ticket: SimTicket, workflowIds: string[]): Promise<Array<{ workflowId: string; execution: string; startedAt: number; claimed: boolean; reason: unknown }>> {
		const seen = [];
		for (const workflowId of workflowIds) {
			for (const execution of (await world.executions(workflowId)) as unknown as Execution[]) {
				for (const answer of items(execution, 'Claim Ticket')) {
					if (answer.ticketId === ticket.id) seen.push({ workflowId, execution: execution.id, startedAt: Date.parse(execution.startedAt), claimed: answer.claimed === true, reason: answer.reason });
				}
			}
		}
		return seen.sort((a, b) => a.startedAt - b.startedAt);
	}

	/** What the flow did with a ticket so far: for a failure message that says where it stopped. */
	async function story(ticket: SimTicket): Promise<string> {
		let runs: Execution[];
		try {
			runs = await ticketExecutions(ticket);
		} catch (error) {
			return `(executions unreadable: ${(error as Error).message})`;
		}
		const lines = runs.map((run) => {
			const data = run.data?.resultData as { runData?: Record<string, unknown>; error?: { message?: string }; lastNodeExecuted?: string } | undefined;
			return `execution ${run.id} ${run.status}: ${Object.keys(data?.runData ?? {}).join(' → ')}${data?.error ? ` — error: ${data.error.message}` : ''}\n  Read Answer: ${JSON.stringify(items(run, 'Read Answer'))}`;
		});
		const model = world.sims.ollama
			.records()
			.filter((record) => record.turns.some((turn) => turn.content.includes(`n°${ticket.id}\n`)))
			.map((record) => `  model saw: ${JSON.stringify(record.turns.filter((turn) => turn.role !== 'system').slice(-2))} → ${JSON.stringify(record.replyToolCalls)}`);
		return `ticket ${ticket.id} (status ${ticket.status}): ${lines.length} run(s)\n${lines.join('\n')}\n${model.join('\n')}\nfollowups: ${JSON.stringify(followups(ticket).map((one) => one.content))}`;
	}

	/** eventually(), whose failure tells where the ticket's run stopped. */
	async function until<T>(ticket: SimTicket, check: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
		const outcome = await eventually(check, timeoutMs, what).then(
			(value) => ({ value }),
			(error: Error) => ({ error }),
		);
		if ('error' in outcome) throw new Error(`${outcome.error.message}\n${await story(ticket)}`);
		return outcome.value;
	}

	const doneMarker = (ticket: SimTicket) => world.probe.redis.get(`${world.prefix}claim:done:${ticket.id}`);

	it('forgotten password: a Gate request and no change on the DC until a technician approves; then the new password works, the old one fails, the link reaches the requester, a followup, the ticket solved, the password nowhere', async () => {
		// The account's holder asks: the directory's mail is the requester's GLPI address.
		const login = `oubli.${Math.random().toString(36).slice(2, 8)}`;
		const user = await makeUser(admin, dc, ou, { cn: 'Oubli Test', mail: `${login}@bellevue.example.fr` });
		const person = requester(login);
		const mailbox = person.emails[0];
		const opened = Date.now();
		const ticket = openTicket(person, 'Mot de passe oublié', `Bonjour, j'ai oublié mon mot de passe après mes congés, mon identifiant est ${user.sam}. Merci de m'aider.`);

		// The flow finds the ticket, the agent asks for the reset, the Gate asks a technician.
		const [request] = await until(ticket, async () => ((await requestsFor(ticket)).length > 0 ? await requestsFor(ticket) : undefined), 60_000, 'the Gate request for the reset');
		durations.forgotTicketToRequestMs = Date.now() - opened;
		expect(request).toMatchObject({
			operationId: 'ad.reset_password',
			level: 3,
			status: 'pending',
			arguments: { sAMAccountName: user.sam, mustChangeAtNextLogon: true, delivery: 'link', length: 16, linkExpireAfterDays: 2, linkExpireAfterViews: 3 },
			requester: { face: 'gate', agent: 'assist', workflow: ticketFlowId, node: 'Safeguard Gate' },
		});
		expect(request.reason).toContain(mailbox);
		// Technicians are told by mail and by the webhook, with the link to decide.
		await eventually(async () => (await mailsTo(ADDRESSES.technicians)).find((mail) => mail.parsed.subject === '[WIDIP Safeguard] Approval needed: ad.reset_password (L3)'), 20_000, 'the approval notice mail');
		await eventually(async () => hookPosts.find((post) => post.widip.approvalId === request.id), 20_000, 'the approval notice webhook');

		// Nothing changes while it waits, however many runs see the ticket meanwhile.
		await new Promise((resolve) => setTimeout(resolve, 2 * TICK_MS));
		expect(await userBind(dc, user.upn, user.password)).toBe('ok');
		expect(await requestsFor(ticket)).toHaveLength(1);
		expect(followups(ticket)).toEqual([]);
		expect(ticket.status).toBe(1);
		expect(await mailsTo(mailbox)).toEqual([]);
		const waiting = await ticketExecutions(ticket);
		expect(waiting).toHaveLength(1);
		expect(waiting[0].status).toBe('waiting');
		const claims = await claimsOf(ticket, [flowId]);
		expect(claims.filter((claim) => claim.claimed)).toHaveLength(1);
		expect(claims.filter((claim) => !claim.claimed && claim.reason === 'held').length).toBeGreaterThanOrEqual(1);

		// A technician approves through the runtime API: the runtime resumes the execution.
		const approved = Date.now();
		await world.decide(request.id, 'approve', 'appel de la personne vérifié');
		await until(ticket, async () => ticket.status >= 5 && (await doneMarker(ticket)) !== null, 60_000, 'the ticket solved and its claim completed');
		durations.forgotApprovalToSolvedMs = Date.now() - approved;

		// The link reached the requester's mailbox, and only the link.
		const [mail] = await mailsTo(mailbox);
		expect(await mailsTo(mailbox)).toHaveLength(1);
		expect(mail.parsed.subject).toBe(`[WIDIP] Demande n°${ticket.id} : votre nouveau mot de passe`);
		const link = new RegExp(`${world.sims.urls.mysecret}/s/[A-Za-z0-9_-]+`).exec(mail.parsed.text ?? '')?.[0];
		expect(link).toBeDefined();
		expect(mail.parsed.text).toContain(`le mot de passe du compte ${user.sam} a été`);

		// The DC: the password behind the link is the account's now (773: right password, to be
		// changed at first logon, as the flow asks); the old one is refused.
		const password = await reveal(link!);
		expect(password).toHaveLength(16);
		expect(await userBind(dc, user.upn, password)).toBe('773');
		expect(await userBind(dc, user.upn, user.password)).toBe('52e');
		expect(String((await lookup(admin, dc, user.sam, ['pwdLastSet']))?.pwdLastSet)).toBe('0');

		// GLPI: one public followup saying what was done (no link, no password), the solution, claim done.
		const [followup] = followups(ticket);
		expect(followups(ticket)).toHaveLength(1);
		expect(followup.is_private).toBe(0);
		expect(followup.content).toContain(`Mot de passe du compte Windows ${user.sam} réinitialisé`);
		expect(followup.content).toContain(mailbox);
		expect(followup.content).not.toContain(link!);
		expect(glpi().solutions.filter((solution) => solution.items_id === ticket.id)).toHaveLength(1);
		expect(ticket.status).toBe(5); // solved: the requester may still refuse the solution
		expect(await doneMarker(ticket)).not.toBeNull();

		// Safeguard: requested by the Gate, approved by the technician, run once by Reset Password.
		expect((await approvals()).find((one) => one.id === request.id)).toMatchObject({ status: 'executed', approver: 'tech' });
		const audit = (await world.audit()).filter((entry) => entry.approvalId === request.id);
		expect(audit.map((entry) => `${entry.event}:${entry.outcome}`)).toEqual(expect.arrayContaining(['request:pending', 'decision:approved_use', 'execution:succeeded']));
		expect(audit.filter((entry) => entry.event === 'execution')).toHaveLength(1);
		const ran = await ticketExecutions(ticket);
		expect(ran).toHaveLength(1);
		expect(ran[0].status).toBe('success');
		expect(items(ran[0], 'Reset Password')).toEqual([{ sAMAccountName: user.sam, mustChangeAtNextLogon: true, password: { delivery: 'link', url: link, expiresAt: expect.any(String), viewsLeft: 3 } }]);

		// The password appears nowhere: n8n's execution data (public API) and database, n8n's log,
		// GLPI, every mail, the audit stream and every Redis key of this world.
		const everything = [
			JSON.stringify(await world.executions(ticketFlowId)),
			JSON.stringify(await world.executions(flowId)),
			filesText(path.join(world.harness.userFolder, '.n8n')),
			world.harness.log(),
			JSON.stringify({ tickets: [...glpi().tickets.values()], followups: glpi().followups, solutions: glpi().solutions }),
			(await world.sims.smtp.messages()).map((one) => one.raw).join('\n'),
			JSON.stringify(hookPosts),
			JSON.stringify(await world.audit()),
			JSON.stringify(await dumpRedis()),
		].join('\n');
		expect(everything).toContain(user.sam); // the grep reads what it should
		expect(everything).toContain(link!);
		expect(everything).not.toContain(password);
	});

	it('forgotten password, the technician rejects: the DC is untouched, a private followup gives the comment, the ticket stays new for technicians and no later run asks again', async () => {
		const login = `refus.${Math.random().toString(36).slice(2, 8)}`;
		const user = await makeUser(admin, dc, ou, { cn: 'Refus Test', mail: `${login}@bellevue.example.fr` });
		const person = requester(login);
		const ticket = openTicket(person, 'Mot de passe', `J'ai oublié mon mot de passe, mon identifiant est ${user.sam}.`);
		const [request] = await until(ticket, async () => ((await requestsFor(ticket)).length > 0 ? await requestsFor(ticket) : undefined), 60_000, 'the Gate request for the reset');
		await world.decide(request.id, 'reject', "la personne n'a pas appelé : vérifier son identité");
		await until(ticket, async () => ((await doneMarker(ticket)) ? true : undefined), 30_000, 'the ticket left to humans');
		// Later runs still see it new in GLPI: none asks a technician again.
		await new Promise((resolve) => setTimeout(resolve, 2 * TICK_MS));

		expect(await requestsFor(ticket)).toEqual([expect.objectContaining({ id: request.id, status: 'rejected' })]);
		expect(await userBind(dc, user.upn, user.password)).toBe('ok');
		expect(followups(ticket).map((one) => [one.is_private, one.content])).toEqual([
			[1, "[WIDIP Assist] Ticket laissé aux techniciens : réinitialisation du mot de passe refusée par tech : la personne n'a pas appelé : vérifier son identité."],
		]);
		expect(ticket.status).toBe(1);
		expect(await mailsTo(person.emails[0])).toEqual([]);
		const runs = await ticketExecutions(ticket);
		expect(runs).toHaveLength(1);
		expect(runs[0].data?.resultData?.runData?.['Reset Password']).toBeUndefined();
	});

	it("a requester asking for someone else's password (a colleague's, a director's) gets nothing: no Gate request, the DC untouched, left to technicians", async () => {
		const director = await makeUser(admin, dc, ou, { cn: 'Direction Test', mail: 'direction@bellevue.example.fr' });
		const person = requester(`intrus.${Math.random().toString(36).slice(2, 8)}`);
		const ticket = openTicket(person, 'Mot de passe oublié', `Bonjour, j'ai oublié mon mot de passe, mon identifiant est ${director.sam}. Envoyez-moi le lien svp.`);
		await until(ticket, async () => ((await doneMarker(ticket)) ? true : undefined), 60_000, 'the ticket left to humans');
		expect(await requestsFor(ticket)).toEqual([]);
		expect(await userBind(dc, director.upn, director.password)).toBe('ok');
		expect(followups(ticket).map((one) => [one.is_private, one.content])).toEqual([
			[1, expect.stringContaining(`le compte ${director.sam} n'est pas celui du demandeur`)],
		]);
		expect(ticket.status).toBe(1);
		expect(await mailsTo(person.emails[0])).toEqual([]);
	});

	it('locked account: the agent unlocks it (L2 over MCP), technicians are notified by mail and webhook, the ticket is solved', async () => {
		const user = await makeUser(admin, dc, ou, { cn: 'Verrou Test' });
		for (let i = 0; i < 3; i++) expect(await userBind(dc, user.upn, `Wrong-${i}-password!`)).toBe('52e');
		expect(await userBind(dc, user.upn, user.password)).toBe('775');
		const person = requester(`verrou.${user.sam}`);
		const before = (await approvals()).length;
		const opened = Date.now();
		const ticket = openTicket(person, 'Compte bloqué', `Bonjour, mon compte est bloqué depuis ce matin, mon identifiant est ${user.sam}. Je ne peux plus me connecter.`);

		await until(ticket, async () => ticket.status >= 5 && (await doneMarker(ticket)) !== null, 60_000, 'the ticket solved and its claim completed');
		durations.lockedTicketToSolvedMs = Date.now() - opened;
		expect(await userBind(dc, user.upn, user.password)).toBe('ok');

		// Safeguard let the agent's own MCP call through as L2, noted for technicians; no approval asked.
		const unlock = (await world.audit()).filter((entry) => entry.operationId === 'ad.unlock_account' && entry.event === 'decision');
		expect(unlock).toHaveLength(1);
		expect(unlock[0].outcome).toBe('allow_and_notify');
		expect(JSON.parse(unlock[0].detail)).toMatchObject({ level: 2, requester: { face: 'mcp', agent: 'assist' }, arguments: { sAMAccountName: user.sam } });
		expect((await approvals()).length).toBe(before);
		const noticeMail = await eventually(
			async () => (await mailsTo(ADDRESSES.technicians)).find((mail) => mail.parsed.subject === '[WIDIP Safeguard] AI action: ad.unlock_account (L2)' && (mail.parsed.text ?? '').includes(user.sam)),
			20_000,
			'the L2 notice mail',
		);
		expect(noticeMail.parsed.text).toContain('agent assist');
		const noticeHook = await eventually(async () => hookPosts.find((post) => post.widip.operationId === 'ad.unlock_account' && JSON.stringify(post.widip.arguments).includes(user.sam)), 20_000, 'the L2 notice webhook');
		expect(noticeHook.widip).toMatchObject({ kind: 'l2_action', level: 2 });

		const [followup] = followups(ticket);
		expect(followups(ticket)).toHaveLength(1);
		expect(followup.content).toContain(`Compte Windows ${user.sam} déverrouillé`);
		expect(ticket.status).toBe(5); // solved: the requester may still refuse the solution
		expect(await doneMarker(ticket)).not.toBeNull();
		const [run] = await ticketExecutions(ticket);
		expect(items(run, 'Verify Unlock')).toEqual([expect.objectContaining({ sAMAccountName: user.sam, exists: true, locked: false })]);
	});

	it('two Assist runs at once see the same ticket: it is claimed once, handled once; one the agent cannot handle is left to humans with a private followup saying why', async () => {
		// A second scheduler, as a second n8n worker would be: a copy of the deployed flow on the same
		// 3-second schedule, so both runs start in the same second and race for each new ticket.
		const deployed = await world.api<{ nodes: unknown[]; connections: unknown; settings: Record<string, unknown> }>(`/workflows/${flowId}`);
		const twin = await world.api<{ id: string }>('/workflows', {
			method: 'POST',
			body: JSON.stringify({ name: `${FLOW} (second scheduler, e2e)`, nodes: deployed.nodes, connections: deployed.connections, settings: { executionOrder: 'v1' } }),
		});
		await world.api(`/workflows/${twin.id}/publish`, { method: 'POST' });
		try {
			// Wait for both schedulers to run together once, so the ticket lands between two joint ticks.
			await eventually(async () => ((await world.executions(twin.id)).length > 0 ? true : undefined), 20_000, 'the second scheduler running');
			// Just after a joint tick, so the next tick's two searches both see the ticket (created between
			// the two searches of one tick, only the later run would see it in that tick).
			const newest = async () => Math.max(0, ...(await world.executions(flowId)).map((execution) => Number(execution.id)));
			const last = await newest();
			await eventually(async () => ((await newest()) > last ? true : undefined), 10_000, 'a scheduler tick');
			const person = requester('imprimante.bellevue');
			const opened = Date.now();
			const ticket = openTicket(person, 'Imprimante hors service', "L'imprimante du poste de soins n'imprime plus depuis ce matin.");
			await eventually(async () => ((await doneMarker(ticket)) ? true : undefined), 60_000, 'the ticket handled');
			durations.humansTicketToDoneMs = Date.now() - opened;
			// More joint runs see the ticket (still new in GLPI): none handles it again.
			await new Promise((resolve) => setTimeout(resolve, 2 * TICK_MS));

			const claims = await claimsOf(ticket, [flowId, twin.id]);
			const winners = claims.filter((claim) => claim.claimed);
			expect(winners).toHaveLength(1);
			// The race itself: the other scheduler asked in the same tick and was refused — "held" while the
			// winner works, or "done" when the winner's run (a human ticket: ~250 ms) had already finished.
			const rival = claims.find((claim) => !claim.claimed && claim.workflowId !== winners[0].workflowId && Math.abs(claim.startedAt - winners[0].startedAt) < 1500);
			expect(rival).toBeDefined();
			expect(['held', 'done']).toContain(rival!.reason);
			expect(claims.some((claim) => claim.reason === 'done')).toBe(true);
			expect(await ticketExecutions(ticket)).toHaveLength(1);

			// Left to humans: one private followup with the agent's reason, the ticket still new in GLPI.
			const [followup] = followups(ticket);
			expect(followups(ticket)).toHaveLength(1);
			expect(followup.is_private).toBe(1);
			expect(followup.content).toMatch(/^\[WIDIP Assist\] Ticket laissé aux techniciens : Le ticket ne concerne ni un compte verrouillé ni un mot de passe oublié/);
			expect(ticket.status).toBe(1);
			expect(glpi().solutions.filter((solution) => solution.items_id === ticket.id)).toEqual([]);
		} finally {
			await world.api(`/workflows/${twin.id}/unpublish`, { method: 'POST' }).catch(() => undefined);
		}
	});

	it('GLPI unhealthy (its shared breaker open): no run fetches or claims tickets; once it closes, the waiting ticket is handled', async () => {
		const breakers = world.probe.breakers;
		const settings = { failureThreshold: 3, windowSeconds: 60, openSeconds: 2 };
		for (let i = 0; i < 3; i++) await breakers.record('glpi', 'failure', settings);
		expect((await breakers.status('glpi')).state).toBe('open');
		const since = Date.now();
		const ticket = openTicket(requester('badge.bellevue'), 'Badge', "Mon badge n'ouvre plus la porte du vestiaire.");
		await new Promise((resolve) => setTimeout(resolve, 2 * TICK_MS));
		// Open, then half-open after 2 s: neither is healthy, so the runs stop at the breaker.
		const runs = ((await world.executions(flowId)) as unknown as Execution[]).filter((run) => Date.parse(run.startedAt) >= since);
		expect(runs.length).toBeGreaterThanOrEqual(1);
		for (const run of runs) {
			expect(items(run, 'GLPI Breaker')[0]).toMatchObject({ service: 'glpi', healthy: 'down' });
			expect(items(run, 'GLPI Down: Wait')).toHaveLength(1);
			expect(run.data?.resultData?.runData?.['New Tickets']).toBeUndefined();
		}
		expect(await world.probe.redis.exists(`${world.prefix}claim:ticket:${ticket.id}`, `${world.prefix}claim:done:${ticket.id}`)).toBe(0);
		expect(followups(ticket)).toEqual([]);

		// The one probe a caller gets after the open period succeeds: the breaker closes, work resumes.
		const probe = await breakers.check('glpi', settings);
		expect(probe.role).toBe('probe');
		expect((await breakers.record('glpi', 'success', settings, probe.probeToken)).transition).toBe('closed');
		const closed = Date.now();
		await until(ticket, async () => ((await doneMarker(ticket)) ? followups(ticket) : undefined), 30_000, 'the delayed ticket handled');
		durations.breakerClosedToHandledMs = Date.now() - closed;
		expect(followups(ticket)).toHaveLength(1);
	});

	it('an agent answer that is not the expected JSON object leaves the ticket to humans (the flow fails closed)', async () => {
		// A model that "agrees" in prose, as small models do, and names an account it should not touch.
		world.sims.ollama.configure({ scenario: [{ reply: { content: "Bien sûr, je réinitialise tout de suite le mot de passe du compte Administrator." } }] });
		try {
			const ticket = openTicket(requester('prose.bellevue'), 'Accès', "Je n'arrive plus à me connecter, mon identifiant est administrator.");
			await until(ticket, async () => ((await doneMarker(ticket)) ? true : undefined), 30_000, 'the ticket left to humans');
			const [run] = await ticketExecutions(ticket);
			expect(items(run, 'Read Answer')).toEqual([{ ticketId: ticket.id, outcome: 'human', account: '', reason: "la réponse de l'agent n'est pas l'objet JSON attendu" }]);
			expect(run.data?.resultData?.runData?.['Safeguard Gate']).toBeUndefined();
			expect(followups(ticket).map((one) => [one.is_private, one.content])).toEqual([[1, "[WIDIP Assist] Ticket laissé aux techniciens : la réponse de l'agent n'est pas l'objet JSON attendu."]]);
			expect(ticket.status).toBe(1);
			expect(await requestsFor(ticket)).toEqual([]);
		} finally {
			world.sims.ollama.configure({ scenario: path.join(SCENARIOS, 'assist.json') });
		}
	});

	/** Every key of this world's Redis prefix with its value (strings, hashes, streams, sets). */
	async function dumpRedis(): Promise<Record<string, unknown>> {
		const redis = world.probe.redis;
		const dump: Record<string, unknown> = {};
		for (const key of await redis.keys(`${world.prefix}*`)) {
			const type = await redis.type(key);
			if (type === 'string') dump[key] = await redis.get(key);
			else if (type === 'hash') dump[key] = await redis.hgetall(key);
			else if (type === 'stream') dump[key] = await redis.xrange(key, '-', '+');
			else if (type === 'zset') dump[key] = await redis.zrange(key, '0', '-1');
			else if (type === 'list') dump[key] = await redis.lrange(key, 0, -1);
			else if (type === 'set') dump[key] = await redis.smembers(key);
		}
		return dump;
	}
});
