import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	IExecuteFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import type { RedisConfigInput } from '../../core/redis/config';
import { Coordination } from '../../core/redis/coordination';

export const REDIS_CREDENTIAL = 'widipRedisApi';

export function redisConfigFromCredentials(credentials: ICredentialDataDecryptedObject): RedisConfigInput {
	return {
		host: String(credentials.host ?? '127.0.0.1'),
		port: Number(credentials.port ?? 6379),
		username: (credentials.username as string) || undefined,
		password: (credentials.password as string) || undefined,
		db: Number(credentials.database ?? 0),
		tls: credentials.tls === true,
		// An empty or malformed prefix is refused by the config parser (Coordination.connect), never defaulted.
		keyPrefix: typeof credentials.keyPrefix === 'string' ? credentials.keyPrefix : 'widip:',
		timeoutMs: Number(credentials.timeoutMs ?? 5000),
		reconnect: false,
	};
}

export async function openRedisClients(context: IExecuteFunctions) {
	const credentials = await context.getCredentials(REDIS_CREDENTIAL);
	const coordination = await Coordination.connect(redisConfigFromCredentials(credentials));
	return { clients: { redis: coordination }, close: () => coordination.close() };
}

/** Credential test: connects, authenticates and pings within the configured timeout. */
export async function widipRedisConnectionTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	let coordination: Coordination | undefined;
	try {
		coordination = await Coordination.connect(redisConfigFromCredentials(credential.data ?? {}));
		await coordination.ping();
		return { status: 'OK', message: 'Connection successful' };
	} catch (error) {
		return { status: 'Error', message: (error as Error).message };
	} finally {
		await coordination?.close();
	}
}
