import path from 'node:path';

import { ensureN8n } from '../e2e/harness';
import type { Finding } from '../../runtime/validate';

export const ROOT = path.join(__dirname, '../..');
export const CORPUS = 'test/validate/corpus';
export const VALID = 'test/validate/valid';

/** The pinned real n8n (installed once by the e2e suite's script; instant when cached). */
export function n8nDir(): string {
	return ensureN8n();
}

/** `file:node:field: message`, the CLI's line, for readable assertions. */
export function line(finding: Finding): string {
	return `${path.basename(finding.file)}:${finding.node}:${finding.field}: ${finding.message}`;
}

export function errors(findings: Finding[]): Finding[] {
	return findings.filter((finding) => finding.severity === 'error');
}

/**
 * Placeholders ad-check-reset.json carries on purpose: its e2e test replaces them with the account
 * it creates on the Samba DC before importing. As committed, that file cannot be deployed, and
 * validate says so.
 */
export const TEMPLATE_ERRORS = [
	'ad-check-reset.json:Check User:parameters.sAMAccountName: Invalid input for ad.check_user: sAMAccountName: use 1–20 letters, digits, . _ - (an AD sAMAccountName)',
	'ad-check-reset.json:Check Unknown:parameters.sAMAccountName: Invalid input for ad.check_user: sAMAccountName: use 1–20 letters, digits, . _ - (an AD sAMAccountName)',
];
