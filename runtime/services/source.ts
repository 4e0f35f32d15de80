import { readFileSync, statSync } from 'node:fs';

/**
 * The runtime's merged settings: the JSON file of WIDIP_CONFIG_FILE with the WIDIP_* environment on
 * top (runtime/config.ts builds it). Values are text from the environment; the file may also hold
 * numbers, booleans, lists and objects.
 */
export type Source = Record<string, unknown>;

/** A secret file larger than this is a mistake (a wrong path), not a key. */
const MAX_FILE_BYTES = 1024 * 1024;

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

/**
 * Reads settings out of a Source and records each problem as `VARIABLE: what is wrong`. A message
 * names variables and file paths, never a value: values may be keys and passwords.
 */
export class SourceReader {
	/** Variables that already have a problem, so that "missing" is not reported on top. */
	readonly failed = new Set<string>();

	constructor(
		readonly source: Source,
		readonly problems: string[],
	) {}

	problem(variable: string, message: string): void {
		this.failed.add(variable);
		this.problems.push(`${variable}: ${message}`);
	}

	/** Set and not empty (an empty variable counts as unset, as in runtime/config.ts). */
	present(name: string): boolean {
		const value = this.source[name];
		return value !== undefined && value !== null && value !== '';
	}

	/** The variable or, for those that accept one, its `_FILE` form. */
	given(name: string): boolean {
		return this.present(name) || this.present(`${name}_FILE`);
	}

	/** Text, numbers and booleans (from the JSON file) as text; anything else is a problem. */
	text(name: string): string | undefined {
		if (!this.present(name)) return undefined;
		const value = this.source[name];
		if (typeof value === 'string') return value;
		if (typeof value === 'number' || typeof value === 'boolean') return String(value);
		this.problem(name, 'must be text');
		return undefined;
	}

	/** As given: text, or the list or object a JSON file may hold (mail groups, AD lists). */
	raw(name: string): unknown {
		return this.present(name) ? this.source[name] : undefined;
	}

	bool(name: string): boolean | undefined {
		if (!this.present(name)) return undefined;
		const value = this.source[name];
		if (typeof value === 'boolean') return value;
		const word = String(value).trim().toLowerCase();
		if (TRUE.includes(word)) return true;
		if (FALSE.includes(word)) return false;
		this.problem(name, 'must be true or false');
		return undefined;
	}

	/**
	 * A secret: `NAME` itself, or `NAME_FILE`, the path of a file holding it (Docker and Kubernetes
	 * secrets), whose content less one trailing newline is the value. Both at once is refused.
	 */
	secret(name: string): string | undefined {
		const file = `${name}_FILE`;
		if (this.present(name) && this.present(file)) {
			this.failed.add(name);
			this.problem(file, `${name} and ${file} are both set; give only one`);
			return undefined;
		}
		if (!this.present(file)) return this.text(name);
		const path = this.text(file);
		if (path === undefined) return undefined;
		const value = this.readValueFile(file, path);
		if (value === undefined) this.failed.add(name);
		return value;
	}

	private readValueFile(variable: string, path: string): string | undefined {
		let content: string;
		try {
			const stat = statSync(path);
			if (!stat.isFile()) {
				this.problem(variable, `${path} is not a regular file`);
				return undefined;
			}
			if (stat.size > MAX_FILE_BYTES) {
				this.problem(variable, `${path} is larger than ${MAX_FILE_BYTES} bytes`);
				return undefined;
			}
			content = readFileSync(path, 'utf8');
		} catch (error) {
			// The code only (ENOENT, EACCES…): a message could one day quote more than the path.
			const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
			this.problem(variable, `cannot read ${path} (${code})`);
			return undefined;
		}
		const value = content.replace(/\r?\n$/, '');
		if (value === '') {
			this.problem(variable, `${path} is empty`);
			return undefined;
		}
		return value;
	}
}
