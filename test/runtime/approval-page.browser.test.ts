import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';

import { catalogue } from '../../core/catalogue';
import type { Coordination } from '../../core/redis/coordination';
import { Approvals, type ApprovalRequest, type Requester } from '../../core/safeguard/approvals';
import { loadConfig } from '../../runtime/config';
import { buildServer } from '../../runtime/server';
import { connectTest, dropPrefix } from '../support/redis';

// A real Chromium start plus page loads: far more than jest's 5 s default.
jest.setTimeout(60_000);

const TECH = 'tech-key-aaaaaaaaaaaaaaaaaaaaaaaa';
const AGENT = 'agent-key-bbbbbbbbbbbbbbbbbbbbbbbb';
const SECRET = 'Sup3r-S3cret-P@ssw0rd-42!';
// The machine has no network: keep Chromium from trying to reach Google services.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Polls until check() passes (the UI and Redis change asynchronously after a click); rethrows its last failure. */
async function until(check: () => Promise<void> | void, timeoutMs = 10_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const failure = await Promise.resolve()
			.then(check)
			.then(
				() => undefined,
				(error: unknown) => ({ error }),
			);
		if (!failure) return;
		if (Date.now() > deadline) throw failure.error;
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}

/** Screenshots a person can look at after a run (not committed). */
const SCREENSHOTS = path.join(__dirname, '..', '..', 'test-results', 'screenshots');

