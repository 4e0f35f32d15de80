#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { processIo, type CommandIo } from './command-io';
import { COMMAND_HELP, EXIT, OVERVIEW } from './help';

/**
 * `widip`: the package's command. Each subcommand is loaded only when run, so `widip --help` and
 * `widip validate` start without loading the server, Redis or MCP code.
 */

type Command = (argv: string[], io: CommandIo) => Promise<number>;

/** Command words → the command. */
const COMMANDS: Record<string, Command> = {
	serve: async (argv, io) => (await import('./serve')).serveCommand(argv, io),
	'audit export': async (argv, io) => (await import('./audit-export')).auditExportCommand(argv, io),
	validate: async (argv, io) => (await import('./validate/command')).validateCommand(argv, io),
	deploy: async (argv, io) => (await import('./deploy/command')).deployCommand(argv, io),
};

const isHelp = (word: string) => word === '--help' || word === '-h';

/** The command named by the first one or two words, and the words after them. */
function commandOf(argv: string[]): { name: string; rest: string[] } | undefined {
	for (const words of [2, 1]) {
		const name = argv.slice(0, words).join(' ');
		if (argv.length >= words && COMMANDS[name]) return { name, rest: argv.slice(words) };
	}
	return undefined;
}

/** `audit` alone names no command, but `widip audit --help` and `widip help audit` still deserve an answer. */
function groupHelp(word: string): string | undefined {
	const members = Object.keys(COMMAND_HELP).filter((name) => name.startsWith(`${word} `));
	return members.length > 0 ? members.map((name) => COMMAND_HELP[name]).join('\n') : undefined;
}

/** A command's help: ours, or the command's own `--help` for those that describe their flags themselves. */
async function commandHelp(name: string, io: CommandIo): Promise<number> {
	const text = COMMAND_HELP[name];
	if (text === undefined) return await COMMANDS[name](['--help'], io);
	io.stdout(text);
	return EXIT.ok;
}

function unknown(io: CommandIo, what: string): number {
	io.stderr(`widip: ${what}\n\n${OVERVIEW}`);
	return EXIT.usage;
}

/**
 * Read at run time, not imported: an imported package.json would be compiled into dist/ as a second
 * copy. Searched upwards because the depth differs between runtime/cli.ts and dist/runtime/cli.js.
 */
function packageVersion(): string {
	for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
		try {
			const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
			if (manifest.name === 'n8n-nodes-widip') return manifest.version ?? 'unknown';
		} catch {
			// no package.json here: look further up
		}
	}
	return 'unknown';
}

export async function main(argv: string[], io: CommandIo = processIo()): Promise<number> {
	const [first, ...others] = argv;
	if (first === undefined || isHelp(first)) {
		io.stdout(OVERVIEW);
		return EXIT.ok;
	}
	if (first === '--version') {
		io.stdout(`${packageVersion()}\n`);
		return EXIT.ok;
	}
	if (first === 'help') {
		if (others.length === 0) {
			io.stdout(OVERVIEW);
			return EXIT.ok;
		}
		const named = commandOf(others);
		if (named && named.rest.length === 0) return await commandHelp(named.name, io);
		const text = others.length === 1 ? groupHelp(others[0]) : undefined;
		if (!text) return unknown(io, `no help for "${others.join(' ')}"`);
		io.stdout(text);
		return EXIT.ok;
	}
	const named = commandOf(argv);
	const group = groupHelp(first);
	if (!named && group && others.some(isHelp)) {
		io.stdout(group);
		return EXIT.ok;
	}
	if (!named) return unknown(io, first.startsWith('-') ? `unknown option "${first}"` : `unknown command "${argv.slice(0, 2).join(' ')}"`);
	if (named.rest.some(isHelp)) return await commandHelp(named.name, io);
	return await COMMANDS[named.name](named.rest, io);
}

if (require.main === module) {
	main(process.argv.slice(2)).then(
		(code) => {
			// Not process.exit(): stdout to a pipe may still hold an audit export's last lines. Every
			// connection is closed by now, so the process ends by itself once they are written.
			process.exitCode = code;
		},
		(error: unknown) => {
			// A bug, not a finding: 1 would tell a CI job its workflows are invalid.
			process.stderr.write(`widip: ${(error as Error).stack ?? String(error)}\n`);
			process.exitCode = EXIT.internal;
		},
	);
}
