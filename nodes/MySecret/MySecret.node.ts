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
import { OPTIONAL_SAFEGUARD_LABEL, widipSafeguardConnectionTest } from '../shared/safeguard-connection';
import { MYSECRET_CREDENTIAL, openMySecretClients } from './connection';

const OPERATIONS = catalogue.list({ service: 'mysecret' });

/** One-time secret links: the only way a password should reach a person. */
export class MySecret implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WIDIP MySecret',
		name: 'mySecret',
		icon: { light: 'file:../../icons/mysecret.svg', dark: 'file:../../icons/mysecret.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: catalogueSubtitle(OPERATIONS),
		description:
			'Share a password or other secret as a one-time link that expires after N days or N views',
		defaults: { name: 'MySecret' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [
			{ name: MYSECRET_CREDENTIAL, required: true, displayName: 'Credential for MySecret' },
			// Safeguard's policy, approvals and audit: when the node runs as an AI tool or after a Safeguard Gate.
			{ name: 'widipSafeguardApi', required: false, displayName: OPTIONAL_SAFEGUARD_LABEL, testedBy: 'widipSafeguardConnectionTest' },
		],
		properties: catalogueProperties(OPERATIONS),
	};

	methods = { credentialTest: { widipSafeguardConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeCatalogueOperation(this, {
			outputs: 1,
			openClients: () => openMySecretClients(this),
		});
	}
}
