import type { ICredentialDataDecryptedObject, IExecuteFunctions } from 'n8n-workflow';

import { MySecretClient } from '../../core/mysecret/client';
import type { MySecretConfigInput } from '../../core/mysecret/config';

export const MYSECRET_CREDENTIAL = 'widipMySecretApi';

export function mySecretConfigFromCredentials(
	credentials: ICredentialDataDecryptedObject,
): MySecretConfigInput {
	return {
		baseUrl: String(credentials.url ?? ''),
		apiKey: String(credentials.apiKey ?? ''),
		timeoutMs: Number(credentials.timeoutMs ?? 10_000),
	};
}

export async function openMySecretClients(context: IExecuteFunctions) {
	const credentials = await context.getCredentials(MYSECRET_CREDENTIAL);
	const mysecret = new MySecretClient(mySecretConfigFromCredentials(credentials), context.logger);
	return { clients: { mysecret }, close: () => mysecret.close() };
}
