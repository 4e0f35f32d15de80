import nodemailer, { type SMTPTransportOptions, type Transporter } from 'nodemailer';

import { silentLogger, type Logger } from '../logger';
import { groupMembers, parseMailConfig, type MailConfig, type MailConfigInput, type MailGroup } from './config';
import { mapSmtpError } from './smtp-errors';
import { renderTemplate, type RenderedMail, type TemplateName, type TemplateVariables } from './templates';

export type MailPriority = 'high' | 'normal' | 'low';

export interface OutgoingMail {
	to: string[];
	cc?: string[];
	subject: string;
	text: string;
	html?: string;
	priority: MailPriority;
	/** SMTP recipients when they differ from the To/Cc headers (a notification's hidden list). */
	envelopeTo?: string[];
}

export interface SentMail {
	messageId: string;
	accepted: string[];
	rejected: string[];
}

/**
 * Sends WIDIP's mail over one SMTP relay, built from a plain config so n8n credentials and the
 * runtime share this code. Every failure comes out as a WidipError naming the operation; the
 * password, subjects and bodies never reach the logger.
 */
export class MailClient {
	readonly config: MailConfig;
	private readonly transport: Transporter;

	constructor(
		input: MailConfigInput,
		private readonly logger: Logger = silentLogger,
	) {
		this.config = parseMailConfig(input);
		this.transport = nodemailer.createTransport(transportOptions(this.config));
	}

	/** The members of a group from the config, each address once. */
	recipientsOf(group: MailGroup): string[] {
		return groupMembers(this.config.groups, group);
	}

	async render(operation: string, template: TemplateName, variables: TemplateVariables): Promise<RenderedMail> {
		return await renderTemplate(template, variables, { templatesDir: this.config.templatesDir, operation });
	}

	async send(operation: string, mail: OutgoingMail): Promise<SentMail> {
		const started = Date.now();
		const target = { operation, host: this.config.host, port: this.config.port };
		try {
			const info = await this.transport.sendMail({
				from: this.config.from,
				to: mail.to,
				cc: mail.cc,
				subject: mail.subject,
				text: mail.text,
				html: mail.html,
				priority: mail.priority,
				...(mail.envelopeTo ? { envelope: { from: this.config.from, to: mail.envelopeTo } } : {}),
			});
			const sent: SentMail = {
				messageId: String(info.messageId),
				accepted: addressesOf(info.accepted),
				rejected: addressesOf(info.rejected),
			};
			// Counts only: recipients are personal data and subjects can carry patient-site details.
			this.logger.info('Mail sent', {
				...target,
				accepted: sent.accepted.length,
				rejected: sent.rejected.length,
				durationMs: Date.now() - started,
			});
			return sent;
		} catch (error) {
			const mapped = mapSmtpError(error, this.config, operation);
			this.logger.warn('Mail not sent', { ...target, kind: mapped.kind, durationMs: Date.now() - started });
			throw mapped;
		}
	}

	/** Connects, negotiates TLS as configured, logs in and quits: the credential test. */
	async verify(): Promise<void> {
		try {
			await this.transport.verify();
		} catch (error) {
			throw mapSmtpError(error, this.config, 'mail.verify');
		}
	}

	async close(): Promise<void> {
		this.transport.close();
	}
}

function transportOptions(config: MailConfig): SMTPTransportOptions {
	return {
		host: config.host,
		port: config.port,
		secure: config.secure,
		requireTLS: config.requireTLS,
		auth: config.user ? { user: config.user, pass: config.password ?? '' } : undefined,
		// nodemailer bounds connecting, the greeting and STARTTLS together by connectionTimeout.
		connectionTimeout: config.timeoutMs,
		greetingTimeout: config.timeoutMs,
		socketTimeout: config.timeoutMs,
		dnsTimeout: config.timeoutMs,
		// Its debug log would carry the AUTH exchange and the message itself.
		logger: false,
		debug: false,
	};
}

/** nodemailer reports recipients as strings or address objects depending on the path taken. */
function addressesOf(list: unknown): string[] {
	if (!Array.isArray(list)) return [];
	return list.map((entry) => (typeof entry === 'string' ? entry : String((entry as { address?: string }).address ?? '')));
}
