import type { z } from 'zod/v4';

import { WidipError } from '../errors';
import { HttpService } from '../http/client';
import { silentLogger, type Logger } from '../logger';
import { parsePhibeeConfig, type PhibeeConfig, type PhibeeConfigInput } from './config';
import {
	incidentListBody,
	linkBody,
	linkListBody,
	linkStatusBody,
	outageDiagnosisBody,
	PHIBEE_API_KEY_HEADER,
	PHIBEE_ROUTES,
	phibeeErrorBody,
	phibeePath,
	type IncidentBody,
	type LinkBody,
	type OutageRequest,
} from './contract';
import type {
	Incident,
	IncidentFilter,
	LinkInfo,
	LinkStatus,
	OutageDiagnosis,
	OutageTarget,
} from './model';

/** One call of the contract: a route, the values of its `:name` segments, query and body. */
interface PhibeeCall {
	route: { method: 'GET' | 'POST'; path: string };
	params?: Record<string, string>;
	query?: Record<string, string>;
	body?: unknown;
}

/** Phibee's `{error: {message}}` becomes the detail of our error message. */
function phibeeErrorDetail(_status: number, body: unknown): { detail?: string } | undefined {
	const parsed = phibeeErrorBody.safeParse(body);
	return parsed.success ? { detail: parsed.data.error.message } : undefined;
}

function toLinkInfo(link: LinkBody): LinkInfo {
	return {
		linkId: link.link_id,
		clientId: link.client_id,
		siteName: link.site_name,
		technology: link.technology,
		bandwidthDownMbps: link.bandwidth_down_mbps,
		bandwidthUpMbps: link.bandwidth_up_mbps,
		address: {
			street: link.address.street,
			postalCode: link.address.postal_code,
			city: link.address.city,
		},
		wanIp: link.wan_ip,
		contract: {
			reference: link.contract.reference,
			sla: link.contract.sla,
			startDate: link.contract.start_date,
		},
	};
}

function toIncident(incident: IncidentBody): Incident {
	return {
		id: incident.id,
		linkId: incident.link_id,
		status: incident.status,
		kind: incident.kind,
		title: incident.title,
		openedAt: incident.opened_at,
		closedAt: incident.closed_at,
		eta: incident.eta,
	};
}

/**
 * Phibee Telecom's diagnostic API (fibre links of WIDIP's sites). Every call is a read, so
 * every call is retried with backoff inside the configured deadline.
 */
export class PhibeeClient {
	readonly config: PhibeeConfig;
	private readonly http: HttpService;

	constructor(config: PhibeeConfigInput, logger: Logger = silentLogger) {
		this.config = parsePhibeeConfig(config);
		this.http = new HttpService(
			'Phibee',
			'phibee',
			{
				baseUrl: this.config.baseUrl,
				timeoutMs: this.config.timeoutMs,
				retries: this.config.retries,
				backoffMs: this.config.backoffMs,
			},
			logger,
			phibeeErrorDetail,
		);
	}

	async diagnoseOutage(target: OutageTarget): Promise<OutageDiagnosis> {
		const operation = 'phibee.diagnose_outage';
		const body: OutageRequest = {
			client_id: target.clientId,
			ip: target.ip,
			device: target.device,
		};
		const answer = await this.read(operation, outageDiagnosisBody, {
			route: PHIBEE_ROUTES.diagnoseOutage,
			body,
		});
		return {
			linkId: answer.link_id,
			clientId: answer.client_id,
			responsibility: answer.responsibility,
			diagnosis: answer.diagnosis,
			recommendation: answer.recommendation,
			ticketAction: answer.ticket_action,
			providerTicket: answer.provider_ticket,
			eta: answer.eta,
			linkStatus: answer.link_status,
			checkedAt: answer.checked_at,
		};
	}

	async testLinkStatus(linkId: string): Promise<LinkStatus> {
		const answer = await this.read('phibee.test_link_status', linkStatusBody, {
			route: PHIBEE_ROUTES.linkStatus,
			params: { link_id: linkId },
		});
		return {
			linkId: answer.link_id,
			status: answer.status,
			latencyMs: answer.latency_ms,
			packetLossPct: answer.packet_loss_pct,
			ontStatus: answer.ont_status,
			cpeReachable: answer.cpe_reachable,
			lastChange: answer.last_change,
			checkedAt: answer.checked_at,
		};
	}

	async getLink(linkId: string): Promise<LinkInfo> {
		const answer = await this.read('phibee.get_link_info', linkBody, {
			route: PHIBEE_ROUTES.getLink,
			params: { link_id: linkId },
		});
		return toLinkInfo(answer);
	}

	async listClientLinks(clientId: string): Promise<LinkInfo[]> {
		const answer = await this.read('phibee.get_link_info', linkListBody, {
			route: PHIBEE_ROUTES.listLinks,
			query: { client_id: clientId },
		});
		return answer.links.map(toLinkInfo);
	}

	async clientIncidents(clientId: string, status: IncidentFilter): Promise<Incident[]> {
		const answer = await this.read('phibee.get_client_incidents', incidentListBody, {
			route: PHIBEE_ROUTES.clientIncidents,
			params: { client_id: clientId },
			query: { status },
		});
		return answer.incidents.map(toIncident);
	}

	/** Nothing to release (one fetch per call); kept so every service client closes the same way. */
	async close(): Promise<void> {}

	private async read<S extends z.ZodType>(
		operation: string,
		schema: S,
		call: PhibeeCall,
	): Promise<z.output<S>> {
		const { route, params = {}, query, body } = call;
		for (const [name, value] of Object.entries(params)) {
			// `..` would climb out of the path once the URL is resolved (even percent-encoded).
			if (!value.trim() || /^\.+$/.test(value)) {
				throw new WidipError(
					'bad_request',
					`Phibee (${operation}): ${name} "${value}" is not a valid identifier`,
					{
						service: 'phibee',
						operation,
					},
				);
			}
		}
		const response = await this.http.request({
			operation,
			method: route.method,
			path: phibeePath(route.path, params),
			query,
			body,
			headers: { [PHIBEE_API_KEY_HEADER]: this.config.apiKey },
			retry: true,
		});
		const parsed = schema.safeParse(response.body);
		if (!parsed.success) {
			const where = parsed.error.issues[0]?.path.join('.') || '(body)';
			// A changed or broken API must say so, not hand half-read data to an agent.
			throw new WidipError(
				'unavailable',
				`Phibee (${operation}): unexpected answer (field ${where} does not match our contract)`,
				{
					service: 'phibee',
					operation,
				},
			);
		}
		return parsed.data;
	}
}
