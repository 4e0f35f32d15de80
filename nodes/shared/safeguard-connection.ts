import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import { catalogue } from '../../core/catalogue';
import { Coordination } from '../../core/redis/coordination';
import { Safeguard } from '../../core/safeguard/guard';
import { redisConfigFromCredentials } from './redis-connection';

export const SAFEGUARD_CREDENTIAL = 'widipSafeguardApi';

/**
 * The label of the Safeguard credential where a service node offers it (optional): a technician
 * sees it matters only when the node runs as an AI tool or runs a Safeguard Gate's approval (its
 * policy, approvals and audit live there); an ordinary run never uses it.
 */
export const OPTIONAL_SAFEGUARD_LABEL = 'Safeguard (Only for AI Tool Use and Gate Approvals)';

export interface OpenSafeguard {
	safeguard: Safeguard;
	coordination: Coordination;
}

/** Connects to Safeguard's Redis with the credential's key (empty = the catalogue's levels apply). */
export async function openSafeguard(credentials: ICredentialDataDecryptedObject): Promise<OpenSafeguard> {
	const coordination = await Coordination.connect(redisConfigFromCredentials(credentials));
	const key = typeof credentials.safeguardSecret === 'string' && credentials.safeguardSecret ? credentials.safeguardSecret : undefined;
	return { coordination, safeguard: new Safeguard(coordination.redis, coordination.config.keyPrefix, catalogue, key) };
}

/**
 * Credential test: connects, then reads the policy, so a Redis user without access to Safeguard's
 * keys fails here, and says whether the key matches the runtime's signed policy.
 */
export async function widipSafeguardConnectionTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	let opened: OpenSafeguard | undefined;
	try {
		opened = await openSafeguard(credential.data ?? {});
		const verified = await opened.safeguard.policy.readVerified();
		if (verified.source === 'signed') return { status: 'OK', message: "Connected; the runtime's signed policy is valid with this key" };
		if (verified.problem && credential.data?.safeguardSecret) return { status: 'Error', message: `Connected, but ${verified.problem}` };
		return { status: 'OK', message: `Connected; ${verified.problem ?? 'no policy published yet'}: the catalogue's levels apply` };
	} catch (error) {
		return { status: 'Error', message: (error as Error).message };
	} finally {
		await opened?.coordination.close();
	}
}
