/**
 * Proactif platform time: an Observium alert posted to the deployed Proactif v9 in a real n8n 2.41.1
 * until its GLPI ticket exists and the on-call mail is in the mailbox — the whole flow (trigger,
 * intake, breaker, n8n's AI Agent through the GPU proxy with three MCP tool calls, ticket, link, mail)
 * with the scripted Ollama answering at once, so what is measured is the platform, not a model.
 * Baseline, same run: the irreducible work done directly by our clients (create the ticket, send
 * the template mail), no n8n, no agent. The seed measured ~33 s end to end with its LLM.
 */
import path from 'node:path';

import { catalogue } from '../core/catalogue';
import { GlpiClient } from '../core/glpi/client';
import { MailClient } from '../core/mail/client';
import { SANDBOX_SECRETS } from '../sandbox/simulators';
import { SINK_USER } from '../sandbox/simulators/smtp-sink';
import { ADDRESSES, FlowWorld, SCENARIOS, WORKFLOWS } from '../test/e2e/flows/world';
import { ALERT } from '../test/observium/alert-fixture';
import { percentile, sleep } from './stats';

const ALERTS = 24;
const SEED_SECONDS = 33;

export async function benchProactif(): Promise<void> {
	const world = await FlowWorld.start({ name: 'benchproactif', scenario: path.join(SCENARIOS, 'proactif.json') });
	try {
		const deployed = await world.deploy(['proactif.json', 'proactif-ticket.json'].map((file) => path.join(WORKFLOWS, file)));
		if (deployed.code !== 0) throw new Error(`widip deploy failed:\n${deployed.stdout}${deployed.stderr}`);
		await world.webhookReady('widip-proactif-observium');
		const devices = [...world.sims.observium.devices.values()].map((device) => ({ host: String(device.hostname), location: String(device.location) }));
		const authorization = `Basic ${Buffer.from(`observium:${world.webhookSecret}`).toString('base64')}`;
		const mailboxSize = async () => (await world.sims.smtp.messages()).filter((mail) => mail.recipients.includes(ADDRESSES.oncall)).length;

		const platform: number[] = [];
		let failures = 0;
		for (let i = 0; i < ALERTS + 1; i++) {
			const { host, location } = devices[i % devices.length];
			// Each alert a new incident: the engine's memory of the previous round is cleared (a bench
			// of the platform's time per incident, not of deduplication).
			const keys = await world.probe.redis.keys(`${world.prefix}incident:*`);
			if (keys.length > 0) await world.probe.redis.del(...keys);
			const tickets = world.sims.glpi.state.tickets.size;
			const mails = await mailboxSize();
			const body = { ...ALERT, ALERT_ID: String(7000 + i), ALERT_UNIXTIME: Math.floor(Date.now() / 1000), ALERT_TIMESTAMP: undefined, DEVICE_HOSTNAME: host, ENTITY_NAME: host, DEVICE_LOCATION: location, TITLE: `ALERT: [${host}] [device] up/down` };
			const started = performance.now();
			const answer = await fetch(`${world.harness.baseUrl}/webhook/widip-proactif-observium`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify(body) });
			await answer.arrayBuffer();
			let done = false;
			while (performance.now() - started < 30_000) {
				if (world.sims.glpi.state.tickets.size > tickets && (await mailboxSize()) > mails) {
					done = true;
					break;
				}
				await sleep(5);
			}
			const took = performance.now() - started;
			// The first alert warms n8n (sub-workflow load, MCP session): not counted.
			if (i === 0) continue;
			if (done) platform.push(took);
			else failures++;
		}

		const glpi = new GlpiClient({ url: world.sims.urls.glpi, userToken: SANDBOX_SECRETS.glpiUserToken, timeZone: 'UTC', timeoutMs: 5000 });
		const mail = new MailClient({ host: '127.0.0.1', port: world.sims.smtp.port, user: SINK_USER, password: SANDBOX_SECRETS.smtpPassword, from: ADDRESSES.from, timeoutMs: 5000 });
		const floor: number[] = [];
		for (let i = 0; i < ALERTS; i++) {
			const started = performance.now();
			const ticket = (await catalogue.run('glpi.create_ticket', { title: `Bench ${i}`, content: 'Incident WIDIP bench', idempotencyKey: `bench-floor-${i}` }, { glpi })) as { id: number };
			await catalogue.run('mail.send_template_mail', { template: 'ticket_created', to: ADDRESSES.oncall, variables: { ticketId: ticket.id, site: 'Bench', title: 'Bench', diagnosis: 'Bench' } }, { mail });
			floor.push(performance.now() - started);
		}
		await glpi.close();

		const p50 = percentile(platform, 50);
		const f50 = percentile(floor, 50);
		console.log(`\nProactif v9 platform time: Observium webhook → GLPI ticket + on-call mail, real n8n 2.41.1, scripted Ollama answering at once`);
		console.log(`  platform         p50 ${p50.toFixed(0)} ms   p90 ${percentile(platform, 90).toFixed(0)} ms   max ${Math.max(...platform).toFixed(0)} ms   (n=${platform.length}, not finished in 30 s: ${failures})`);
		console.log(`  baseline         p50 ${f50.toFixed(1)} ms   ticket + mail by our clients directly, no n8n → platform ${(p50 / f50).toFixed(1)}× the floor`);
		console.log(`  seed             ~${SEED_SECONDS} s end to end with its LLM → platform ${((SEED_SECONDS * 1000) / p50).toFixed(0)}× faster; goal < 1 s ${p50 < 1000 ? '✓' : '✗'}`);
	} finally {
		await world.close();
	}
}

if (require.main === module) {
	benchProactif().catch((error) => {
		console.error(error);
		process.exit(1);
	});
}
