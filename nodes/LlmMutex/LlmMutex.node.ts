import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { catalogue } from '../../core/catalogue';
import { catalogueProperties, catalogueSubtitle } from '../shared/catalogue-properties';
import { executeCatalogueOperation } from '../shared/execute-operation';
import { OPTIONAL_SAFEGUARD_LABEL, widipSafeguardConnectionTest } from '../shared/safeguard-connection';
import { openRedisClients, widipRedisConnectionTest } from '../shared/redis-connection';

const OPERATIONS = catalogue.list({ ids: ['redis.mutex_acquire', 'redis.mutex_release'] });

/**
 * Serialises work on a shared resource (the GPU) across workflows, workers and processes:
 * Acquire → work → Release. Waiters are served first come, first served and woken by a push.
 */
export class LlmMutex implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WIDIP LLM Mutex',
		name: 'llmMutex',
		icon: { light: 'file:../../icons/mutex.svg', dark: 'file:../../icons/mutex.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: catalogueSubtitle(OPERATIONS),
		description: 'Take turns on a shared resource such as the GPU: acquire a Redis lock, work, release it',
		defaults: { name: 'LLM Mutex' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Done', 'Timed Out'],
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
		return await executeCatalogueOperation(this, {
			outputs: 2,
			openClients: () => openRedisClients(this),
			// An Acquire that waited its whole timeout leaves by "Timed Out"; everything else by "Done".
			route: (operationId, result: IDataObject) =>
				operationId === 'redis.mutex_acquire' && result.acquired === false ? 1 : 0,
		});
	}
}
