import type { Requester } from '../../core/safeguard/approvals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { catalogue } from '../../core/catalogue';
import { MailClient } from '../../core/mail/client';
import type { Coordination } from '../../core/redis/coordination';
import { Safeguard } from '../../core/safeguard/guard';
import { MailChannel, NoticeDispatcher, WebhookChannel, type Notice } from '../../runtime/notices';
import { SmtpSink, type ReceivedMail } from '../../sandbox/simulators/smtp-sink';
import { captureLogger } from '../support/capture-logger';
import { sinkConfig, SMTP_PASSWORD } from '../mail/support';
import { connectTest, dropPrefix, freePort } from '../support/redis';

const PUBLIC_URL = 'https://widip.example.fr:8443';
const TECHNICIANS = ['tech.nord@widip.fr', 'astreinte@widip.fr'];
// Letters and digits only: no mail transfer encoding can disguise it, so "not in the raw mail" means what it says.
const SECRET = 'Zq7mK2pX9wLr4tVbQ8nH';
const requester: Requester = { face: 'mcp', agent: 'assist', workflow: 'Assist', execution: '4812' };

interface WebhookCall {
	body: { text: string; widip: Notice };
	raw: string;
	status: number;
	receivedAt: number;
	answeredAt?: number;
}

/** How the receiver answers one call: `nth` counts earlier calls carrying the same notice (audit id). */
type Respond = (call: WebhookCall, nth: number) => { status: number; delayMs?: number };

