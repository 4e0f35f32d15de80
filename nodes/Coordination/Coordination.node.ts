import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { catalogue, SERVICE_TITLES } from '../../core/catalogue';
import { catalogueProperties, catalogueSubtitle } from '../shared/catalogue-properties';
import { executeCatalogueOperation } from '../shared/execute-operation';
import { openPlatformClients } from '../shared/platform-connection';
import { widipSafeguardConnectionTest } from '../shared/safeguard-connection';

const OPERATIONS = catalogue.list({
	ids: [
		'breaker.status',
		'breaker.check',
		'breaker.record',
		'claim.claim_ticket',
		'claim.release_ticket',
		'claim.renew_ticket',
		'claim.complete_ticket',
	],
});

/**
 * Shared circuit breakers and ticket claims on the platform's Redis (the Safeguard credential's
 * connection: the agents' cache-only Redis user cannot reach these keys). Check, Record and the
 * claims are workflow-only; as an AI tool only Status runs.
 */
export class Coordination implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WIDIP Coordination',
		name: 'coordination',
		icon: { light: 'file:../../icons/coordination.svg', dark: 'file:../../icons/coordination.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: catalogueSubtitle(OPERATIONS, { label: (operation) => `${SERVICE_TITLES[operation.service]} · ${operation.displayName}` }),
		description: 'Shared circuit breakers per service and GLPI ticket claims for Assist workers',
		defaults: { name: 'Coordination' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [{ name: 'widipSafeguardApi', required: true, displayName: 'Credential for the Platform Redis (WIDIP Safeguard)', testedBy: 'widipSafeguardConnectionTest' }],
		properties: catalogueProperties(OPERATIONS),
	};

	methods = { credentialTest: { widipSafeguardConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeCatalogueOperation(this, { outputs: 1, openClients: () => openPlatformClients(this) });
	}
}
