// Jest globalSetup: every script runs on Node 24 (the `node` dev dependency). Running the suite on
// an older Node would test something production n8n (Node >= 24) never runs.
module.exports = async () => {
	const major = Number(process.versions.node.split('.')[0]);
	if (major < 24) {
		throw new Error(`Tests need Node >= 24 (found ${process.version}): run them through npm (\`npm test\`), which puts node_modules/.bin/node first.`);
	}
};
