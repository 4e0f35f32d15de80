import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** README's first command must keep working: the sandbox demo runs end to end and exits. */
describe('npm run sandbox -- --once', () => {
	it('starts every simulator, runs the alert → ticket → mail chain and the GPU lock demo', async () => {
		const base = 20_000 + Math.floor(Math.random() * 30_000);
		const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../runtime/sandbox.ts'), '--once'], {
			env: { ...process.env, WIDIP_SANDBOX_PORT_BASE: String(base) },
			timeout: 60_000,
		});
		for (const id of ['observium.normalize_alert', 'observium.device_status', 'phibee.diagnose_outage', 'glpi.search_client', 'glpi.create_ticket', 'mail.send_template_mail', 'mysecret.create_secret']) {
			expect(stdout).toMatch(new RegExp(`✓ .* ${id.replace('.', '\\.')}`));
		}
		expect(stdout).toMatch(/1 mail\(s\) in the SMTP sink/);
		expect(stdout).toMatch(/batch +holds the GPU \(fencing #5/);
		expect(stdout).toContain('Sandbox demo done');
		expect(stdout).not.toContain('Temp-Passw0rd!-demo');
	}, 90_000);
});
