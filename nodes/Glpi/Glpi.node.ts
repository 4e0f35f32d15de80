import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { catalogue } from '../../core/catalogue';
import { catalogueProperties, catalogueSubtitle } from '../shared/catalogue-properties';
import { executeCatalogueOperation } from '../shared/execute-operation';
import { OPTIONAL_SAFEGUARD_LABEL, widipSafeguardConnectionTest } from '../shared/safeguard-connection';
import { openGlpiClients } from './connection';

/** GLPI tickets and clients through the legacy REST API; every operation comes from the catalogue. */
export class Glpi implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WIDIP GLPI',
		name: 'glpi',
		icon: { light: 'file:../../icons/glpi.svg', dark: 'file:../../icons/glpi.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: catalogueSubtitle(catalogue.list({ service: 'glpi' })),
		description: 'Search clients and create, read, update and close GLPI tickets',
		defaults: { name: 'GLPI' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [
			{ name: 'widipGlpiApi', required: true, displayName: 'Credential for GLPI' },
			// Safeguard's policy, approvals and audit: when the node runs as an AI tool or after a Safeguard Gate.
			{ name: 'widipSafeguardApi', required: false, displayName: OPTIONAL_SAFEGUARD_LABEL, testedBy: 'widipSafeguardConnectionTest' },
		],
		properties: catalogueProperties(catalogue.list({ service: 'glpi' })),
	};

	methods = { credentialTest: { widipSafeguardConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeCatalogueOperation(this, { outputs: 1, openClients: () => openGlpiClients(this) });
	}
}
