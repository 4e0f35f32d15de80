/** Placeholder: replaced by the real mail client. */
export class MailClient {
	async close(): Promise<void> {}
}
