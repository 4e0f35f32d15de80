import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { catalogue } from '../../core/catalogue';
import { catalogueProperties, catalogueSubtitle } from '../shared/catalogue-properties';
import { executeCatalogueOperation } from '../shared/execute-operation';
import { openPhibeeClients, PHIBEE_CREDENTIAL } from './connection';

const OPERATIONS = catalogue.list({ service: 'phibee' });

/** Phibee Telecom diagnostics: who is responsible for an outage, link tests, link facts, incidents. */
export class Phibee implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WIDIP Phibee',
		name: 'phibee',
		icon: { light: 'file:../../icons/phibee.svg', dark: 'file:../../icons/phibee.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: catalogueSubtitle(OPERATIONS),
		description: 'Diagnose fibre outages and read links and incidents at Phibee Telecom',
		defaults: { name: 'Phibee' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [{ name: PHIBEE_CREDENTIAL, required: true, displayName: 'Credential for Phibee' }],
		properties: catalogueProperties(OPERATIONS),
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeCatalogueOperation(this, {
			outputs: 1,
			openClients: () => openPhibeeClients(this),
		});
	}
}
