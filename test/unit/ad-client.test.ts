import { AdClient } from '../../core/ad/client';
import { generatePassword, meetsComplexity } from '../../core/ad/password';
import { assertSam, OU_DN_PATTERN } from '../../core/ad/sam';
import type { AdBackend, AdUserInfo, AdUserStatus, NewAdUser } from '../../core/ad/types';
import { catalogue } from '../../core/catalogue';
import { MySecretClient } from '../../core/mysecret/client';
import { ActiveDirectory } from '../../nodes/ActiveDirectory/ActiveDirectory.node';
import { createMySecretSimulator, DEFAULT_MYSECRET_API_KEY, type MySecretSimulator } from '../../sandbox/simulators/mysecret';
import { fakeExecuteContext } from '../support/n8n-context';

/** Records what reached "AD", so the tests see what the client lets through and in which order. */
class RecordingBackend implements AdBackend {
	readonly kind = 'ldaps' as const;
	calls: string[] = [];
	passwords: string[] = [];
	failReset = false;
	async verify() {}
	async checkUser(sam: string): Promise<AdUserStatus | null> {
		this.calls.push(`check ${sam}`);
		return null;
	}
	async getUserInfo(): Promise<AdUserInfo> {
		throw new Error('unused');
	}
	async resetPassword(sam: string, password: string) {
		this.calls.push(`reset ${sam}`);
		if (this.failReset) throw new Error('constraint violation');
		this.passwords.push(password);
	}
	async unlock() {}
	async setEnabled() {}
	async moveToOu() {
		return '';
	}
	async createUser(user: NewAdUser) {
		this.calls.push(`create ${user.sAMAccountName}`);
		return `CN=${user.sAMAccountName},${user.ouDn}`;
	}
	async deleteUser() {}
	async close() {}
}

describe('Active Directory client rules', () => {
	let sim: MySecretSimulator;
	let mysecret: MySecretClient;

	beforeAll(async () => {
		sim = createMySecretSimulator();
		mysecret = new MySecretClient({ baseUrl: await sim.start(), apiKey: DEFAULT_MYSECRET_API_KEY });
	});
	afterAll(async () => sim.stop());

	it('generates crypto-random passwords that meet AD complexity at every allowed length', () => {
		const seen = new Set<string>();
		for (let i = 0; i < 500; i++) {
			const password = generatePassword(12 + (i % 20));
			expect(password).toHaveLength(12 + (i % 20));
			expect([/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].every((pattern) => pattern.test(password))).toBe(true);
			expect(meetsComplexity(password)).toBe(true);
			seen.add(password);
		}
		expect(seen.size).toBe(500);
		expect(() => generatePassword(8)).toThrow(/12–128/);
	});

	it.each(['*', '*)(objectClass=*', 'admin)(|(a=*', 'a\u0000b', "o'brien", 'a;b', '$(whoami)', '`id`', 'a\nb', 'é', 'x'.repeat(21), 'trailing.', ''])(
		'refuses the account name %j before any backend call',
		async (name) => {
			const backend = new RecordingBackend();
			await expect(new AdClient(backend).checkUser(name)).rejects.toMatchObject({ kind: 'bad_request', message: expect.stringMatching(/invalid account name/) });
			expect(backend.calls).toEqual([]);
			expect(() => assertSam(name, 'ad.check_user')).toThrow();
		},
	);

	it('accepts WIDIP-style names and plain OU DNs', () => {
		for (const name of ['m.dubois', 'MARTIN_J', 'tech-01', 'a']) expect(assertSam(name, 'x')).toBe(name);
		expect(OU_DN_PATTERN.test('OU=Soignants,OU=EHPAD Bellevue,DC=widip,DC=test')).toBe(true);
		expect(OU_DN_PATTERN.test('OU=a\u0000b,DC=widip,DC=test')).toBe(false);
		expect(OU_DN_PATTERN.test('OU=x\\,OU=y,DC=widip,DC=test')).toBe(false);
	});

	it('reset with a link: the link holds the password that was set, the output holds only the link', async () => {
		const backend = new RecordingBackend();
		const output = await catalogue.run('ad.reset_password', { sAMAccountName: 'm.dubois' }, { ad: new AdClient(backend, mysecret) });
		const password = backend.passwords[0];
		expect(JSON.stringify(output)).not.toContain(password);
		expect(output).toMatchObject({ sAMAccountName: 'm.dubois', mustChangeAtNextLogon: true, password: { delivery: 'link', url: expect.stringMatching(/^http/) } });
		const revealed = await fetch((output as { password: { url: string } }).password.url).then((response) => response.text());
		expect(revealed).toContain(password);
	});

	it('a reset that AD refuses returns no link; without MySecret nothing is reset', async () => {
		const backend = new RecordingBackend();
		backend.failReset = true;
		await expect(catalogue.run('ad.reset_password', { sAMAccountName: 'm.dubois' }, { ad: new AdClient(backend, mysecret) })).rejects.toThrow('constraint violation');
		const bare = new RecordingBackend();
		await expect(catalogue.run('ad.reset_password', { sAMAccountName: 'm.dubois' }, { ad: new AdClient(bare) })).rejects.toThrow(/needs a MySecret credential/);
		expect(bare.calls).toEqual([]);
	});

	it('returns the raw password only when the workflow asks for it', async () => {
		const backend = new RecordingBackend();
		const output = (await catalogue.run('ad.reset_password', { sAMAccountName: 'm.dubois', delivery: 'return', length: 20 }, { ad: new AdClient(backend) })) as {
			password: { delivery: string; password: string };
		};
		expect(output.password).toEqual({ delivery: 'return', password: backend.passwords[0] });
		expect(output.password.password).toHaveLength(20);
	});

	it('levels follow the seed: reads L0, unlock and move L2, reset / disable / enable L3, create / delete L4', () => {
		const levels = Object.fromEntries(catalogue.list({ service: 'ad' }).map((operation) => [operation.id, operation.level]));
		expect(levels).toEqual({
			'ad.check_user': 0,
			'ad.get_user_info': 0,
			'ad.unlock_account': 2,
			'ad.move_to_ou': 2,
			'ad.reset_password': 3,
			'ad.disable_account': 3,
			'ad.enable_account': 3,
			'ad.create_user': 4,
			'ad.delete_user': 4,
		});
	});

	it('as an AI tool, the node refuses L4 operations before touching AD', async () => {
		const node = new ActiveDirectory();
		const context = fakeExecuteContext({
			type: 'n8n-nodes-widip.activeDirectoryTool',
			params: [{ resource: 'user', operation: 'ad.delete_user', sAMAccountName: 'm.dubois' }],
			credentials: { backend: 'ldaps', url: 'ldaps://127.0.0.1:1', bindDn: 'x', bindPassword: 'y', baseDn: 'DC=widip,DC=test', timeoutMs: 500 },
		});
		// The agent reads the refusal on output 0; the unreachable DC (port 1) is never contacted.
		const [items] = await node.execute.call(context);
		expect(items[0].json).toEqual({
			status: 'forbidden',
			message: 'Safeguard: ad.delete_user is forbidden to AI agents (L4): a person must do it. Nothing was done.',
		});
	});
});
