/**
 * Active Directory over LDAPS against the shared Samba AD DC (started or reused): latency of
 * ad.check_user and of ad.reset_password with a MySecret link (simulator in this process), on one
 * open connection as a node run uses it, and for check_user also with a new connection per call
 * (TLS + bind), the cost a single-item n8n run pays.
 */
import { createAdClient } from '../core/ad/factory';
import { catalogue } from '../core/catalogue';
import { MySecretClient } from '../core/mysecret/client';
import { createMySecretSimulator } from '../sandbox/simulators/mysecret';
import { adminClient, createOu, ldapsConfig, makeUser, removeTree } from '../test/ad/support';
import { ensureDc, leaseHolder, releaseDc } from '../test/support/samba-dc';
import { nowMs, summary } from './stats';

const RUNS = Number(process.env.WIDIP_BENCH_AD_RUNS ?? 30);
const WARMUP = 3;
const API_KEY = 'mysecret-bench-key';

async function timed(runs: number, call: () => Promise<unknown>): Promise<number[]> {
	const samples: number[] = [];
	for (let i = 0; i < runs + WARMUP; i++) {
		const started = nowMs();
		await call();
		if (i >= WARMUP) samples.push(nowMs() - started);
	}
	return samples;
}

export async function benchActiveDirectory(): Promise<void> {
	const startedAt = nowMs();
	const dc = await ensureDc();
	const dcReadyMs = nowMs() - startedAt;
	const admin = await adminClient(dc);
	const ou = await createOu(admin, dc.baseDn);
	const simulator = createMySecretSimulator({ apiKey: API_KEY });
	await simulator.start();
	const mysecret = new MySecretClient({ baseUrl: simulator.url, apiKey: API_KEY, timeoutMs: 5000 });
	const ad = createAdClient(ldapsConfig(dc), { mysecret });
	try {
		const user = await makeUser(admin, dc, ou);
		const check = await timed(RUNS, async () => {
			const result = (await catalogue.run('ad.check_user', { sAMAccountName: user.sam }, { ad })) as { exists: boolean };
			if (!result.exists) throw new Error('bench account not found');
		});
		const checkFresh = await timed(RUNS, async () => {
			const fresh = createAdClient(ldapsConfig(dc), { mysecret });
			try {
				await catalogue.run('ad.check_user', { sAMAccountName: user.sam }, { ad: fresh });
			} finally {
				await fresh.close();
			}
		});
		const reset = await timed(RUNS, async () => {
			const result = (await catalogue.run('ad.reset_password', { sAMAccountName: user.sam, mustChangeAtNextLogon: false }, { ad })) as {
				password: { delivery: string };
			};
			if (result.password.delivery !== 'link') throw new Error('expected a link');
		});

		console.log(`\nActive Directory over LDAPS (Samba AD DC on loopback, ready in ${dcReadyMs.toFixed(0)} ms; ${RUNS} runs after ${WARMUP} warm-up)`);
		console.log(`  ad.check_user, open connection            ${summary(check)}`);
		console.log(`  ad.check_user, new TLS connection + bind  ${summary(checkFresh)}`);
		console.log(`  ad.reset_password + MySecret link         ${summary(reset)}`);
	} finally {
		await ad.close();
		await removeTree(admin, ou);
		await admin.unbind();
		await simulator.stop();
		// stops the DC unless another run (a jest run) still holds it
		await releaseDc(leaseHolder());
	}
}
