import path from 'node:path';

import { loadScenario, pickReply, type ChatTurn, type ScenarioReply } from '../../sandbox/simulators/ollama-model';

const scenario = loadScenario(path.join(__dirname, '../../sandbox/scenarios/assist.json'));
const MODEL = 'qwen2.5:7b';
/** n8n's MCP Client Tool node of the Assist flow is named "Assist Tools": its tools carry that prefix. */
const PREFIX = 'Assist_Tools_';

function prompt(ticketId: number, content: string): ChatTurn[] {
	return [
		{ role: 'system', content: "Tu es Assist, l'agent de support de premier niveau de WIDIP… Mot de passe oublié, compte existant et actif : …" },
		{ role: 'user', content: `Ticket GLPI n°${ticketId}\nDemandeur (login GLPI) : marie.dubois.bellevue\nTitre : Demande\nDescription :\n${content}` },
	];
}

/**
 * Plays an agent's loop against the scenario: each tool call the model asks for is "run" by `tools`
 * (what the runtime would answer), until the model answers with text; returns every step.
 */
function play(turns: ChatTurn[], tools: Record<string, (args: Record<string, unknown>) => unknown>): Array<{ call?: { name: string; args: Record<string, unknown> }; answer?: unknown }> {
	const steps: Array<{ call?: { name: string; args: Record<string, unknown> }; answer?: unknown }> = [];
	for (let step = 0; step < 8; step++) {
		const reply = pickReply(scenario, MODEL, turns) as ScenarioReply;
		const call = reply.tool_calls?.[0];
		if (!call) {
			steps.push({ answer: JSON.parse(reply.content ?? 'null') });
			return steps;
		}
		steps.push({ call: { name: call.function.name, args: call.function.arguments } });
		const tool = tools[call.function.name.replace(PREFIX, '')];
		if (!tool) throw new Error(`the model called ${call.function.name}, which this conversation does not offer`);
		// What n8n 2.41's MCP Client Tool hands the model for a text-only MCP result: the JSON nested as text.
		const content = JSON.stringify([{ response: [{ type: 'text', text: JSON.stringify(tool(call.function.arguments)) }] }]);
		turns = [...turns, { role: 'assistant', content: '', toolCalls: [call.function.name] }, { role: 'tool', content }];
	}
	throw new Error('the agent never answered');
}

const checkUser = (locked: boolean, enabled = true) => (args: Record<string, unknown>) => ({
	exists: true,
	sAMAccountName: args.sAMAccountName,
	displayName: 'Marie Dubois',
	distinguishedName: `CN=Marie Dubois,OU=Bellevue,DC=widip,DC=test`,
	enabled,
	locked,
});

describe('the scripted Assist agent (sandbox/scenarios/assist.json)', () => {
	it('locked account: reads the ticket, checks the account, unlocks it, then answers "unlocked" with the account', () => {
		const steps = play(prompt(4242, "Bonjour, mon compte est bloqué depuis ce matin, mon identifiant est m.dubois. Merci"), {
			glpi_get_ticket: (args) => ({ id: args.ticketId, title: 'Compte bloqué', status: 1 }),
			ad_check_user: checkUser(true),
			ad_unlock_account: (args) => ({ sAMAccountName: args.sAMAccountName, message: `Account ${String(args.sAMAccountName)} unlocked` }),
		});
		expect(steps.map((step) => step.call?.name ?? 'answer')).toEqual([`${PREFIX}glpi_get_ticket`, `${PREFIX}ad_check_user`, `${PREFIX}ad_unlock_account`, 'answer']);
		// Values come from the prompt, typed as a model writes them: the ticket id as a number.
		expect(steps[0].call?.args).toEqual({ ticketId: 4242 });
		expect(steps[1].call?.args).toEqual({ sAMAccountName: 'm.dubois' });
		expect(steps[2].call?.args).toMatchObject({ sAMAccountName: 'm.dubois', safeguardConfidence: 95 });
		expect(steps[3].answer).toMatchObject({ outcome: 'unlocked', account: 'm.dubois' });
	});

	it('forgotten password: checks the account and asks for a reset, never calling a write tool itself', () => {
		const steps = play(prompt(4243, "J'ai oublié mon mot de passe après mes congés, mon identifiant est j.bernard."), {
			glpi_get_ticket: (args) => ({ id: args.ticketId, status: 1 }),
			ad_check_user: checkUser(false),
		});
		expect(steps.map((step) => step.call?.name ?? 'answer')).toEqual([`${PREFIX}glpi_get_ticket`, `${PREFIX}ad_check_user`, 'answer']);
		expect(steps[2].answer).toMatchObject({ outcome: 'reset_requested', account: 'j.bernard' });
	});

	it('a disabled account or another kind of request goes to humans', () => {
		const disabled = play(prompt(4244, "J'ai oublié mon mot de passe, mon identifiant est p.petit."), {
			glpi_get_ticket: () => ({ status: 1 }),
			ad_check_user: checkUser(false, false),
		});
		expect(disabled.at(-1)?.answer).toMatchObject({ outcome: 'human', account: '' });

		const printer = play(prompt(4245, "L'imprimante du 1er étage n'imprime plus."), { glpi_get_ticket: () => ({ status: 1 }) });
		expect(printer.map((step) => step.call?.name ?? 'answer')).toEqual([`${PREFIX}glpi_get_ticket`, 'answer']);
		expect(printer[1].answer).toMatchObject({ outcome: 'human' });
	});
});
