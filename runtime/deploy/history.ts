import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { WorkflowBody } from './n8n-api';

/** One workflow in one deploy: what it was before, so a rollback can put it back. */
export interface DeployedEntry {
	name: string;
	id: string;
	action: 'created' | 'updated' | 'published' | 'unchanged';
	/** The workflow as it was (updated ones), and whether it was published. */
	previous?: { body: WorkflowBody; active: boolean };
}

export interface DeployRecord {
	at: string;
	n8n: string;
	entries: DeployedEntry[];
}

/**
 * Deploys of one n8n, newest last, in `<state dir>/<n8n origin hash>.json` (`.widip/deploy` by
 * default, kept out of git): what `widip deploy --rollback` undoes. It holds workflow bodies and
 * credential ids, never a secret (n8n's API does not return credential data).
 */
export class DeployHistory {
	private readonly file: string;

	constructor(
		stateDir: string,
		readonly n8n: string,
	) {
		this.file = path.join(stateDir, `${createHash('sha256').update(n8n).digest('hex').slice(0, 16)}.json`);
	}

	read(): DeployRecord[] {
		try {
			return JSON.parse(readFileSync(this.file, 'utf8')) as DeployRecord[];
		} catch {
			return [];
		}
	}

	private write(records: DeployRecord[]): void {
		mkdirSync(path.dirname(this.file), { recursive: true });
		// Written whole then renamed: a deploy killed halfway never leaves a torn history.
		const temporary = `${this.file}.${process.pid}.tmp`;
		writeFileSync(temporary, `${JSON.stringify(records.slice(-20), null, 2)}\n`, { mode: 0o600 });
		renameSync(temporary, this.file);
	}

	append(record: DeployRecord): void {
		this.write([...this.read(), record]);
	}

	/** The newest deploy that changed something, removed from the history (it is being undone). */
	takeLastChange(): DeployRecord | undefined {
		const records = this.read();
		for (let i = records.length - 1; i >= 0; i--) {
			if (records[i].entries.some((entry) => entry.action !== 'unchanged')) {
				const [taken] = records.splice(i, 1);
				this.write(records);
				return taken;
			}
		}
		return undefined;
	}
}
