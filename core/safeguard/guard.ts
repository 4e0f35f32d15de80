import type Redis from 'ioredis';

import type { OperationRegistry } from '../catalogue/registry';
import { isWidipError } from '../errors';
import { Approvals, type ApprovalRequest, type Requester } from './approvals';
import { AuditLog } from './audit';
import { decide, type Decision } from './decision';
import { PolicyStore, type VerifiedPolicy } from './policy';
import { redactArguments } from './redact';

export interface AuthorizeContext {
	/** The agent's confidence 0–100; absent means none (never certainty). */
	confidence?: number;
	/** Why the agent wants this: shown to technicians. */
	reason: string;
	/** Who asks, and through which face: an approval is usable by that requester only. */
	requester: Requester;
	/** An approval granted earlier for exactly these arguments. */
	approvalId?: string;
	/** The request's lifetime; default: the policy's (one setting for every face). */
	ttlMs?: number;
	/** Safeguard Gate: the n8n execution to resume once the request is decided. */
	resumeUrl?: string;
}

/** Why an approval presented with a call was not honoured. */
export type RefusalReason = 'not_found' | 'pending' | 'rejected' | 'expired' | 'executed' | 'released' | 'mismatch' | 'foreign';

export type Verdict =
	| { status: 'allowed'; decision: Decision; notified: boolean; approvalId?: string }
	| { status: 'forbidden'; decision: Decision; message: string }
	| { status: 'invalid'; decision: Decision; message: string }
	| { status: 'approval_required'; decision: Decision; approval: ApprovalRequest; message: string }
	| { status: 'refused'; decision: Decision; approvalId: string; why: RefusalReason; message: string };

export const REFUSALS: Record<RefusalReason, string> = {
	not_found: 'no such approval request',
	pending: 'this request is still waiting for a technician',
	rejected: 'a technician rejected this request',
	expired: 'this request expired before it was used',
	executed: 'this approval was already used (an approval runs once)',
	released: 'this approval was released to a Safeguard Gate and runs only there',
	mismatch: 'this approval was granted for other arguments or another operation',
	foreign: 'this approval belongs to another requester (workflow, node, agent or face)',
};

/** Short, safe summary of what was wrong with the arguments: field names and messages, no values. */
function invalidMessage(operationId: string, error: unknown): string {
	const message = isWidipError(error) || error instanceof Error ? error.message : String(error);
	return `Safeguard: the arguments of ${operationId} are not valid, nothing was done: ${message.slice(0, 1000)}`;
}

/**
 * Safeguard in front of one AI action: checks the arguments against the operation's schema,
 * decides (signed policy from Redis, else the catalogue's levels), records every decision in the
 * audit stream (the runtime sends L2 notices and L3 request notices from there, so the action
 * never waits on a mail or a webhook), creates approval requests and consumes approvals, which
 * bind the exact arguments and the requester and run at most once.
 */
export class Safeguard {
	readonly approvals: Approvals;
	readonly audit: AuditLog;
	readonly policy: PolicyStore;

	constructor(
		redis: Redis,
		prefix: string,
		private readonly catalogue: Pick<OperationRegistry, 'has' | 'get' | 'parseInput'>,
		secret?: string,
	) {
		this.approvals = new Approvals(redis, prefix);
		this.audit = new AuditLog(redis, prefix);
		this.policy = new PolicyStore(redis, prefix, secret);
	}

