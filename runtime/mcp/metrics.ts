import { Counter, Histogram, Registry } from 'prom-client';

/** The MCP server's Prometheus metrics (prom-client, the runtime's registry, served at /metrics). */
export class McpMetrics {
	private readonly calls: Counter<'tool' | 'outcome'>;
	private readonly latency: Histogram<'tool'>;
	private readonly decisions: Counter<'outcome'>;
	private readonly rateLimited: Counter<'agent'>;

	constructor(readonly registry: Registry = new Registry()) {
		this.calls = new Counter({
			name: 'widip_mcp_calls_total',
			help: 'MCP tool calls by tool and outcome (ok, approval_required, refused:<why>, forbidden, invalid, failed, unknown_tool)',
			labelNames: ['tool', 'outcome'],
			registers: [registry],
		});
		this.latency = new Histogram({
			name: 'widip_mcp_call_duration_seconds',
			help: 'Time to answer an MCP tool call, Safeguard and the service included',
			labelNames: ['tool'],
			buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
			registers: [registry],
		});
		this.decisions = new Counter({
			name: 'widip_safeguard_decisions_total',
			help: 'Safeguard verdicts on MCP calls (allowed, approval_required, refused, forbidden, invalid)',
			labelNames: ['outcome'],
			registers: [registry],
		});
		this.rateLimited = new Counter({
			name: 'widip_mcp_rate_limited_total',
			help: 'MCP requests refused by the per-key rate limit',
			labelNames: ['agent'],
			registers: [registry],
		});
	}

	observeCall(tool: string, outcome: string, seconds: number): void {
		this.calls.inc({ tool, outcome });
		this.latency.observe({ tool }, seconds);
	}

	decision(outcome: string): void {
		this.decisions.inc({ outcome });
	}

	limited(agent: string): void {
		this.rateLimited.inc({ agent });
	}
}
