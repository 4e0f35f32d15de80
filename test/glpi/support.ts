import { catalogue } from '../../core/catalogue';
import { GlpiClient } from '../../core/glpi/client';
import type { GlpiConfigInput } from '../../core/glpi/config';
import { createGlpiSimulator, type GlpiSimulator } from '../../sandbox/simulators/glpi/server';
import { captureLogger } from '../support/capture-logger';

export const USER_TOKEN = 'widip-sim-user-token';
export const APP_TOKEN = 'app-token-for-tests-0123';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface GlpiHarness {
	sim: GlpiSimulator;
	url: string;
	client(extra?: Partial<GlpiConfigInput>): GlpiClient;
	run(id: string, args: unknown, glpi?: GlpiClient): Promise<Record<string, any>>;
}

/**
 * A fresh GLPI simulator per test and clients against it, closed after each test; at the end,
 * no token may appear in a log line, an output or an error message.
 */
export function glpiHarness(): GlpiHarness {
	const logger = captureLogger();
	const seen: unknown[] = [];
	const clients: GlpiClient[] = [];
	const harness: GlpiHarness = {
		sim: undefined as unknown as GlpiSimulator,
		url: '',
		client(extra: Partial<GlpiConfigInput> = {}): GlpiClient {
			const glpi = new GlpiClient({ url: harness.url, userToken: USER_TOKEN, appToken: APP_TOKEN, timeZone: 'UTC', timeoutMs: 3000, ...extra }, logger);
			clients.push(glpi);
			return glpi;
		},
		run(id: string, args: unknown, glpi = harness.client()): Promise<Record<string, any>> {
			const output = catalogue.run(id, args, { glpi }) as Promise<Record<string, any>>;
			// outputs and error messages both go through the secrets check
			output.then(
				(value) => seen.push(value),
				(error: Error) => seen.push(error.message),
			);
			return output;
		},
	};
	beforeEach(async () => {
		harness.sim = createGlpiSimulator({ appToken: APP_TOKEN });
		harness.url = `${await harness.sim.start()}/apirest.php`;
	});
	afterEach(async () => {
		await Promise.all(clients.splice(0).map((glpi) => glpi.close()));
		await harness.sim.stop();
	});
	afterAll(() => {
		const everything = [...logger.lines, JSON.stringify(seen)].join('\n');
		expect(everything).not.toContain(USER_TOKEN);
		expect(everything).not.toContain(APP_TOKEN);
	});
	return harness;
}
