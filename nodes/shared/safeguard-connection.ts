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
