/**
 * What a `widip` subcommand may touch: text out, text err, the environment, and whether a person is
 * watching (progress lines, colours). Passing it in, rather than reaching for `process`, lets a test
 * run a command in-process and read exactly what it printed.
 */
export interface CommandIo {
	stdout: (text: string) => void;
	stderr: (text: string) => void;
	env: NodeJS.ProcessEnv;
	isTTY: boolean;
}

/** The real process's streams and environment. */
export function processIo(): CommandIo {
	return {
		stdout: (text) => void process.stdout.write(text),
		stderr: (text) => void process.stderr.write(text),
		env: process.env,
		isTTY: Boolean(process.stdout.isTTY),
	};
}
