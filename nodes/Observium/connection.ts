import type { ICredentialDataDecryptedObject, IExecuteFunctions } from 'n8n-workflow';

import type { ObserviumConfigInput } from '../../core/observium/config';
import { ObserviumClient } from '../../core/observium/client';

export const OBSERVIUM_CREDENTIAL = 'widipObserviumApi';

export function observiumConfigFromCredentials(credentials: ICredentialDataDecryptedObject): ObserviumConfigInput {
	return {
		baseUrl: String(credentials.url ?? '').trim(),
		username: String(credentials.username ?? ''),
		password: String(credentials.password ?? ''),
		timeoutMs: Number(credentials.timeoutMs ?? 10_000),
		timeZone: (credentials.timeZone as string) || 'UTC',
	};
}

/** Builds the client from the node's credential; nothing connects until an operation runs. */
export async function openObserviumClients(context: IExecuteFunctions) {
	const credentials = await context.getCredentials(OBSERVIUM_CREDENTIAL);
	const client = new ObserviumClient(observiumConfigFromCredentials(credentials), context.logger);
	return { clients: { observium: client }, close: () => client.close() };
}
