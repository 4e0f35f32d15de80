import type { ICredentialDataDecryptedObject, IExecuteFunctions } from 'n8n-workflow';

import { PhibeeClient } from '../../core/phibee/client';
import type { PhibeeConfigInput } from '../../core/phibee/config';

export const PHIBEE_CREDENTIAL = 'widipPhibeeApi';

export function phibeeConfigFromCredentials(
	credentials: ICredentialDataDecryptedObject,
): PhibeeConfigInput {
	return {
		baseUrl: String(credentials.url ?? ''),
		apiKey: String(credentials.apiKey ?? ''),
		timeoutMs: Number(credentials.timeoutMs ?? 10_000),
	};
}

export async function openPhibeeClients(context: IExecuteFunctions) {
	const credentials = await context.getCredentials(PHIBEE_CREDENTIAL);
	const phibee = new PhibeeClient(phibeeConfigFromCredentials(credentials), context.logger);
	return { clients: { phibee }, close: () => phibee.close() };
}
