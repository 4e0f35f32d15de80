/**
 * Starts every service simulator at once: the sandbox's one command, and a helper for tests that
 * need the whole world. Each listens on 127.0.0.1; port 0 picks a free one.
 */
import { createGlpiSimulator, type GlpiSimulator } from './glpi/server';
import { createMySecretSimulator, DEFAULT_MYSECRET_API_KEY, type MySecretSimulator } from './mysecret';
import { createObserviumSimulator, DEFAULT_OBSERVIUM_PASSWORD, DEFAULT_OBSERVIUM_USERNAME, type ObserviumSimulator } from './observium';
import { createPhibeeSimulator, DEFAULT_PHIBEE_API_KEY, type PhibeeSimulator } from './phibee';
import { createFakeOllama, type FakeOllama } from './ollama';
import { SINK_USER, SmtpSink } from './smtp-sink';

export const SANDBOX_SECRETS = {
	glpiUserToken: 'widip-sim-user-token',
	observiumUsername: DEFAULT_OBSERVIUM_USERNAME,
	observiumPassword: DEFAULT_OBSERVIUM_PASSWORD,
	phibeeApiKey: DEFAULT_PHIBEE_API_KEY,
	mySecretApiKey: DEFAULT_MYSECRET_API_KEY,
	smtpUser: SINK_USER,
	smtpPassword: 'widip-sandbox-smtp',
};

export interface SandboxPorts {
	glpi: number;
	observium: number;
	phibee: number;
	mysecret: number;
	smtp: number;
	/** The scripted Ollama (its real port, 11434, is left to a real one). */
	ollama: number;
}

export const DEFAULT_PORTS: SandboxPorts = { glpi: 8901, observium: 8902, phibee: 8903, mysecret: 8904, smtp: 2525, ollama: 8905 };

export interface RunningSimulators {
	glpi: GlpiSimulator;
	observium: ObserviumSimulator;
	phibee: PhibeeSimulator;
	mysecret: MySecretSimulator;
	smtp: SmtpSink;
	ollama: FakeOllama;
	urls: { glpi: string; observium: string; phibee: string; mysecret: string; smtp: string; ollama: string };
	stop(): Promise<void>;
}

export async function startSimulators(ports: SandboxPorts = DEFAULT_PORTS): Promise<RunningSimulators> {
	const glpi = createGlpiSimulator();
	const observium = createObserviumSimulator();
	const phibee = createPhibeeSimulator();
	const mysecret = createMySecretSimulator();
	// A GPU-like pace: a short prompt evaluation, then tokens as a 7B model on one GPU gives them.
	const ollama = createFakeOllama({ latencyMs: 40, tokensPerSecond: 60, tokens: 12 });
	const started: Array<{ stop(): Promise<void> }> = [];
	const stop = async () => {
		await Promise.all(started.map((server) => server.stop().catch(() => undefined)));
	};
	try {
		const glpiUrl = await glpi.start(ports.glpi);
		started.push(glpi);
		const observiumUrl = await observium.start(ports.observium);
		started.push(observium);
		const phibeeUrl = await phibee.start(ports.phibee);
		started.push(phibee);
		const mysecretUrl = await mysecret.start(ports.mysecret);
		started.push(mysecret);
		const smtp = await SmtpSink.start(SANDBOX_SECRETS.smtpPassword, ports.smtp);
		started.push(smtp);
		const ollamaUrl = await ollama.start(ports.ollama);
		started.push(ollama);
		return {
			glpi,
			observium,
			phibee,
			mysecret,
			smtp,
			ollama,
			urls: {
				glpi: `${glpiUrl}/apirest.php`,
				observium: `${observiumUrl}/api/v0`,
				phibee: phibeeUrl,
				mysecret: mysecretUrl,
				smtp: `smtp://127.0.0.1:${smtp.port}`,
				ollama: ollamaUrl,
			},
			stop,
		};
	} catch (error) {
		await stop();
		throw new Error(`could not start the simulators (${(error as Error).message}); is a port in use? Set WIDIP_SANDBOX_PORT_BASE`);
	}
}
