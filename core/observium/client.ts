/** Placeholder: replaced by the real observium client. */
export class ObserviumClient {
	async close(): Promise<void> {}
}
