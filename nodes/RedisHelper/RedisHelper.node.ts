import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { catalogue } from '../../core/catalogue';
import { catalogueProperties, catalogueSubtitle } from '../shared/catalogue-properties';
import { executeCatalogueOperation } from '../shared/execute-operation';
import { OPTIONAL_SAFEGUARD_LABEL, widipSafeguardConnectionTest } from '../shared/safeguard-connection';
import { openRedisClients, widipRedisConnectionTest } from '../shared/redis-connection';

const OPERATIONS = catalogue.list({ ids: ['redis.get', 'redis.set', 'redis.delete', 'redis.set_if_not_exists'] });

/** The seed's Redis Helper v2.2: Get, Set (TTL), Delete, Set If Not Exists, in `<prefix>cache:` (platform namespaces refused). */
export class RedisHelper implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WIDIP Redis Helper',
		name: 'redisHelper',
		icon: { light: 'file:../../icons/redis.svg', dark: 'file:../../icons/redis.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: catalogueSubtitle(OPERATIONS),
		description: 'Get, set and delete values in the shared WIDIP Redis cache',
		defaults: { name: 'Redis Helper' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [
			{ name: 'widipRedisApi', required: true, displayName: 'Credential for Redis', testedBy: 'widipRedisConnectionTest' },
			// Safeguard's policy, approvals and audit: when the node runs as an AI tool or after a Safeguard Gate.
			{ name: 'widipSafeguardApi', required: false, displayName: OPTIONAL_SAFEGUARD_LABEL, testedBy: 'widipSafeguardConnectionTest' },
		],
		properties: catalogueProperties(OPERATIONS),
	};

	methods = { credentialTest: { widipRedisConnectionTest, widipSafeguardConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeCatalogueOperation(this, { outputs: 1, openClients: () => openRedisClients(this) });
	}
}
