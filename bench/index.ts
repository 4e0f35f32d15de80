/** `npm run bench`: every benchmark prints its own baseline, measured in the same run. */
import { benchActiveDirectory } from './ad';
import { benchGpuProxy } from './gpu-proxy';
import { benchIncidentStorm } from './incident-storm';
import { benchLockHandoff } from './lock-handoff';
import { benchLockRecovery } from './lock-recovery';
import { benchMcp } from './mcp';
import { benchProactif } from './proactif';

async function main(): Promise<void> {
	console.log(`widip bench — node ${process.version}, ${new Date().toISOString()}`);
	await benchLockHandoff();
	await benchLockRecovery();
	await benchActiveDirectory();
	await benchGpuProxy();
	await benchMcp();
	await benchIncidentStorm();
	// Last: it starts a real n8n (installed once into ~/.cache/widip-n8n, like the e2e suite).
	await benchProactif();
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
