/**
 * `npm run sandbox`: the whole product on safe defaults, with nothing real touched. It finds (or
 * starts) a local Redis, starts the GLPI, Observium, Phibee, MySecret and SMTP simulators, runs a
 * Proactif-style alert → diagnosis → ticket → mail chain through the operation catalogue exactly as
 * the nodes do, shows agents taking turns on the GPU lock, then keeps the simulators up for n8n
 * until Ctrl-C. `npm run sandbox -- --once` stops after the demo.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';

import { catalogue } from '../core/catalogue';
import type { ServiceClients } from '../core/catalogue/services';
import { GlpiClient } from '../core/glpi/client';
import { MailClient } from '../core/mail/client';
import { MySecretClient } from '../core/mysecret/client';
import { ObserviumClient } from '../core/observium/client';
import { PhibeeClient } from '../core/phibee/client';
import { Coordination } from '../core/redis/coordination';
import { buildGpuProxy, startGpuProxy } from '../runtime/gpu/proxy';
import { DEFAULT_PORTS, SANDBOX_SECRETS, startSimulators, type SandboxPorts } from './simulators';

const HOST = process.env.WIDIP_REDIS_HOST ?? '127.0.0.1';
const PORT = Number(process.env.WIDIP_REDIS_PORT ?? 6379);
const once = process.argv.includes('--once');

function reachable(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = net.connect(port, HOST, () => {
			socket.destroy();
			resolve(true);
		});
		socket.on('error', () => resolve(false));
	});
}

async function ensureRedis(): Promise<{ port: number; stop?: () => void }> {
	if (await reachable(PORT)) return { port: PORT };
	const port = 16379;
	console.log(`No Redis on ${HOST}:${PORT}; starting a throw-away redis-server on ${port}…`);
	const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
		stdio: 'ignore',
	});
	child.on('error', () => {
		console.error('redis-server is not installed: `apt-get install redis-server`, or set WIDIP_REDIS_HOST/PORT.');
		process.exit(1);
	});
	for (let i = 0; i < 100 && !(await reachable(port)); i++) await new Promise((r) => setTimeout(r, 50));
	return { port, stop: () => child.kill() };
}

function sandboxPorts(): SandboxPorts {
	const base = Number(process.env.WIDIP_SANDBOX_PORT_BASE ?? 0);
	if (!base) return DEFAULT_PORTS;
	return { glpi: base + 1, observium: base + 2, phibee: base + 3, mysecret: base + 4, smtp: base + 5, ollama: base + 6 };
}

/** The GPU proxy's sandbox port: beside the simulators. */
function gpuProxyPort(): number {
	const base = Number(process.env.WIDIP_SANDBOX_PORT_BASE ?? 0);
	return base ? base + 7 : 8906;
}

async function step(label: string, id: string, args: unknown, clients: Partial<ServiceClients>): Promise<Record<string, unknown>> {
	const output = (await catalogue.run(id, args, clients)) as Record<string, unknown>;
	console.log(`  ✓ ${label.padEnd(34)} ${id}`);
	return output;
}

