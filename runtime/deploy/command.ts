import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import type { CommandIo } from '../command-io';
import { deploy, rollback, type DeployReport, type RollbackReport } from './deploy';
import { DeployError } from './n8n-api';

export const DEPLOY_USAGE = `usage: widip deploy [files or folders…] [--dry-run | --rollback] [--json] [--url <n8n URL>]
                    [--state-dir <dir>] [--n8n <n8n install dir>]

Puts workflow JSON into a running n8n through its public API, idempotently:
  - workflows are matched by name: created when missing, updated in place (same id) when they
    differ, left alone when unchanged; then published (files saying "active": false are not);
  - credentials are matched by name and type, sub-workflows (Execute Workflow nodes naming a
    workflow) by name; anything missing stops the deploy before any write;
  - \`widip validate\` runs first; its errors block the deploy;
  - \${WIDIP_FLOW_NAME} and \${WIDIP_FLOW_NAME:-default} in workflow strings are filled in from
    this command's environment (only WIDIP_FLOW_* names); one left unset stops the deploy.
  --dry-run      print what would change, per workflow; write nothing
  --rollback     undo the last deploy that changed something (restore, unpublish or archive)
  --json         one JSON report on stdout
  --url          n8n's base URL (or WIDIP_N8N_URL), e.g. http://n8n:5678
  --state-dir    where deploys are recorded for --rollback (default .widip/deploy)
  --n8n          an n8n install whose node packages validate checks against (or WIDIP_N8N_DIR)
The API key comes from WIDIP_N8N_API_KEY or the file named by WIDIP_N8N_API_KEY_FILE (n8n:
Settings → n8n API), never from the command line, where other users could read it.
Files and folders default to workflows/.
Exit codes: 0 deployed (or nothing to do), 1 problems found (nothing written) or n8n refused a
write, 2 usage error, n8n unreachable or API key refused.
`;

function apiKeyFrom(env: NodeJS.ProcessEnv): string {
	if (env.WIDIP_N8N_API_KEY) return env.WIDIP_N8N_API_KEY.trim();
	if (env.WIDIP_N8N_API_KEY_FILE) {
		try {
			return readFileSync(env.WIDIP_N8N_API_KEY_FILE, 'utf8').trim();
		} catch (error) {
			throw new DeployError(`WIDIP_N8N_API_KEY_FILE: cannot read ${env.WIDIP_N8N_API_KEY_FILE} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 2);
		}
	}
	throw new DeployError('no n8n API key: set WIDIP_N8N_API_KEY or WIDIP_N8N_API_KEY_FILE (n8n: Settings → n8n API)', 2);
}

function printDeploy(report: DeployReport, io: CommandIo): void {
	const counts = new Map<string, number>();
	for (const workflow of report.workflows) {
		counts.set(workflow.action, (counts.get(workflow.action) ?? 0) + 1);
		io.stdout(`${workflow.action.padEnd(13)} ${workflow.name}${workflow.id ? ` (${workflow.id})` : ''}\n`);
		for (const change of workflow.changes) io.stdout(`              ${change}\n`);
	}
	const summary = [...counts].map(([action, count]) => `${count} ${action}`).join(', ') || 'no workflows';
	io.stdout(`${report.dryRun ? 'dry run, nothing written: ' : ''}${summary} — ${report.n8n} in ${(report.tookMs / 1000).toFixed(1)} s\n`);
}

function printRollback(report: RollbackReport, io: CommandIo): void {
	if (!report.deployedAt) {
		io.stdout(`nothing to roll back: no recorded deploy into ${report.n8n} changed anything\n`);
		return;
	}
	for (const workflow of report.workflows) io.stdout(`${workflow.action.padEnd(12)} ${workflow.name} (${workflow.id})\n`);
	io.stdout(`rolled back the deploy of ${report.deployedAt} in ${report.n8n}\n`);
}

export async function deployCommand(argv: string[], io: CommandIo): Promise<number> {
	let parsed: ReturnType<typeof parse>;
	const parse = () =>
		parseArgs({
			args: argv,
			allowPositionals: true,
			options: {
				'dry-run': { type: 'boolean' },
				rollback: { type: 'boolean' },
				json: { type: 'boolean' },
				url: { type: 'string' },
				'state-dir': { type: 'string' },
				n8n: { type: 'string' },
				help: { type: 'boolean', short: 'h' },
			},
		});
	try {
		parsed = parse();
	} catch (error) {
		io.stderr(`widip deploy: ${(error as Error).message}\n${DEPLOY_USAGE}`);
		return 2;
	}
	const { values, positionals } = parsed;
	if (values.help) {
		io.stdout(DEPLOY_USAGE);
		return 0;
	}
	const json = values.json === true;
	const fail = (error: unknown): number => {
		const known = error instanceof DeployError;
		const message = known ? error.message : `unexpected failure: ${(error as Error).message}`;
		if (json) io.stdout(`${JSON.stringify({ ok: false, error: message })}\n`);
		else io.stderr(`widip deploy: ${message}\n`);
		return known ? error.exitCode : 2;
	};
	if (values['dry-run'] && values.rollback) {
		io.stderr(`widip deploy: --dry-run and --rollback do not go together\n${DEPLOY_USAGE}`);
		return 2;
	}
	const url = values.url ?? io.env.WIDIP_N8N_URL;
	if (!url) {
		io.stderr(`widip deploy: no n8n URL: pass --url or set WIDIP_N8N_URL\n${DEPLOY_USAGE}`);
		return 2;
	}
	try {
		new URL(url);
	} catch {
		io.stderr(`widip deploy: --url "${url}" is not a URL (e.g. http://n8n:5678)\n`);
		return 2;
	}
	const stateDir = path.resolve(values['state-dir'] ?? path.join('.widip', 'deploy'));
	const progress = json || !io.isTTY ? undefined : (line: string) => io.stderr(`${line}\n`);
	try {
		const apiKey = apiKeyFrom(io.env);
		if (values.rollback) {
			const report = await rollback({ url, apiKey, stateDir, progress });
			if (json) io.stdout(`${JSON.stringify({ ok: true, ...report })}\n`);
			else printRollback(report, io);
			return 0;
		}
		const paths = positionals.length > 0 ? positionals : ['workflows'];
		const n8nDir = values.n8n;
		const report = await deploy({
			url,
			apiKey,
			paths,
			stateDir,
			dryRun: values['dry-run'] === true,
			progress,
			variables: io.env,
			validate: async (targets) => {
				const { validateWorkflows } = await import('../validate/index');
				const result = await validateWorkflows(targets, { n8nDir, env: io.env });
				return result.findings
					.filter((finding) => finding.severity === 'error')
					.map((finding) => `${finding.file}:${finding.node}:${finding.field}: ${finding.message}`);
			},
		});
		if (json) io.stdout(`${JSON.stringify({ ok: true, ...report })}\n`);
		else printDeploy(report, io);
		return 0;
	} catch (error) {
		return fail(error);
	}
}
