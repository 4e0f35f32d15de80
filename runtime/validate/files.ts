import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

import { WorkflowInputError, type LoadedWorkflow, type WorkflowJson } from './types';

/** Every *.json under a folder, recursively, sorted so output is stable. */
async function jsonFilesUnder(folder: string): Promise<string[]> {
	const found: string[] = [];
	const entries = await readdir(folder, { withFileTypes: true });
	for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
		if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
		const full = path.join(folder, entry.name);
		if (entry.isDirectory()) found.push(...(await jsonFilesUnder(full)));
		else if (entry.isFile() && entry.name.endsWith('.json')) found.push(full);
	}
	return found;
}

/** Files and folders as given → the workflow files, each once. */
export async function expandPaths(paths: readonly string[], cwd: string): Promise<string[]> {
	const files: string[] = [];
	for (const given of paths) {
		const absolute = path.resolve(cwd, given);
		const info = await stat(absolute).catch(() => undefined);
		if (!info) throw new WorkflowInputError(given, 'no such file or folder');
		const found = info.isDirectory() ? await jsonFilesUnder(absolute) : [absolute];
		for (const file of found) {
			// Findings name files as the user wrote them: relative to cwd when under it.
			const shown = path.relative(cwd, file).startsWith('..') ? file : path.relative(cwd, file);
			if (!files.includes(shown)) files.push(shown);
		}
	}
	return files;
}

/** A file's workflows: n8n exports one workflow object, or an array of them. */
export async function readWorkflowFile(file: string, cwd: string): Promise<LoadedWorkflow[] | { notWorkflow: string }> {
	let text: string;
	try {
		text = await readFile(path.resolve(cwd, file), 'utf8');
	} catch (error) {
		throw new WorkflowInputError(file, `cannot read: ${(error as Error).message}`);
	}
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch (error) {
		throw new WorkflowInputError(file, `not JSON: ${(error as Error).message}`);
	}
	const items = Array.isArray(parsed) ? parsed : [parsed];
	for (const item of items) {
		if (!item || typeof item !== 'object' || !Array.isArray((item as WorkflowJson).nodes)) {
			return { notWorkflow: 'not an n8n workflow: expected an object with a "nodes" array (or an array of them)' };
		}
	}
	return items.map((workflow) => ({ file, workflow: { ...(workflow as WorkflowJson), connections: (workflow as WorkflowJson).connections ?? {} } }));
}
