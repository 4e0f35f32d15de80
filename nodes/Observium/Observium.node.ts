import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { catalogue } from '../../core/catalogue';
import { catalogueProperties, catalogueSubtitle } from '../shared/catalogue-properties';
import { executeCatalogueOperation } from '../shared/execute-operation';
import { OBSERVIUM_CREDENTIAL, openObserviumClients } from './connection';

const OPERATIONS = catalogue.list({ service: 'observium' });

/** Observium network monitoring: device status, port metrics, alerts, history, alert webhooks. */
export class Observium implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WIDIP Observium',
		name: 'observium',
		icon: { light: 'file:../../icons/observium.svg', dark: 'file:../../icons/observium.dark.svg' },
		group: ['input'],
		version: 1,
		subtitle: catalogueSubtitle(OPERATIONS),
		description: 'Read device status, port traffic, alerts and history from Observium, and normalise its alert webhooks',
		defaults: { name: 'Observium' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [{ name: OBSERVIUM_CREDENTIAL, required: true, displayName: 'Credential for Observium' }],
		properties: catalogueProperties(OPERATIONS),
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeCatalogueOperation(this, { outputs: 1, openClients: () => openObserviumClients(this) });
	}
}
