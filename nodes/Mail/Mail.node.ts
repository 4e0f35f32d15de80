import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { catalogue } from '../../core/catalogue';
import { catalogueProperties, catalogueSubtitle } from '../shared/catalogue-properties';
import { executeCatalogueOperation } from '../shared/execute-operation';
import { OPTIONAL_SAFEGUARD_LABEL, widipSafeguardConnectionTest } from '../shared/safeguard-connection';
import { openMailClients, widipSmtpConnectionTest } from './connection';

const OPERATIONS = catalogue.list({ service: 'mail' });

/** WIDIP's mail: free-form mails, French templates, and notifications to a configured group. */
export class Mail implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WIDIP Mail',
		name: 'mail',
		icon: { light: 'file:../../icons/mail.svg', dark: 'file:../../icons/mail.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: catalogueSubtitle(OPERATIONS),
		description: 'Send WIDIP mails: free-form, from a template, or to a whole group',
		defaults: { name: 'Mail' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [
			{ name: 'widipSmtpApi', required: true, displayName: 'Credential for SMTP', testedBy: 'widipSmtpConnectionTest' },
			// Safeguard's policy, approvals and audit: when the node runs as an AI tool or after a Safeguard Gate.
			{ name: 'widipSafeguardApi', required: false, displayName: OPTIONAL_SAFEGUARD_LABEL, testedBy: 'widipSafeguardConnectionTest' },
		],
		properties: catalogueProperties(OPERATIONS),
	};

	methods = { credentialTest: { widipSmtpConnectionTest, widipSafeguardConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeCatalogueOperation(this, { outputs: 1, openClients: () => openMailClients(this) });
	}
}
