// Jest globalTeardown: the Samba AD DC started by the AD tests (test/support/samba-dc.ts) is shared
// by every worker of this run, which hold it under this jest process's pid. Release that hold; the
// script stops the DC when no other live holder is left (another jest run or a bench still using it).
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

module.exports = async () => {
	const dir = process.env.WIDIP_SAMBA_DC_DIR ?? path.join(os.tmpdir(), 'widip-samba-dc');
	if (!existsSync(path.join(dir, '.provisioned'))) return; // no DC was ever made here
	try {
		execFileSync('bash', [path.join(__dirname, '../../scripts/samba-dc.sh'), 'release', dir, String(process.pid)], {
			stdio: ['ignore', 'ignore', 'pipe'],
			timeout: 60_000,
		});
	} catch (error) {
		console.warn(`samba-dc teardown: ${String(error.stderr || error.message).trim()}`);
	}
};
