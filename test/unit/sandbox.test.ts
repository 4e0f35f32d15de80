import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The sandbox uses base+1 … base+7. */
const SANDBOX_PORTS = 7;

function portIsFree(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const server = createServer();
		server.once('error', () => resolve(false));
		server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
	});
}

/**
 * A base whose ports are free now, below Linux's ephemeral range (32768+): other suites running in
 * parallel listen on port 0 and open client sockets, which the kernel numbers from that range, so a
 * base inside it can be taken between this check and the sandbox's own listen (CI saw EADDRINUSE).
 */
async function freePortBase(): Promise<number> {
	for (let attempt = 0; attempt < 50; attempt++) {
		const base = 20_000 + Math.floor(Math.random() * 12_000);
		const ports = Array.from({ length: SANDBOX_PORTS }, (_, i) => base + 1 + i);
		if ((await Promise.all(ports.map(portIsFree))).every(Boolean)) return base;
	}
	throw new Error('no free block of sandbox ports between 20000 and 32000');
}

/** README's first command must keep working: the sandbox demo runs end to end and exits. */
describe('npm run sandbox -- --once', () => {
	it('starts every simulator, runs the alert → ticket → mail chain and the GPU lock demo', async () => {
		const base = await freePortBase();
		const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../sandbox/index.ts'), '--once'], {
			env: { ...process.env, WIDIP_SANDBOX_PORT_BASE: String(base) },
			timeout: 60_000,
		});
		for (const id of ['observium.normalize_alert', 'observium.device_status', 'phibee.diagnose_outage', 'glpi.search_client', 'glpi.create_ticket', 'mail.send_template_mail', 'mysecret.create_secret']) {
			expect(stdout).toMatch(new RegExp(`✓ .* ${id.replace('.', '\\.')}`));
		}
		expect(stdout).toMatch(/1 mail\(s\) in the SMTP sink/);
		expect(stdout).toMatch(/batch +holds the GPU \(fencing #5/);
		// The GPU proxy serves by class, then arrival, one generation at a time.
		const order = [...stdout.matchAll(/^ {2}\d\. (\S+)/gm)].map((match) => match[1]);
		expect(order).toEqual(['rag-batch', 'sentinel', 'notifier', 'assist-1', 'assist-2']);
		expect(stdout).toContain('the scripted GPU saw at most 1 generation at a time');
		expect(stdout).toContain('Sandbox demo done');
		expect(stdout).not.toContain('Temp-Passw0rd!-demo');
	}, 90_000);
});
