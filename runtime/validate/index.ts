/** `widip validate` as a library: deploy validates what it is about to send and blocks on errors. */
export { validateWorkflowObjects, validateWorkflows } from './validate';
export { SUBWORKFLOW_CONVENTION } from './checks/references';
export { WorkflowInputError } from './types';
export type { Finding, LoadedWorkflow, Severity, ValidateOptions, ValidateResult, WorkflowJson } from './types';

import type { ValidateResult } from './types';

/** True when the result holds an error (warnings alone do not block). */
export function hasErrors(result: ValidateResult): boolean {
	return result.findings.some((finding) => finding.severity === 'error');
}