	/** `verified`: a policy the caller already read for this run (a node's several items); else read now. */
	async authorize(operationId: string, args: Record<string, unknown>, context: AuthorizeContext, verified?: VerifiedPolicy): Promise<Verdict> {
		const { policy, source } = verified ?? (await this.policy.readVerified());
		const decision = decide(operationId, context.confidence, policy, this.catalogue);
		const known = this.catalogue.has(operationId);
		const operation = known ? this.catalogue.get(operationId) : undefined;
		const base = { operationId, actor: context.requester.agent };
		const detail: Record<string, unknown> = {
			level: decision.level,
			catalogueLevel: operation?.level ?? null,
			policy: source,
			reason: decision.reason,
			confidence: context.confidence ?? null,
			agentReason: context.reason.slice(0, 2000),
			requester: context.requester,
		};

		if (decision.outcome === 'forbidden') {
			await this.audit.append({ ...base, event: 'decision', outcome: 'forbidden', detail });
			return { status: 'forbidden', decision, message: `Safeguard: ${operationId} is forbidden to AI (${decision.reason})` };
		}
		try {
			this.catalogue.parseInput(operationId, args);
		} catch (error) {
			// Only field names reach the audit: the values may be huge or hold secrets.
			await this.audit.append({ ...base, event: 'decision', outcome: 'refused:invalid_arguments', detail: { ...detail, fields: Object.keys(args).slice(0, 50) } });
			return { status: 'invalid', decision, message: invalidMessage(operationId, error) };
		}
		detail.arguments = redactArguments(operation!, args);

		if (decision.outcome === 'allow' || decision.outcome === 'allow_and_notify') {
			await this.audit.append({ ...base, event: 'decision', outcome: decision.outcome, detail });
			return { status: 'allowed', decision, notified: decision.outcome === 'allow_and_notify' };
		}

		if (context.approvalId) {
			const outcome = await this.approvals.consume(context.approvalId, operationId, args, context.requester);
			if (outcome === 'ok') {
				await this.audit.append({ ...base, event: 'decision', outcome: 'approved_use', approvalId: context.approvalId, detail });
				return { status: 'allowed', decision, notified: false, approvalId: context.approvalId };
			}
			const why = (outcome in REFUSALS ? outcome : 'not_found') as RefusalReason;
			await this.audit.append({
				...base,
				event: why === 'expired' ? 'expiry' : 'decision',
				outcome: `refused:${why}`,
				approvalId: context.approvalId,
				detail,
			});
			return {
				status: 'refused',
				decision,
				approvalId: context.approvalId,
				why,
				message: `Safeguard: approval ${context.approvalId} cannot be used: ${REFUSALS[why]}. Nothing was done.`,
			};
		}

		let approval: ApprovalRequest;
		try {
			approval = await this.approvals.request({
				operation: operation!,
				args,
				level: decision.level ?? undefined,
				requester: context.requester,
				reason: context.reason,
				confidence: context.confidence,
				ttlMs: context.ttlMs ?? policy.approvalTtlMinutes * 60_000,
				maxPending: policy.maxPendingPerRequester,
				resumeUrl: context.resumeUrl,
			});
		} catch (error) {
			if (!isWidipError(error) || (error.kind !== 'bad_request' && error.kind !== 'rate_limited')) throw error;
			await this.audit.append({ ...base, event: 'request', outcome: `refused:${error.kind}`, detail: { ...detail, arguments: undefined, why: error.message } });
			return { status: 'invalid', decision, message: `Safeguard: ${error.message}. Nothing was done.` };
		}
		await this.audit.append({ ...base, event: 'request', outcome: 'pending', approvalId: approval.id, detail });
		return {
			status: 'approval_required',
			decision,
			approval,
			message:
				`Safeguard: ${operationId} needs a technician's approval (${decision.reason}). Nothing was done. ` +
				`Approval request ${approval.id} expires at ${approval.expiresAt}; once approved, call again with the same arguments and this approvalId.`,
		};
	}

	/** After the action ran (or failed): the audit's execution record and the request's result summary. */
	async recordExecution(operationId: string, approvalId: string | undefined, outcome: 'succeeded' | 'failed', summary: string): Promise<void> {
		await this.audit.append({ event: 'execution', operationId, outcome, approvalId, detail: { summary: summary.slice(0, 500) } });
		if (approvalId) await this.approvals.recordResult(approvalId, `${outcome}: ${summary}`);
	}
}
