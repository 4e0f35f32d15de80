import type Redis from 'ioredis';

import type { OperationRegistry } from '../catalogue/registry';
import { Approvals, type ApprovalRequest, type Requester } from './approvals';
import { AuditLog } from './audit';
import { argumentsDigest } from './canonical';
import { decide, type Decision, type SafeguardPolicy } from './decision';
import { PolicyStore } from './policy';
import { redactArguments } from './redact';

export interface AuthorizeContext {
	/** The agent's confidence 0–100; absent means none (never certainty). */
	confidence?: number;
	/** Why the agent wants this: shown to technicians. */
	reason: string;
	requester: Requester;
	/** An approval granted earlier for exactly these arguments. */
	approvalId?: string;
	ttlMs?: number;
	/** Safeguard Gate: the n8n execution to resume once the request is decided. */
	resumeUrl?: string;
}

/** Why an approval presented with a call was not honoured. */
export type RefusalReason = 'not_found' | 'pending' | 'rejected' | 'expired' | 'executed' | 'mismatch';

export type Verdict =
	| { status: 'allowed'; decision: Decision; notified: boolean; approvalId?: string }
	| { status: 'forbidden'; decision: Decision; message: string }
	| { status: 'approval_required'; decision: Decision; approval: ApprovalRequest; message: string }
	| { status: 'refused'; decision: Decision; approvalId: string; why: RefusalReason; message: string };

const REFUSALS: Record<RefusalReason, string> = {
	not_found: 'no such approval request',
	pending: 'this request is still waiting for a technician',
	rejected: 'a technician rejected this request',
	expired: 'this request expired before it was used',
	executed: 'this approval was already used (an approval runs once)',
	mismatch: 'this approval was granted for other arguments or another operation',
};

/**
 * Safeguard in front of one AI action: decides (policy from Redis), records the decision in the
 * audit stream (the runtime sends L2 notices and L3 request notices from there, so the action never
 * waits on a mail or a webhook), creates approval requests and consumes approvals, which bind the
 * exact arguments and run at most once.
 */
export class Safeguard {
	readonly approvals: Approvals;
	readonly audit: AuditLog;
	readonly policy: PolicyStore;

	constructor(
		redis: Redis,
		prefix: string,
		private readonly catalogue: Pick<OperationRegistry, 'has' | 'get'>,
	) {
		this.approvals = new Approvals(redis, prefix);
		this.audit = new AuditLog(redis, prefix);
		this.policy = new PolicyStore(redis, prefix);
	}

	/** `policy`: one the caller already read for this run (a node's several items); else read now. */
	async authorize(operationId: string, args: Record<string, unknown>, context: AuthorizeContext, policy?: SafeguardPolicy): Promise<Verdict> {
		const decision = decide(operationId, context.confidence, policy ?? (await this.policy.read()), this.catalogue);
		const known = this.catalogue.has(operationId);
		const operation = known ? this.catalogue.get(operationId) : undefined;
		const shown = operation ? redactArguments(operation, args) : {};
		const base = {
			operationId,
			actor: context.requester.agent,
			digest: known ? argumentsDigest(operationId, args) : undefined,
		};
		const detail = {
			level: decision.level,
			reason: decision.reason,
			confidence: context.confidence ?? null,
			agentReason: context.reason,
			requester: context.requester,
			arguments: shown,
		};

		if (decision.outcome === 'forbidden') {
			await this.audit.append({ ...base, event: 'decision', outcome: 'forbidden', detail });
			return { status: 'forbidden', decision, message: `Safeguard: ${operationId} is forbidden to AI (${decision.reason})` };
		}
		if (decision.outcome === 'allow' || decision.outcome === 'allow_and_notify') {
			await this.audit.append({ ...base, event: 'decision', outcome: decision.outcome, detail });
			return { status: 'allowed', decision, notified: decision.outcome === 'allow_and_notify' };
		}

		if (context.approvalId) {
			const outcome = await this.approvals.consume(context.approvalId, operationId, args);
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

		const approval = await this.approvals.request({
			operation: operation!,
			args,
			level: decision.level ?? undefined,
			requester: context.requester,
			reason: context.reason,
			confidence: context.confidence,
			ttlMs: context.ttlMs,
			resumeUrl: context.resumeUrl,
		});
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