describe('approval page in a real browser (Chromium + real Redis)', () => {
	let coordination: Coordination;
	let app: FastifyInstance;
	let approvals: Approvals;
	let context: BrowserContext;
	let userDataDir: string;
	let baseUrl: string;
	const pageErrors: string[] = [];

	const reset = catalogue.get('ad.reset_password');
	const requester: Requester = { face: 'mcp', agent: 'assist', workflow: 'Assist', execution: '4812' };

	async function pending(reason: string): Promise<ApprovalRequest> {
		return await approvals.request({ operation: reset, args: { sAMAccountName: 'm.dubois', mustChangeAtNextLogon: true }, requester, reason, confidence: 92 });
	}

	/** A new tab has an empty sessionStorage, so each test logs in from scratch. */
	async function openAndLogin(key: string): Promise<Page> {
		const page = await context.newPage();
		page.on('pageerror', (error) => pageErrors.push(error.message));
		await page.goto(`${baseUrl}/approvals`);
		await page.locator('#login').waitFor({ state: 'visible' });
		await page.fill('#key', key);
		await page.click('#loginForm button[type=submit]');
		return page;
	}

	/** The card of one request: the list is shared by every test, so find it by its unique reason. */
	async function cardFor(page: Page, reason: string): Promise<Locator> {
		const card = page.locator('.card', { hasText: reason });
		await card.waitFor({ state: 'visible' });
		return card;
	}

	beforeAll(async () => {
		coordination = await connectTest('approval-page');
		const config = loadConfig({
			WIDIP_ENV: 'production',
			WIDIP_TECHNICIAN_KEYS: `tech.martin:${TECH}`,
			WIDIP_AGENT_KEYS: `assist:${AGENT}`,
			WIDIP_SAFEGUARD_SECRET: 'browser-test-safeguard-key-0123456789abcdef',
		});
		approvals = new Approvals(coordination.redis, coordination.config.keyPrefix);
		app = buildServer(config, { coordination });
		await app.listen({ host: '127.0.0.1', port: 0 });
		baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
		await mkdir(SCREENSHOTS, { recursive: true });
		userDataDir = await mkdtemp(path.join(tmpdir(), 'widip-chromium-'));
		context = await chromium.launchPersistentContext(userDataDir, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
		// Fail a missing element within the test's budget rather than after Playwright's 30 s default.
		context.setDefaultTimeout(10_000);
	});
	afterAll(async () => {
		await context?.close();
		if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
		await app?.close();
		if (coordination) {
			await dropPrefix(coordination);
			await coordination.close();
		}
	});
	// A script error (or a CSP hash that no longer matches the script) would leave the page dead.
	afterEach(() => expect(pageErrors).toEqual([]));

	it('a technician logs in, sees the request with its arguments, and approves it', async () => {
		const request = await pending('Mot de passe oublié — appel 1');
		const page = await openAndLogin(TECH);
		const card = await cardFor(page, 'Mot de passe oublié — appel 1');
		const text = await card.innerText();
		expect(text).toContain('ad.reset_password');
		expect(text).toContain('"sAMAccountName": "m.dubois"');
		expect(text).toContain('"mustChangeAtNextLogon": true');
		expect(text).toContain('assist / Assist / #4812');
		expect(text).toContain('92 %');
		// The key is kept for the tab only, and the input is emptied.
		expect(await page.evaluate(() => sessionStorage.getItem('widip.technicianKey'))).toBe(TECH);
		expect(await page.inputValue('#key')).toBe('');

		await card.getByRole('button', { name: 'Approuver' }).click();
		await until(async () => expect(await approvals.get(request.id)).toMatchObject({ status: 'approved', approver: 'tech.martin' }));
		await until(async () => expect(await page.textContent('#status')).toBe('Approuvée.'));
		// The list reloads: a decided request is no longer pending.
		await page.locator('.card', { hasText: 'Mot de passe oublié — appel 1' }).waitFor({ state: 'detached' });
		await page.close();
	});

	it('refuses to reject without a comment, then rejects with one', async () => {
		const request = await pending('Demande douteuse — appel 2');
		const page = await openAndLogin(TECH);
		const card = await cardFor(page, 'Demande douteuse — appel 2');

		await card.getByRole('button', { name: 'Refuser' }).click();
		await until(async () => expect(await page.textContent('#status')).toBe('Un refus demande un commentaire.'));
		expect(await page.getAttribute('#status', 'class')).toBe('error');
		expect((await approvals.get(request.id))!.status).toBe('pending');

		await card.locator('textarea').fill('pas de ticket associé');
		await card.getByRole('button', { name: 'Refuser' }).click();
		await until(async () =>
			expect(await approvals.get(request.id)).toMatchObject({ status: 'rejected', approver: 'tech.martin', comment: 'pas de ticket associé' }),
		);
		await until(async () => expect(await page.textContent('#status')).toBe('Refusée.'));
		await page.close();
	});

	it('shows a hostile reason as text, never as HTML', async () => {
		const hostile = '<img src=x onerror="window.__pwned=1"> appel 3';
		await pending(hostile);
		const page = await openAndLogin(TECH);
		const card = await cardFor(page, 'appel 3');
		expect(await card.innerText()).toContain(hostile);
		// The CSP would block the inline onerror even if parsed as HTML, so also check no <img> exists at all.
		expect(await card.locator('img').count()).toBe(0);
		expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
		await page.close();
	});

	it('refuses an agent key at the login: back to the login form, nothing decided', async () => {
		const request = await pending('Auto-approbation — appel 4');
		const page = await openAndLogin(AGENT);
		await until(async () => expect(await page.textContent('#status')).toMatch(/agent keys cannot/));
		expect(await page.getAttribute('#status', 'class')).toBe('error');
		await page.locator('#login').waitFor({ state: 'visible' });
		expect(await page.locator('#main').isHidden()).toBe(true);
		expect(await page.locator('.card').count()).toBe(0);
		// The refused key is not kept in the tab, so the next load asks for a key again.
		expect(await page.evaluate(() => sessionStorage.getItem('widip.technicianKey'))).toBeNull();
		expect((await approvals.get(request.id))!).toMatchObject({ status: 'pending', approver: null });
		await page.close();
	});

	it('flags an account name with a look-alike letter before the technician approves', async () => {
		await approvals.request({
			operation: reset,
			args: { sAMAccountName: 'аdministrator', mustChangeAtNextLogon: true }, // Cyrillic "а"
			requester,
			reason: 'Look-alike test',
			confidence: 92,
		});
		const page = await openAndLogin(TECH);
		const card = await cardFor(page, 'Look-alike test');
		const warning = card.locator('.warn');
		await warning.waitFor({ state: 'visible' });
		expect(await warning.innerText()).toMatch(/mixes alphabets in "аdministrator".*U\+0430/);
		await page.screenshot({ path: path.join(SCREENSHOTS, 'approval-page-lookalike.png'), fullPage: true });
		await page.close();
	});

	it('never puts a secret argument on the page ([redacted] instead)', async () => {
		await approvals.request({
			operation: catalogue.get('mysecret.create_secret'),
			args: { payload: SECRET, expireAfterDays: 1, expireAfterViews: 1 },
			requester,
			reason: 'Envoyer le nouveau mot de passe — appel 5',
			confidence: 80,
		});
		const page = await openAndLogin(TECH);
		const card = await cardFor(page, 'appel 5');
		expect(await page.content()).not.toContain(SECRET);
		expect(await card.innerText()).toContain('"payload": "[redacted]"');
		await page.close();
	});
});
