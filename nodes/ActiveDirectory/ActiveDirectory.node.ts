import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { catalogue } from '../../core/catalogue';
import { catalogueProperties, catalogueSubtitle } from '../shared/catalogue-properties';
import { executeCatalogueOperation } from '../shared/execute-operation';
import { OPTIONAL_SAFEGUARD_LABEL, widipSafeguardConnectionTest } from '../shared/safeguard-connection';
import { openAdClients, widipAdConnectionTest } from './connection';

/**
 * Active Directory accounts over LDAPS or PowerShell-over-SSH. Passwords it generates leave only as
 * one-time MySecret links unless the workflow explicitly asks otherwise.
 */
export class ActiveDirectory implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WIDIP Active Directory',
		name: 'activeDirectory',
		icon: { light: 'file:../../icons/ad.svg', dark: 'file:../../icons/ad.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: catalogueSubtitle(catalogue.list({ service: 'ad' })),
		description: 'Check, unlock, reset, enable, disable, move, create and delete Active Directory accounts',
		defaults: { name: 'Active Directory' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [
			{ name: 'widipActiveDirectoryApi', required: true, displayName: 'Credential for Active Directory', testedBy: 'widipAdConnectionTest' },
			// Where Reset Password and Create User put the new password as a one-time link.
			{ name: 'widipMySecretApi', required: false, displayName: 'MySecret (for Password Links)' },
			// Safeguard's policy, approvals and audit: when the node runs as an AI tool or after a Safeguard Gate.
			{ name: 'widipSafeguardApi', required: false, displayName: OPTIONAL_SAFEGUARD_LABEL, testedBy: 'widipSafeguardConnectionTest' },
		],
		properties: catalogueProperties(catalogue.list({ service: 'ad' })),
	};

	methods = { credentialTest: { widipAdConnectionTest, widipSafeguardConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeCatalogueOperation(this, { outputs: 1, openClients: () => openAdClients(this) });
	}
}
