/**
 * The `widip` command's help texts and exit codes, in one place so `widip --help`, `widip help <cmd>`
 * and `widip <cmd> --help` print the same words, and the codes the help promises are the ones used.
 */

export const EXIT = {
	ok: 0,
	/** validate / deploy found problems in what they were given. */
	findings: 1,
	usage: 2,
	/** Redis or n8n unreachable, the listen port taken: nothing was wrong with the command line. */
	connection: 2,
	/** sysexits' EX_CONFIG: the WIDIP_* settings are invalid (each problem is named). */
	config: 78,
	/** sysexits' EX_SOFTWARE: a bug in widip itself. */
	internal: 70,
} as const;

const EXIT_CODES = `exit codes:
  0   ok
  1   findings: validate or deploy found problems in what it was given
  2   usage error, or a connection failed (Redis, n8n, the listen port)
  70  internal error (a bug in widip: please report it with the message)
  78  invalid configuration (WIDIP_* settings; each problem is named)
`;

export const OVERVIEW = `usage: widip <command> [options]

The WIDIP runtime and its tools, shipped with the n8n community package n8n-nodes-widip.

commands:
  serve           run the runtime: health, Safeguard approvals, notices, resuming waiting
                  executions, MCP server for agents, GPU proxy
  audit export    print the Safeguard audit stream as JSON lines
  validate        check workflow JSON files before they reach n8n (--json)
  deploy          create or update workflows in n8n from JSON files (--json)
  help <command>  a command's help (also: widip <command> --help)

options:
  -h, --help      this help
  --version       the package version

${EXIT_CODES}`;

const SERVE = `usage: widip serve

Starts the WIDIP runtime (health, Safeguard approvals, notices, resuming waiting n8n executions,
MCP server, GPU proxy) from the environment; SIGINT or SIGTERM stops it cleanly:
  WIDIP_ENV=production|development   WIDIP_HOST (127.0.0.1)   WIDIP_PORT (8080)
  WIDIP_REDIS_URL or WIDIP_REDIS_HOST / WIDIP_REDIS_PORT / WIDIP_REDIS_PASSWORD, WIDIP_REDIS_PREFIX
  WIDIP_SAFEGUARD_ENABLED (true)   WIDIP_TECHNICIAN_KEYS / WIDIP_AGENT_KEYS (name:key,name:key)
  WIDIP_L1_MIN_CONFIDENCE (80)   WIDIP_APPROVAL_TTL_MINUTES (60)   WIDIP_CONFIG_FILE (JSON, same names)
  WIDIP_SAFEGUARD_SECRET (signs the policy; same value in the WIDIP Safeguard credential; production)
  WIDIP_SAFEGUARD_LEVELS ({"operation.id": level})   WIDIP_SAFEGUARD_ALLOW_LOWER (op.id,…: production)
  WIDIP_SAFEGUARD_MAX_PENDING (10 per requester)   WIDIP_PUBLIC_URL (links in notices)
  WIDIP_NOTIFY_WEBHOOK_URL   WIDIP_NOTIFY_MAIL_TO + WIDIP_SMTP_HOST / _PORT / _SECURE / _USER / _PASSWORD / _FROM
  MCP (/mcp/<toolset>): WIDIP_MCP_TOOLSETS (JSON)   WIDIP_MCP_AGENT_TOOLSETS (agent:set+set,…)
  WIDIP_MCP_ALLOWED_HOSTS   WIDIP_MCP_RATE_LIMIT (600/min per key)   WIDIP_MCP_BODY_LIMIT_BYTES
  Services for MCP tools: WIDIP_GLPI_*, WIDIP_OBSERVIUM_*, WIDIP_PHIBEE_*, WIDIP_MYSECRET_*, WIDIP_MAIL_*,
  WIDIP_AD_* (secrets also as <NAME>_FILE; see README "Service connections")
  GPU proxy (on when WIDIP_GPU_BACKENDS is set): WIDIP_GPU_BACKENDS (name=http://host:11434*slots,…)
  WIDIP_GPU_PORT (11435)   WIDIP_GPU_KEYS (name:proactif|assist|batch:key,…)   WIDIP_GPU_DEFAULT_PRIORITY
  WIDIP_GPU_QUEUE_LIMIT (64)   WIDIP_GPU_MAX_WAIT_SECONDS (120)   WIDIP_GPU_AGING_SECONDS (30)
  WIDIP_GPU_AFFINITY_WINDOW_MS (2000)   WIDIP_GPU_KEEP_ALIVE   WIDIP_GPU_SHARED_SLOTS (false: replicas
  share slots through Redis)   WIDIP_GPU_LEASE_SECONDS (10)

exit codes: 0 stopped by a signal · 2 cannot start (Redis unreachable, port taken) · 78 invalid configuration
`;

const AUDIT_EXPORT = `usage: widip audit export [--since <ISO time>]

Prints the Safeguard audit stream (decisions, requests, approvals, rejections, expiries, executions;
secrets redacted) as JSON lines on stdout, oldest first. Redis settings as for serve (WIDIP_REDIS_*,
WIDIP_CONFIG_FILE).
  --since <ISO time>   only entries from then on, e.g. 2026-11-01T00:00:00Z

exit codes: 0 ok · 2 usage error or Redis unreachable · 78 invalid configuration
`;

/**
 * Per-command help, keyed by the words that name the command. validate and deploy are absent: they
 * print their own (`<cmd> --help`), so their flags are described where they are parsed.
 */
export const COMMAND_HELP: Record<string, string> = {
	serve: SERVE,
	'audit export': AUDIT_EXPORT,
};
