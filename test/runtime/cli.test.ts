import { readFileSync } from 'node:fs';
import path from 'node:path';

import type { CommandIo } from '../../runtime/command-io';
import { main } from '../../runtime/cli';

/** The real `widip` entry in-process: what each command line prints, where, and with which exit code. */
async function widip(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
	let stdout = '';
	let stderr = '';
	const io: CommandIo = { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), env: {}, isTTY: false };
	const code = await main(argv, io);
	return { code, stdout, stderr };
}

describe('widip command line', () => {
	it.each([[[]], [['--help']], [['-h']], [['help']]])('%j prints the overview on stdout and exits 0', async (argv: string[]) => {
		const run = await widip(...argv);
		expect(run).toMatchObject({ code: 0, stderr: '' });
		expect(run.stdout).toMatch(/^usage: widip <command>/);
		for (const command of ['serve', 'audit export', 'validate', 'deploy']) expect(run.stdout).toContain(`\n  ${command} `);
		expect(run.stdout).toMatch(/exit codes:\n {2}0 {3}ok\n {2}1 {3}findings.*\n {2}2 {3}usage error/);
	});

	it.each([
		[['help', 'serve'], /^usage: widip serve\n/],
		[['serve', '--help'], /^usage: widip serve\n/],
		[['help', 'audit', 'export'], /^usage: widip audit export/],
		[['audit', 'export', '-h'], /^usage: widip audit export/],
		[['audit', '--help'], /^usage: widip audit export/],
		[['help', 'audit'], /^usage: widip audit export/],
		[['help', 'validate'], /widip validate/],
		[['validate', '--help'], /widip validate/],
		[['help', 'deploy'], /widip deploy/],
		[['deploy', '--json', '--help'], /widip deploy/],
	])('%j prints that command\'s help and exits 0', async (argv, text) => {
		const run = await widip(...argv);
		expect(run).toMatchObject({ code: 0, stderr: '' });
		expect(run.stdout).toMatch(text);
	});

	it('every help names its exit codes', async () => {
		for (const command of [['serve'], ['audit', 'export'], ['validate'], ['deploy']]) {
			expect((await widip('help', ...command)).stdout).toMatch(/exit (codes|status)/i);
		}
	});

	it.each([
		[['nonsense'], 'widip: unknown command "nonsense"'],
		[['--nonsense'], 'widip: unknown option "--nonsense"'],
		[['audit'], 'widip: unknown command "audit"'],
		[['audit', 'import'], 'widip: unknown command "audit import"'],
		[['help', 'nonsense'], 'widip: no help for "nonsense"'],
		[['serve', '--port', '80'], 'widip serve: unknown argument "--port"'],
		[['audit', 'export', '--until', 'x'], 'widip audit export: unknown argument "--until"'],
	])('%j is a usage error: exit 2, nothing on stdout, what was wrong on stderr', async (argv, message) => {
		const run = await widip(...argv);
		expect(run).toMatchObject({ code: 2, stdout: '' });
		expect(run.stderr.startsWith(`${message}\n`)).toBe(true);
	});

	it('--version prints the package version', async () => {
		const run = await widip('--version');
		const { version } = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string };
		expect(run).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
	});
});
