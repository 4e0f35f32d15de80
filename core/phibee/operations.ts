import { isIP } from 'node:net';

import { z } from 'zod/v4';

import { defineOperation } from '../catalogue/operation';
import { WidipError } from '../errors';
import { INCIDENT_FILTERS } from './contract';
import { incident, linkInfo, linkStatus, outageDiagnosis } from './model';

/** Ids go into URL paths: letters, digits, `-` and `_` only, so no value can climb the path. */
const identifier = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

const clientId = z
	.string()
	.regex(identifier, 'use letters, digits, - or _ (e.g. PHB-BELLEVUE)')
	.describe("Phibee client id of the site, e.g. PHB-BELLEVUE (GLPI's client record holds it)")
	.meta({ title: 'Client ID', placeholder: 'PHB-BELLEVUE' });

const linkId = z
	.string()
	.regex(identifier, 'use letters, digits, - or _ (e.g. LNK-BELLEVUE-01)')
	.describe('Phibee link id, e.g. LNK-BELLEVUE-01 (Diagnose Outage and Get Link Info return it)')
	.meta({ title: 'Link ID', placeholder: 'LNK-BELLEVUE-01' });

const ip = z
	.string()
	.refine((value) => isIP(value) !== 0, 'expected an IPv4 or IPv6 address')
	.describe(
		"WAN IP address of the site's router, e.g. 198.51.100.11 (the address Observium alerts on)",
	)
	.meta({ title: 'IP Address', placeholder: '198.51.100.11' });

const device = z
	.string()
	.regex(
		/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/,
		'expected a device name such as EHPAD-Bellevue-RTR01',
	)
	.describe(
		'Device name as WIDIP names it (site, role, number), e.g. EHPAD-Bellevue-RTR01 from an Observium alert',
	)
	.meta({ title: 'Device', placeholder: 'EHPAD-Bellevue-RTR01' });

export const phibeeDiagnoseOutage = defineOperation({
	id: 'phibee.diagnose_outage',
	service: 'phibee',
	displayName: 'Diagnose Outage',
	summary: 'Ask Phibee who is responsible for a site\'s outage: the fibre, the site\'s router or power.',
	description:
		"Ask Phibee (the fibre ISP) who is responsible for a site's outage. Give the client id, the router's WAN IP or the device name (at least one). Returns {responsibility: phibee_fai (fibre/ISP fault) | router_client (link up, the site's router does not answer) | power (power cut at the site) | none (no fault seen), diagnosis, recommendation, ticketAction: open_provider_ticket | dispatch_technician | contact_site | none, providerTicket (Phibee's ticket id or null), eta (ISO time or null), linkId, linkStatus}. Read-only.",
	level: 0,
	input: z
		.strictObject({ clientId: clientId.optional(), ip: ip.optional(), device: device.optional() })
		.refine((target) => Boolean(target.clientId || target.ip || target.device), {
			message: 'give at least one of clientId, ip or device',
		}),
	output: outageDiagnosis,
	handler: async (target, phibee) => await phibee.diagnoseOutage(target),
});

export const phibeeTestLinkStatus = defineOperation({
	id: 'phibee.test_link_status',
	service: 'phibee',
	displayName: 'Test Link Status',
	summary: 'Test a fibre link now: up, down or degraded.',
	description:
		"Test a Phibee fibre link now. Returns {status: up | down | degraded, latencyMs (null when the site's router does not answer), packetLossPct, ontStatus: online | loss_of_signal (fibre cut) | dying_gasp (power lost), cpeReachable, lastChange (ISO time of the last state change)}. Read-only.",
	level: 0,
	input: z.strictObject({ linkId }),
	output: linkStatus,
	handler: async ({ linkId }, phibee) => await phibee.testLinkStatus(linkId),
});

export const phibeeGetLinkInfo = defineOperation({
	id: 'phibee.get_link_info',
	service: 'phibee',
	displayName: 'Get Link Info',
	summary: 'Describe a site\'s fibre links and their contract.',
	description:
		"Describe a site's Phibee fibre links: technology (FTTH/FTTO), bandwidth, address, site name, WAN IP and contract (reference, SLA). Give a link id, or a client id for all of that client's links. Returns {count, links: [...]}. Read-only.",
	level: 0,
	input: z
		.strictObject({ linkId: linkId.optional(), clientId: clientId.optional() })
		.refine((target) => Boolean(target.linkId || target.clientId), {
			message: 'give a linkId or a clientId',
		}),
	output: z.object({ count: z.number().int(), links: z.array(linkInfo) }),
	handler: async ({ linkId, clientId }, phibee) => {
		if (!linkId) {
			const links = await phibee.listClientLinks(clientId!);
			return { count: links.length, links };
		}
		const link = await phibee.getLink(linkId);
		if (clientId && link.clientId !== clientId) {
			throw new WidipError(
				'bad_request',
				`Phibee link ${linkId} belongs to client ${link.clientId}, not ${clientId}`,
				{
					service: 'phibee',
					operation: 'phibee.get_link_info',
				},
			);
		}
		return { count: 1, links: [link] };
	},
});

export const phibeeGetClientIncidents = defineOperation({
	id: 'phibee.get_client_incidents',
	service: 'phibee',
	displayName: 'Get Client Incidents',
	summary: 'List the incidents Phibee records for a client.',
	description:
		"List the incidents Phibee records for a client (fibre cuts, maintenance…), open, closed or all. Returns {clientId, openCount, incidents: [{id, linkId, status, kind, title, openedAt, closedAt, eta}]}. An open incident's id is Phibee's ticket: quote it in GLPI. Read-only.",
	level: 0,
	input: z.strictObject({
		clientId,
		status: z
			.enum(INCIDENT_FILTERS)
			.default('all')
			.describe('Which incidents: open, closed or all')
			.meta({ title: 'Status' }),
	}),
	output: z.object({
		clientId: z.string(),
		openCount: z.number().int(),
		incidents: z.array(incident),
	}),
	handler: async ({ clientId, status }, phibee) => {
		const incidents = await phibee.clientIncidents(clientId, status);
		return {
			clientId,
			openCount: incidents.filter((item) => item.status === 'open').length,
			incidents,
		};
	},
});

export const phibeeOperations = [
	phibeeDiagnoseOutage,
	phibeeTestLinkStatus,
	phibeeGetLinkInfo,
	phibeeGetClientIncidents,
];
