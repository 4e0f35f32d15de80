import type { IWebhookFunctions } from 'n8n-workflow';

import { ObserviumTrigger } from '../../nodes/ObserviumTrigger/ObserviumTrigger.node';
import { ALERT } from '../observium/alert-fixture';

const SECRET = 'a-webhook-secret-of-32-characters!';

/** The parts of n8n's webhook context the trigger uses, and what it answered. */
function call(options: { authorization?: string; body?: unknown; secret?: string }) {
	const answered: { status?: number; body?: unknown; headers: Record<string, string> } = { headers: {} };
	const response = {
		status(code: number) {
			answered.status = code;
			return response;
		},
		set(name: string, value: string) {
			answered.headers[name] = value;
			return response;
		},
		json(body: unknown) {
			answered.body = body;
			return response;
		},
	};
	const context = {
		getResponseObject: () => response,
		getCredentials: async () => ({ user: 'observium', secret: options.secret ?? SECRET }),
		getHeaderData: () => (options.authorization ? { authorization: options.authorization } : {}),
		getBodyData: () => options.body,
	} as unknown as IWebhookFunctions;
	return { run: () => new ObserviumTrigger().webhook.call(context), answered };
}

const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

describe('WIDIP Observium Trigger', () => {
	it('starts the workflow with the normalised alert only (no headers), and answers Observium at once', async () => {
		const { run, answered } = call({ authorization: basic('observium', SECRET), body: ALERT });
		const result = await run();
		expect(answered.status).toBeUndefined();
		const item = result.workflowData?.[0]?.[0]?.json as Record<string, unknown>;
		expect(item).toMatchObject({ alertId: 9827, state: 'ALERT', device: { hostname: 'EHPAD-Bellevue-RTR01' } });
		expect(JSON.stringify(result.workflowData)).not.toContain(SECRET);
		expect(JSON.stringify(result.workflowData)).not.toContain('authorization');
		expect(result.webhookResponse).toEqual({ accepted: true, alertId: 9827, state: 'ALERT', device: 'EHPAD-Bellevue-RTR01' });
		// A proxy may send it as a bearer token instead.
		expect((await call({ authorization: `Bearer ${SECRET}`, body: ALERT }).run()).workflowData).toHaveLength(1);
	});

	it.each([
		['no Authorization header', undefined],
		['a wrong secret', basic('observium', `${SECRET}x`)],
		['the right secret for another user', basic('admin', SECRET)],
		['a secret one character short', basic('observium', SECRET.slice(0, -1))],
		['another scheme', `Digest ${SECRET}`],
	])('%s: 401, nothing started', async (_label, authorization) => {
		const { run, answered } = call({ authorization, body: ALERT });
		const result = await run();
		expect(result).toEqual({ noWebhookResponse: true });
		expect(answered.status).toBe(401);
		expect(answered.headers['WWW-Authenticate']).toMatch(/^Basic /);
	});

	it.each([
		['an HTML page', '<html><body>Bad Gateway</body></html>'],
		['a list', [ALERT]],
		['an empty object', {}],
		['tags without a state', { DEVICE_HOSTNAME: 'x' }],
	])('%s: 400 with the reason, nothing started', async (_label, body) => {
		const { run, answered } = call({ authorization: basic('observium', SECRET), body });
		expect(await run()).toEqual({ noWebhookResponse: true });
		expect(answered.status).toBe(400);
		expect(String((answered.body as { error: string }).error)).toMatch(/^not an Observium alert: /);
	});

	it('a credential with a short secret refuses every call rather than letting anyone in', async () => {
		const { run, answered } = call({ authorization: basic('observium', 'short'), body: ALERT, secret: 'short' });
		expect(await run()).toEqual({ noWebhookResponse: true });
		expect(answered.status).toBe(500);
		expect(JSON.stringify(answered.body)).not.toContain('short"');
	});

	it("the credential test checks the secret's length (there is nothing remote to call)", async () => {
		const test = new ObserviumTrigger().methods.credentialTest.observiumWebhookSecretTest;
		const credential = (secret: string) => ({ id: '1', name: 'x', type: 'widipObserviumWebhookApi', data: { user: 'observium', secret } });
		expect(await test.call({} as never, credential(SECRET))).toMatchObject({ status: 'OK' });
		expect(await test.call({} as never, credential('short'))).toEqual({ status: 'Error', message: 'The secret needs at least 24 characters (it has 5)' });
	});
});
