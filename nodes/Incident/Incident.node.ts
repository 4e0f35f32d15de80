import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { catalogue } from '../../core/catalogue';
import { catalogueProperties, catalogueSubtitle } from '../shared/catalogue-properties';
import { executeCatalogueOperation } from '../shared/execute-operation';
import { openPlatformClients } from '../shared/platform-connection';
import { SAFEGUARD_CREDENTIAL, widipSafeguardConnectionTest } from '../shared/safeguard-connection';

const OPERATIONS = catalogue.list({ service: 'incident' });

/** Intake Alert's outputs, in this order: where each decision goes. */
const INTAKE_OUTPUTS = ['New Incident', 'Update', 'Recovered', 'Suppressed'] as const;
const DECISION_OUTPUT: Record<string, number> = { new: 0, update: 1, recovered: 2, suppressed: 3 };

/**
 * n8n evaluates this when drawing the node: Intake Alert has one output per decision, the other
 * operations a single one. Written as an expression string (not a stringified function) so the
 * build's transpilation cannot change it.
 */
const OUTPUTS_EXPRESSION: `={{${string}}}` = `={{ $parameter.operation === "incident.intake" ? ${JSON.stringify(
	INTAKE_OUTPUTS.map((displayName) => ({ type: 'main', displayName })),
)} : [{ "type": "main", "displayName": "" }] }}`;

/** Alerts become incidents: dedupe, flapping, site correlation, one diagnosis per incident. */
export class Incident implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WIDIP Incident',
		name: 'incident',
		icon: { light: 'file:../../icons/incident.svg', dark: 'file:../../icons/incident.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: catalogueSubtitle(OPERATIONS),
		description: 'Turn Observium alerts into incidents shared by every worker: duplicates, reminders and flapping join one incident, devices of one site are correlated, each incident is diagnosed once',
		defaults: { name: 'Incident' },
		inputs: [NodeConnectionTypes.Main],
		outputs: OUTPUTS_EXPRESSION,
		usableAsTool: true,
		credentials: [{ name: SAFEGUARD_CREDENTIAL, required: true, displayName: 'Credential for the Platform Redis (WIDIP Safeguard)', testedBy: 'widipSafeguardConnectionTest' }],
		properties: catalogueProperties(OPERATIONS),
	};

	methods = { credentialTest: { widipSafeguardConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const intake = this.getNodeParameter('operation', 0) === 'incident.intake';
		return await executeCatalogueOperation(this, {
			outputs: intake ? INTAKE_OUTPUTS.length : 1,
			openClients: () => openPlatformClients(this),
			route: (operationId: string, result: IDataObject) =>
				operationId === 'incident.intake' && intake ? (DECISION_OUTPUT[String(result.decision)] ?? 0) : 0,
		});
	}
}
