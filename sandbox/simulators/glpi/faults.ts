import type { FastifyReply, FastifyRequest } from 'fastify';

import type { Fault, FaultRule } from '../base';

/**
 * What sits in front of GLPI or differs between GLPI setups, on top of the shared faults:
 * - `html_login`: `200 OK` with an HTML login page, as an SSO gateway, a captive portal or a
 *   reverse proxy answers a request it has not authenticated (`pathIncludes: '/initSession'` for
 *   the login call only);
 * - `plain_text`: `200 OK` with a text/plain body (a proxy's or a load balancer's own answer);
 * - `ignore_sanitize_header`: text stays HTML-encoded although the client sent
 *   `X-GLPI-Sanitized-Content: false`, as with GLPI 9.5 or a proxy that strips the header.
 */
export type GlpiOnlyFault = { mode: 'html_login'; title?: string } | { mode: 'plain_text'; body?: string } | { mode: 'ignore_sanitize_header' };
export type GlpiFault = Fault | GlpiOnlyFault;
export type GlpiFaultRule = Omit<FaultRule, 'fault'> & { fault: GlpiFault };

const GLPI_ONLY = new Set(['html_login', 'plain_text', 'ignore_sanitize_header']);

export function isGlpiOnly(rule: GlpiFaultRule): rule is Omit<FaultRule, 'fault'> & { fault: GlpiOnlyFault } {
	return GLPI_ONLY.has(rule.fault.mode);
}

function loginPage(title: string): string {
	return `<!DOCTYPE html>
<html lang="fr">
<head><meta charset="utf-8"><title>${title}</title></head>
<body>
<form method="post" action="/sso/login?return=%2Fapirest.php">
<label>Identifiant <input name="username"></label>
<label>Mot de passe <input name="password" type="password"></label>
<button type="submit">Se connecter</button>
</form>
</body>
</html>`;
}

/** The GLPI-only fault rules, matched like the shared ones (method, path, times). */
export class GlpiFaults {
	private rules: Array<Omit<FaultRule, 'fault'> & { fault: GlpiOnlyFault; left: number }> = [];

	add(rule: Omit<FaultRule, 'fault'> & { fault: GlpiOnlyFault }): void {
		this.rules.push({ ...rule, left: rule.times ?? Number.POSITIVE_INFINITY });
	}

	clear(): void {
		this.rules = [];
	}

	/** Answers in place of GLPI when a page rule matches; marks the request when text must stay encoded. */
	apply(request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
		const path = request.url.split('?')[0];
		const rule = this.rules.find(
			(candidate) =>
				candidate.left > 0 && (!candidate.method || candidate.method === request.method) && (!candidate.pathIncludes || path.includes(candidate.pathIncludes)),
		);
		if (!rule) return undefined;
		rule.left--;
		const fault = rule.fault;
		switch (fault.mode) {
			case 'html_login':
				return reply.code(200).type('text/html; charset=utf-8').send(loginPage(fault.title ?? 'Sign in'));
			case 'plain_text':
				return reply.code(200).type('text/plain; charset=utf-8').send(fault.body ?? 'OK');
			case 'ignore_sanitize_header':
				(request as FastifyRequest & { ignoreSanitizeHeader?: boolean }).ignoreSanitizeHeader = true;
				return undefined;
		}
	}
}

export function ignoresSanitizeHeader(request: FastifyRequest): boolean {
	return (request as FastifyRequest & { ignoreSanitizeHeader?: boolean }).ignoreSanitizeHeader === true;
}