/** A webhook receiver (Teams / Slack style) on loopback that records every call and answers as told. */
async function startReceiver(): Promise<{ url: string; calls: WebhookCall[]; respond: { fn: Respond }; close(): Promise<void> }> {
	const calls: WebhookCall[] = [];
	const respond: { fn: Respond } = { fn: () => ({ status: 200 }) };
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			const raw = Buffer.concat(chunks).toString('utf8');
			const call: WebhookCall = { body: JSON.parse(raw), raw, status: 0, receivedAt: Date.now() };
			const nth = calls.filter((earlier) => earlier.body.widip?.auditId === call.body.widip?.auditId).length;
			calls.push(call);
			const { status, delayMs = 0 } = respond.fn(call, nth);
			call.status = status;
			setTimeout(() => {
				call.answeredAt = Date.now();
				res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
			}, delayMs);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/widip`,
		calls,
		respond,
		close: () =>
			new Promise((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}

/** Polls until `probe` gives something (deliveries are asynchronous by design). */
async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value !== undefined && value !== false) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 25));
	}
}

// Deliveries are polled for up to 10 s and one receiver answers after 3 s: more than jest's 5 s default.
jest.setTimeout(20_000);

describe('Safeguard notices: audit stream → mail and webhook (real Redis, SMTP, HTTP)', () => {
	let coordination: Coordination;
	let safeguard: Safeguard;
	let sink: SmtpSink;
	let mailClient: MailClient;
	let receiver: Awaited<ReturnType<typeof startReceiver>>;
	let dispatcher: NoticeDispatcher;
	const logger = captureLogger();

	beforeAll(async () => {
		// reconnect: true as in `widip serve` (its dispatcher's connections queue commands until connected).
		coordination = await connectTest('notices', { reconnect: true });
		safeguard = new Safeguard(coordination.redis, coordination.config.keyPrefix, catalogue);
		sink = await SmtpSink.start(SMTP_PASSWORD);
		mailClient = new MailClient(sinkConfig(sink));
		receiver = await startReceiver();
		dispatcher = new NoticeDispatcher(
			coordination.redis,
			coordination.config.keyPrefix,
			[new MailChannel(mailClient, TECHNICIANS), new WebhookChannel(receiver.url)],
			PUBLIC_URL,
			logger,
			{ blockMs: 200, retryMs: 100, maxAttempts: 5 },
		);
		await dispatcher.start();
	});
	afterEach(() => {
		receiver.respond.fn = () => ({ status: 200 });
	});
	afterAll(async () => {
		await dispatcher.stop();
		await mailClient.close();
		await receiver.close();
		await sink.stop();
		await dropPrefix(coordination);
		await coordination.close();
	});

	/** Webhook calls about the notice whose arguments include `marker` (tests share one receiver). */
	function hooksFor(marker: string | number): WebhookCall[] {
		return receiver.calls.filter((call) => JSON.stringify(call.body.widip.arguments).includes(JSON.stringify(marker)));
	}

	async function mailsFor(marker: string | number): Promise<ReceivedMail[]> {
		return (await sink.messages()).filter((mail) => (mail.parsed.text ?? '').includes(JSON.stringify(marker)));
	}

	/** An L2 action whose notice, once on both channels, proves every earlier audit entry was dispatched. */
	async function barrier(ticketId: number): Promise<void> {
		const verdict = await safeguard.authorize('glpi.update_status', { ticketId, status: 2 }, { confidence: 90, reason: 'barrier', requester });
		expect(verdict.status).toBe('allowed');
		await until('the barrier notice by webhook', () => hooksFor(ticketId).find((call) => call.answeredAt && call.status === 200));
		await until('the barrier notice by mail', async () => (await mailsFor(ticketId))[0]);
	}

	it('an L2 action is allowed at once while the webhook receiver takes 3 s; the notice follows by mail and webhook', async () => {
		const ticketId = 910_001;
		receiver.respond.fn = (call) => ({ status: 200, delayMs: call.body.widip.arguments.ticketId === ticketId ? 3000 : 0 });

		const started = Date.now();
		const verdict = await safeguard.authorize(
			'glpi.update_status',
			{ ticketId, status: 2 },
			{ confidence: 88, reason: 'Technicien assigné par téléphone', requester },
		);
		const allowedAt = Date.now();
		const tookMs = allowedAt - started;
		expect(verdict).toMatchObject({ status: 'allowed', notified: true, decision: { level: 2, outcome: 'allow_and_notify' } });
		// Had authorize sent the notice itself, it would have waited the receiver's 3 s.
		expect(tookMs).toBeLessThan(500);

		const hook = await until('the webhook call', () => hooksFor(ticketId)[0]);
		expect(typeof hook.body.text).toBe('string');
		expect(hook.body.text).toContain('[WIDIP Safeguard] AI action: glpi.update_status (L2)');
		expect(hook.body.text).toContain('Technicien assigné par téléphone');
		expect(hook.body.widip).toMatchObject({
			kind: 'l2_action',
			operationId: 'glpi.update_status',
			level: 2,
			link: `${PUBLIC_URL}/approvals`,
			agentReason: 'Technicien assigné par téléphone',
			requester,
			arguments: { ticketId, status: 2 },
			auditId: expect.stringMatching(/^\d+-\d+$/),
		});
		// The mail channel has its own reader: it does not wait for the slow webhook either.
		const [mail] = await until('the notice mail', async () => {
			const mails = await mailsFor(ticketId);
			return mails.length > 0 ? mails : undefined;
		});
		expect(hook.answeredAt).toBeUndefined();
		expect(mail.recipients).toEqual(TECHNICIANS);
		expect(mail.parsed.subject).toBe('[WIDIP Safeguard] AI action: glpi.update_status (L2)');
		expect(mail.parsed.text).toContain(`Audit and approvals: ${PUBLIC_URL}/approvals`);
		expect(mail.parsed.text).toContain('Requested by: agent assist, execution 4812, face mcp, workflow Assist');

		await until('the slow receiver to answer', () => hook.answeredAt, 6000);
		// The action was allowed seconds before the receiver answered.
		expect(hook.answeredAt! - allowedAt).toBeGreaterThanOrEqual(2500);
		expect(hooksFor(ticketId)).toHaveLength(1);
	});

	it('an L2 action is allowed at once while the webhook is down; mail still goes out and the webhook is retried', async () => {
		// A runtime of its own whose webhook points at a closed port.
		const other = await connectTest('notices-down', { reconnect: true });
		const otherGuard = new Safeguard(other.redis, other.config.keyPrefix, catalogue);
		const otherLogger = captureLogger();
		const otherMail = new MailClient(sinkConfig(sink));
		const down = new NoticeDispatcher(
			other.redis,
			other.config.keyPrefix,
			[new WebhookChannel(`http://127.0.0.1:${await freePort()}/hooks/widip`), new MailChannel(otherMail, TECHNICIANS)],
			PUBLIC_URL,
			otherLogger,
			{ blockMs: 200, retryMs: 100, maxAttempts: 3 },
		);
		await down.start();
		try {
			const started = Date.now();
			const verdict = await otherGuard.authorize('ad.unlock_account', { sAMAccountName: 'down.test' }, { confidence: 70, reason: 'Compte verrouillé', requester });
			expect(Date.now() - started).toBeLessThan(500);
			expect(verdict).toMatchObject({ status: 'allowed', notified: true });

			const [mail] = await until('the notice mail', async () => {
				const mails = await mailsFor('down.test');
				return mails.length > 0 ? mails : undefined;
			});
			expect(mail.parsed.subject).toBe('[WIDIP Safeguard] AI action: ad.unlock_account (L2)');
			// Tried, retried, then given up after maxAttempts: all in the dispatcher, never in the action.
			await until('the webhook to be given up', () => otherLogger.lines.find((line) => line.startsWith('error Notice given up')));
			const retries = otherLogger.lines.filter((line) => line.startsWith('warn Notice not sent, will retry'));
			expect(retries).toHaveLength(2);
			expect(retries[0]).toContain('"channel":"webhook"');
			expect(otherLogger.lines.find((line) => line.startsWith('error Notice given up'))).toContain('"attempts":3');
		} finally {
			await down.stop();
			await otherMail.close();
			await dropPrefix(other);
			await other.close();
		}
	});

	it('a new L3 request sends an approval notice linking to that request', async () => {
		const verdict = await safeguard.authorize(
			'ad.reset_password',
			{ sAMAccountName: 'l3.request', mustChangeAtNextLogon: true },
			{ confidence: 95, reason: 'Mot de passe oublié, identité vérifiée', requester },
		);
		expect(verdict.status).toBe('approval_required');
		const approvalId = verdict.status === 'approval_required' ? verdict.approval.id : '';
		const link = `${PUBLIC_URL}/approvals#${approvalId}`;

		const hook = await until('the webhook call', () => hooksFor('l3.request')[0]);
		expect(hook.body.widip).toMatchObject({ kind: 'approval_request', operationId: 'ad.reset_password', level: 3, approvalId, link });
		expect(hook.body.text).toContain('[WIDIP Safeguard] Approval needed: ad.reset_password (L3)');
		expect(hook.body.text).toContain(`Approve or reject: ${link}`);

		const [mail] = await until('the notice mail', async () => {
			const mails = await mailsFor('l3.request');
			return mails.length > 0 ? mails : undefined;
		});
		expect(mail.recipients).toEqual(TECHNICIANS);
		expect(mail.parsed.subject).toBe('[WIDIP Safeguard] Approval needed: ad.reset_password (L3)');
		expect(mail.parsed.text).toContain(`Approve or reject: ${link}`);
		// A request waits on a person: it goes out as urgent.
		expect(mail.header('X-Priority')).toBe('1 (Highest)');
	});

	it('L0 and confident L1 decisions are allowed without any notice', async () => {
		const l0 = await safeguard.authorize('glpi.get_ticket', { ticketId: 920_001 }, { reason: 'lecture', requester });
		expect(l0).toMatchObject({ status: 'allowed', notified: false });
		const l1 = await safeguard.authorize(
			'glpi.create_ticket',
			{ title: 'quiet-l1 ticket', content: 'x', type: 1 },
			{ confidence: 95, reason: 'incident clair', requester },
		);
		expect(l1).toMatchObject({ status: 'allowed', notified: false });
		// Both are in the audit stream, so the dispatcher did see them…
		const stream = JSON.stringify(await coordination.redis.xrange(safeguard.audit.key, '-', '+'));
		expect(stream).toContain('920001');
		expect(stream).toContain('quiet-l1 ticket');

		// …and each channel reads in order: once a later notice is through, the earlier entries were passed over.
		await barrier(920_002);
		expect(hooksFor(920_001)).toEqual([]);
		expect(hooksFor('quiet-l1 ticket')).toEqual([]);
		expect(await mailsFor(920_001)).toEqual([]);
		expect(await mailsFor('quiet-l1 ticket')).toEqual([]);
	});

	it('a webhook answering 500 twice is retried and delivered once; the mail is not sent again', async () => {
		const ticketId = 930_001;
		receiver.respond.fn = (call, nth) => ({ status: call.body.widip.arguments.ticketId === ticketId && nth < 2 ? 500 : 200 });

		const verdict = await safeguard.authorize('glpi.update_status', { ticketId, status: 4 }, { confidence: 90, reason: 'attente client', requester });
		expect(verdict.status).toBe('allowed');

		await until('the webhook to accept the notice', () => hooksFor(ticketId).find((call) => call.status === 200 && call.answeredAt));
		expect(hooksFor(ticketId).map((call) => call.status)).toEqual([500, 500, 200]);
		const auditIds = new Set(hooksFor(ticketId).map((call) => call.body.widip.auditId));
		expect(auditIds.size).toBe(1);
		expect(logger.lines.filter((line) => line.startsWith('warn Notice not sent, will retry') && line.includes([...auditIds][0]))).toHaveLength(2);

		// Later entries through both channels: nothing about this notice can still be on its way.
		await barrier(930_002);
		expect(hooksFor(ticketId)).toHaveLength(3);
		expect(await mailsFor(ticketId)).toHaveLength(1);
		// Acknowledged in both groups: nothing left to retry.
		for (const group of ['notices:mail', 'notices:webhook']) {
			const [count] = (await coordination.redis.xpending(safeguard.audit.key, group)) as [number];
			expect(count).toBe(0);
		}
	});

	it('a secret argument never leaves: not in the mail, the webhook body, the audit stream or the logs', async () => {
		const verdict = await safeguard.authorize(
			'mysecret.create_secret',
			{ payload: SECRET, expireAfterDays: 3, expireAfterViews: 1 },
			{ confidence: 60, reason: 'Envoyer le nouveau mot de passe à secret.test', requester },
		);
		// L1 below the 80 threshold: a technician decides, and is told.
		expect(verdict.status).toBe('approval_required');

		const hook = await until('the webhook call', () => receiver.calls.find((call) => call.body.widip.agentReason.includes('secret.test')));
		expect(hook.body.widip).toMatchObject({ kind: 'approval_request', operationId: 'mysecret.create_secret', level: 1 });
		expect(hook.body.widip.arguments).toEqual({ payload: '[redacted]', expireAfterDays: 3, expireAfterViews: 1 });
		expect(hook.raw).not.toContain(SECRET);

		const mail = await until('the notice mail', async () =>
			(await sink.messages()).find((received) => (received.parsed.text ?? '').includes('secret.test')),
		);
		expect(mail.parsed.text).toContain('"payload":"[redacted]"');
		expect(mail.parsed.text).not.toContain(SECRET);
		expect(mail.parsed.subject).not.toContain(SECRET);
		// Soft line breaks undone, in case the encoder folded the secret across lines.
		expect(mail.raw.replace(/=\r?\n/g, '')).not.toContain(SECRET);
		expect(mail.raw).not.toContain(SECRET);

		expect(JSON.stringify(await coordination.redis.xrange(safeguard.audit.key, '-', '+'))).not.toContain(SECRET);
		expect(logger.lines.join('\n')).not.toContain(SECRET);
	});
});
