import type { CommandIo } from '../command-io';
import { hasErrors, validateWorkflows, WorkflowInputError, type Finding } from './index';

const USAGE = `Usage: widip validate [--json] [--n8n <dir>] <file or folder>...

Checks n8n workflow JSON before it is imported: node types and versions, parameters against each
node's description (and our operations' input schemas), connections, reachability, webhook/form/MCP
paths unique across all files, credentials by name, sub-workflow references, expressions.
Folders are searched for *.json recursively.

  --json        one JSON document: { ok, files, findings: [{file, node, field, message, severity}], notes }
  --n8n <dir>   an n8n install whose node_modules holds n8n-nodes-base and @n8n/n8n-nodes-langchain
                (default: WIDIP_N8N_DIR, else those packages found from the current folder)
  --help        this text

Each finding is one line: file:node:field: message (node and field are "-" when not applicable).
Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage error or unreadable file.
`;

interface Parsed {
	paths: string[];
	json: boolean;
	n8nDir?: string;
	help: boolean;
}

function parseArguments(argv: string[]): Parsed | string {
	const parsed: Parsed = { paths: [], json: false, help: false };
	for (let index = 0; index < argv.length; index++) {
		const argument = argv[index];
		if (argument === '--help' || argument === '-h') parsed.help = true;
		else if (argument === '--json') parsed.json = true;
		else if (argument === '--n8n' || argument.startsWith('--n8n=')) {
			const value = argument === '--n8n' ? argv[++index] : argument.slice('--n8n='.length);
			if (!value) return '--n8n needs a folder';
			parsed.n8nDir = value;
		} else if (argument === '--') {
			parsed.paths.push(...argv.slice(index + 1));
			break;
		} else if (argument.startsWith('-')) return `unknown option ${argument}`;
		else parsed.paths.push(argument);
	}
	if (!parsed.help && parsed.paths.length === 0) return 'give at least one workflow file or folder';
	return parsed;
}

export function formatFinding(finding: Finding): string {
	const severity = finding.severity === 'warning' ? 'warning: ' : '';
	return `${finding.file}:${finding.node}:${finding.field}: ${severity}${finding.message}`;
}

/** `widip validate`: exit 0 no errors, 1 findings with errors, 2 usage error or unreadable input. */
export async function validateCommand(argv: string[], io: CommandIo): Promise<number> {
	const parsed = parseArguments(argv);
	if (typeof parsed === 'string') {
		io.stderr(`widip validate: ${parsed}\n\n${USAGE}`);
		return 2;
	}
	if (parsed.help) {
		io.stdout(USAGE);
		return 0;
	}
	let result;
	try {
		result = await validateWorkflows(parsed.paths, { n8nDir: parsed.n8nDir, env: io.env });
	} catch (error) {
		if (!(error instanceof WorkflowInputError)) throw error;
		if (parsed.json) io.stdout(`${JSON.stringify({ ok: false, files: [], findings: [], notes: [], error: error.message }, null, 2)}\n`);
		io.stderr(`widip validate: ${error.message}\n`);
		return 2;
	}
	const ok = !hasErrors(result);
	if (parsed.json) {
		io.stdout(`${JSON.stringify({ ok, files: result.files, findings: result.findings, notes: result.notes }, null, 2)}\n`);
	} else {
		for (const finding of result.findings) io.stdout(`${formatFinding(finding)}\n`);
		for (const note of result.notes) io.stderr(`note: ${note}\n`);
		const errors = result.findings.filter((finding) => finding.severity === 'error').length;
		const warnings = result.findings.length - errors;
		io.stderr(`${result.files.length} file(s): ${errors} error(s), ${warnings} warning(s)\n`);
	}
	return ok ? 0 : 1;
}
