/** Placeholder: replaced by the real mysecret client. */
export class MySecretClient {
	async close(): Promise<void> {}
}
