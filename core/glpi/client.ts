/** Placeholder: replaced by the real glpi client. */
export class GlpiClient {
	async close(): Promise<void> {}
}