async function main(): Promise<void> {
	const redis = await ensureRedis();
	const sims = await startSimulators(sandboxPorts());
	const clients: Partial<ServiceClients> = {
		// a prefix of its own per run: nothing left by an earlier run can leak into this one
		redis: await Coordination.connect({ host: HOST, port: redis.port, keyPrefix: `widip-sandbox:${process.pid}:` }),
		glpi: new GlpiClient({ url: sims.urls.glpi, userToken: SANDBOX_SECRETS.glpiUserToken, timeZone: 'UTC' }),
		observium: new ObserviumClient({ baseUrl: sims.urls.observium, username: SANDBOX_SECRETS.observiumUsername, password: SANDBOX_SECRETS.observiumPassword }),
		phibee: new PhibeeClient({ baseUrl: sims.urls.phibee, apiKey: SANDBOX_SECRETS.phibeeApiKey }),
		mysecret: new MySecretClient({ baseUrl: sims.urls.mysecret, apiKey: SANDBOX_SECRETS.mySecretApiKey }),
		mail: new MailClient({
			host: '127.0.0.1',
			port: sims.smtp.port,
			user: SANDBOX_SECRETS.smtpUser,
			password: SANDBOX_SECRETS.smtpPassword,
			from: 'Supervision WIDIP <supervision@widip.example.fr>',
			groups: { team: ['astreinte@widip.example.fr'], managers: ['direction@widip.example.fr'], admins: ['admin@widip.example.fr'] },
		}),
	};
	const gpu = buildGpuProxy({
		backends: [{ name: 'gpu0', url: sims.urls.ollama, slots: 1 }],
		keys: [],
		defaultPriority: 'assist',
		scheduler: { queueLimit: 64, maxWaitMs: 120_000, agingMs: 30_000, affinityWindowMs: 2000 },
		keepAlive: '30m',
		leaseMs: 10_000,
		modelRefreshMs: 30_000,
	});
	const gpuUrl = await startGpuProxy(gpu, '127.0.0.1', gpuProxyPort());
	const shutdown = async () => {
		await gpu.close();
		await Promise.all(Object.values(clients).map((client) => (client as { close(): Promise<void> }).close().catch(() => undefined)));
		await sims.stop();
		redis.stop?.();
	};
	try {
		console.log('\nSimulators (credentials for n8n in README → Sandbox):');
		for (const [name, url] of Object.entries(sims.urls)) console.log(`  ${name.padEnd(10)} ${url}`);
		console.log(`  ${'gpu proxy'.padEnd(10)} ${gpuUrl}  (Ollama API: point n8n's Ollama credential here; /metrics, /queue)`);

		console.log('\nProactif, step by step: an Observium alert becomes a diagnosed ticket and a mail');
		const now = Math.floor(Date.now() / 1000);
		const alert = await step('normalise the Observium webhook', 'observium.normalize_alert', {
			payload: {
				ALERT_STATE: 'ALERT',
				ALERT_ID: '9827',
				ALERT_SEVERITY: 'Critical',
				ALERT_UNIXTIME: String(now),
				ALERT_MESSAGE: 'Device down',
				DEVICE_HOSTNAME: 'EHPAD-Bellevue-RTR01',
				DEVICE_ID: '1',
				ENTITY_TYPE: 'device',
				ENTITY_NAME: 'EHPAD-Bellevue-RTR01',
				TITLE: 'ALERT: [EHPAD-Bellevue-RTR01] [device] Device down',
			},
		}, clients);
		const status = await step('device status from Observium', 'observium.device_status', { device: 'EHPAD-Bellevue-RTR01' }, clients);
		const diagnosis = await step('outage diagnosis from Phibee', 'phibee.diagnose_outage', { device: 'EHPAD-Bellevue-RTR01' }, clients);
		const contact = await step('site contact from GLPI', 'glpi.search_client', { searchBy: 'name', value: 'bellevue', limit: 1 }, clients);
		const ticket = await step('ticket in GLPI (idempotent)', 'glpi.create_ticket', {
			title: `EHPAD Bellevue : ${alert.title ?? 'routeur injoignable'}`,
			content: `<p>${diagnosis.diagnosis}</p><p>Recommandation : ${diagnosis.recommendation}</p>`,
			entityId: 1,
			requesterId: (contact.clients as Array<{ id: number }>)[0]?.id,
			urgency: 4,
			impact: 4,
			idempotencyKey: `observium-9827-${now}`,
		}, clients);
		await step('mail to the on-call technician', 'mail.send_template_mail', {
			template: 'ticket_created',
			to: 'astreinte@widip.example.fr',
			variables: { ticketId: ticket.id, site: 'EHPAD Bellevue', title: 'Routeur injoignable', diagnosis: String(diagnosis.diagnosis), device: 'EHPAD-Bellevue-RTR01' },
		}, clients);
		const link = await step('one-time link for a password', 'mysecret.create_secret', { payload: 'Temp-Passw0rd!-demo' }, clients);
		console.log(`\n  device ${status.hostname ?? 'EHPAD-Bellevue-RTR01'}: ${status.status ?? JSON.stringify(status).slice(0, 60)}`);
		console.log(`  Phibee: responsibility ${diagnosis.responsibility}, provider ticket ${diagnosis.providerTicket ?? diagnosis.provider_ticket ?? '—'}`);
		console.log(`  GLPI ticket #${ticket.id}; ${(await sims.smtp.messages()).length} mail(s) in the SMTP sink; secret link ${link.url}`);

		console.log('\nLLM Mutex: five agents share one GPU, served in arrival order:');
		const agents = ['sentinel', 'notifier', 'assist-1', 'assist-2', 'batch'];
		await Promise.all(
			agents.map(async (agent, index) => {
				await new Promise((r) => setTimeout(r, index * 5));
				const grant = await catalogue.run('redis.mutex_acquire', { lockName: 'gpu', ttlSeconds: 30, waitTimeoutSeconds: 10 }, clients) as Record<string, unknown>;
				console.log(`  ${agent.padEnd(9)} holds the GPU (fencing #${grant.fencingToken}, waited ${grant.waitedMs} ms)`);
				await new Promise((r) => setTimeout(r, 40));
				await catalogue.run('redis.mutex_release', { lockName: 'gpu', token: grant.token }, clients);
			}),
		);
		console.log('\nGPU proxy: one queue in front of the GPU — Proactif before Assist before batch, then arrival:');
		const served: string[] = [];
		const ask = async (agent: string, priority: string) => {
			const answer = await fetch(`${gpuUrl}/api/generate`, {
				method: 'POST',
				headers: { 'x-widip-priority': priority },
				body: JSON.stringify({ model: 'qwen2.5:7b', prompt: `${agent}: summarise the alert`, stream: false }),
			});
			const body = (await answer.json()) as { eval_count?: number };
			served.push(agent);
			console.log(`  ${String(served.length)}. ${agent.padEnd(9)} (${priority.padEnd(8)}) waited ${Number(answer.headers.get('x-widip-queue-wait-ms')).toFixed(0).padStart(4)} ms, ${body.eval_count} tokens`);
		};
		const first = ask('rag-batch', 'batch'); // takes the GPU; the rest queue behind it
		await new Promise((r) => setTimeout(r, 10));
		await Promise.all([first, ask('assist-1', 'assist'), ask('sentinel', 'proactif'), ask('assist-2', 'assist'), ask('notifier', 'proactif')]);
		console.log(`  the scripted GPU saw at most ${sims.ollama.maxConcurrency} generation at a time`);
		if (once) {
			console.log('\nSandbox demo done (--once). `npm test` runs every test, including the real-n8n e2e.');
			return;
		}
		console.log('\nSimulators stay up for n8n and the nodes; Ctrl-C stops them.');
		await new Promise<void>((resolve) => {
			process.once('SIGINT', resolve);
			process.once('SIGTERM', resolve);
		});
	} finally {
		const redisClient = clients.redis as Coordination;
		const keys = await redisClient.redis.keys(`${redisClient.config.keyPrefix}*`).catch(() => []);
		if (keys.length) await redisClient.redis.del(...keys);
		await shutdown();
	}
}

main().catch((error) => {
	console.error(`sandbox failed: ${(error as Error).message}`);
	process.exit(1);
});
