import { spawn, type ChildProcess } from 'node:child_process';

export interface LineChild {
	process: ChildProcess;
	/** Resolves with the output's line `index` (0-based) once printed. */
	line(index: number): Promise<string>;
	/** Resolves with all output when the process exits 0; rejects with its stderr otherwise. */
	done: Promise<string>;
	send(text: string): void;
	kill(): void;
}

/**
 * `node --import tsx <script> …args` (not the tsx wrapper, so the pid we kill is the worker itself),
 * its output read line by line.
 */
export function spawnTs(script: string, args: string[]): LineChild {
	const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
	let out = '';
	let err = '';
	const waiting: { index: number; resolve(line: string): void }[] = [];
	const deliver = () => {
		const lines = out.split('\n').slice(0, -1);
		for (const w of [...waiting]) {
			if (lines.length > w.index) {
				waiting.splice(waiting.indexOf(w), 1);
				w.resolve(lines[w.index]);
			}
		}
	};
	child.stdout.on('data', (chunk: Buffer) => {
		out += chunk.toString();
		deliver();
	});
	child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
	const done = new Promise<string>((resolve, reject) => {
		child.on('exit', (code, signal) => {
			if (code === 0) resolve(out);
			else reject(new Error(`${script} exited ${code ?? signal}: ${err}`));
		});
	});
	return {
		process: child,
		line: (index) =>
			new Promise<string>((resolve) => {
				waiting.push({ index, resolve });
				deliver();
			}),
		done,
		send: (text) => child.stdin.write(text),
		kill: () => child.kill('SIGKILL'),
	};
}
