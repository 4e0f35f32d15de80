import { timingSafeEqual } from 'node:crypto';

import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	IDataObject,
	IHookFunctions,
	INodeCredentialTestResult,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { normalizeAlert } from '../../core/observium/alert-webhook';

const MIN_SECRET_LENGTH = 24;

function sameSecret(given: string, expected: string): boolean {
	const a = Buffer.from(given);
	const b = Buffer.from(expected);
	return a.length === b.length && timingSafeEqual(a, b);
}

/** The secret from `Authorization: Basic base64(user:secret)` or `Authorization: Bearer secret`. */
function presented(header: string | undefined, user: string): string | undefined {
	if (!header) return undefined;
	const [scheme, value = ''] = header.trim().split(/\s+/, 2);
	if (/^bearer$/i.test(scheme)) return value;
	if (!/^basic$/i.test(scheme)) return undefined;
	const decoded = Buffer.from(value, 'base64').toString('utf8');
	const colon = decoded.indexOf(':');
	if (colon < 0 || decoded.slice(0, colon) !== user) return undefined;
	return decoded.slice(colon + 1);
}

/**
 * Starts a workflow from an Observium alert webhook. Unlike n8n's Webhook node, the execution gets
 * only the normalised alert: the request's headers (with the shared secret) are never stored in
 * n8n's execution data. A wrong secret (401) or a body that is no Observium alert (400, an HTML page
 * from a proxy included) is answered at once and starts nothing.
 */
export class ObserviumTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WIDIP Observium Trigger',
		name: 'observiumTrigger',
		icon: { light: 'file:../../icons/observium.svg', dark: 'file:../../icons/observium.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{ "POST /webhook/" + $parameter["path"] }}',
		description: "Starts the workflow when Observium sends an alert to its webhook, with the alert normalised and the shared secret checked",
		defaults: { name: 'Observium Alert' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'widipObserviumWebhookApi', required: true, displayName: 'Shared Secret of the Observium Webhook', testedBy: 'observiumWebhookSecretTest' },
		],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				// Empty, so n8n answers with webhook()'s own webhookResponse (else it sends "firstEntryJson").
				responseData: '',
				path: '={{ $parameter["path"] }}',
				isFullPath: true,
			},
		],
		properties: [
			{
				displayName: 'Path',
				name: 'path',
				type: 'string',
				default: 'widip-proactif-observium',
				required: true,
				description: 'The webhook path Observium posts to: &lt;n8n URL&gt;/webhook/&lt;path&gt;. Unique across all workflows.',
			},
			{
				displayName:
					"In Observium, add a Webhook contact whose URL carries the secret: https://observium:&lt;secret&gt;@&lt;n8n host&gt;/webhook/&lt;path&gt;. The alert reaches the workflow normalised (state, device, entity, severity, time…), without the request's headers.",
				name: 'setupNotice',
				type: 'notice',
				default: '',
			},
		],
	};

	methods = {
		credentialTest: {
			/** Nothing remote to call: the test checks what the trigger will enforce, a long enough secret. */
			async observiumWebhookSecretTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
				const secret = String(credential.data?.secret ?? '');
				return secret.length >= MIN_SECRET_LENGTH
					? { status: 'OK', message: 'The secret is long enough; put it in the webhook URL of the Observium contact' }
					: { status: 'Error', message: `The secret needs at least ${MIN_SECRET_LENGTH} characters (it has ${secret.length})` };
			},
		},
	};

	/**
	 * Observium's webhook contacts are set up by hand in Observium (there is no API to register one):
	 * n8n's lifecycle has nothing to create or delete.
	 */
	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const response = this.getResponseObject();
		const credential = await this.getCredentials<{ user?: string; secret?: string }>('widipObserviumWebhookApi');
		const expected = String(credential.secret ?? '');
		if (expected.length < MIN_SECRET_LENGTH) {
			// A short or empty secret would let anyone in: refuse every call until it is fixed.
			response.status(500).json({ error: `the WIDIP Observium Webhook credential needs a secret of at least ${MIN_SECRET_LENGTH} characters` });
			return { noWebhookResponse: true };
		}
		const given = presented(this.getHeaderData().authorization, String(credential.user || 'observium'));
		if (given === undefined || !sameSecret(given, expected)) {
			response.status(401).set('WWW-Authenticate', 'Basic realm="widip-observium"').json({ error: 'missing or wrong webhook secret' });
			return { noWebhookResponse: true };
		}
		const body = this.getBodyData();
		const refuse = (why: string): IWebhookResponseData => {
			response.status(400).json({ error: `not an Observium alert: ${why}` });
			return { noWebhookResponse: true };
		};
		if (!body || typeof body !== 'object' || Array.isArray(body)) return refuse('the body is not a JSON object of Observium tags');
		let alert: IDataObject;
		try {
			alert = normalizeAlert(body as Record<string, unknown>) as unknown as IDataObject;
		} catch (error) {
			return refuse((error as Error).message.split('\n')[0]);
		}
		return {
			workflowData: [[{ json: alert }]],
			webhookResponse: { accepted: true, alertId: alert.alertId, state: alert.state, device: (alert.device as IDataObject | undefined)?.hostname ?? null },
		};
	}
}
