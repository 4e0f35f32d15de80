import type { Logger } from '../../core/logger';
import { MailClient } from '../../core/mail/client';
import type { MailConfigInput } from '../../core/mail/config';
import { SINK_USER, type SmtpSink } from '../../sandbox/simulators/smtp-sink';

export const SMTP_PASSWORD = 'Sm7p-Relay-Secret-42';
export const FROM = 'Support WIDIP <support@widip.fr>';

/** A logger that keeps every line, message and metadata, to grep for secrets afterwards. */
export function capturingLogger(): Logger & { lines: string[] } {
	const lines: string[] = [];
	const record = (level: string) => (message: string, meta?: Record<string, unknown>) => {
		lines.push(`${level} ${message} ${JSON.stringify(meta ?? {})}`);
	};
	return { lines, debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
}

export function sinkConfig(sink: SmtpSink, extra: Partial<MailConfigInput> = {}): MailConfigInput {
	return {
		host: '127.0.0.1',
		port: sink.port,
		user: SINK_USER,
		password: SMTP_PASSWORD,
		from: FROM,
		timeoutMs: 3000,
		...extra,
	};
}

export function sinkClient(sink: SmtpSink, logger?: Logger, extra: Partial<MailConfigInput> = {}): MailClient {
	return new MailClient(sinkConfig(sink, extra), logger);
}
