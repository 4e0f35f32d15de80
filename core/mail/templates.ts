import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

import { parse, render, type TemplateSpans } from 'mustache';

import { WidipError } from '../errors';

export const TEMPLATE_NAMES = ['ticket_created', 'client_not_found', 'provider_incident', 'resolution_confirmed', 'password_reset'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/**
 * The built-in templates sit next to this module: `core/mail/templates/` in the sources (ts-jest,
 * tsx) and `dist/core/mail/templates/` once built, where the build copies the .mustache files.
 */
export const BUILT_IN_TEMPLATES_DIR = path.join(__dirname, 'templates');

export type TemplateVariables = Record<string, string | number | boolean | null>;

export interface RenderedMail {
	subject: string;
	text: string;
	html?: string;
}

interface TemplateFiles {
	folder: string;
	subject: string;
	text: string;
	html?: string;
}

function templateError(operation: string, message: string): WidipError {
	return new WidipError('bad_request', message, { service: 'mail', operation });
}

async function isFolder(folder: string): Promise<boolean> {
	return (await stat(folder).catch(() => undefined))?.isDirectory() ?? false;
}

async function readPart(folder: string, file: string, operation: string): Promise<string | undefined> {
	try {
		return await readFile(path.join(folder, file), 'utf8');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOENT') return undefined;
		throw templateError(operation, `Cannot read mail template file ${path.join(folder, file)} (${code ?? 'unknown error'})`);
	}
}

/**
 * A template folder in `templatesDir` replaces the built-in one as a whole, so what an operator
 * reads in their folder is exactly what is sent; templates they did not copy stay built-in.
 */
async function templateFolder(name: TemplateName, templatesDir: string | undefined, operation: string): Promise<string> {
	if (templatesDir) {
		if (!(await isFolder(templatesDir))) {
			throw templateError(operation, `Mail templates folder "${templatesDir}" does not exist or is not a folder`);
		}
		const custom = path.join(templatesDir, name);
		if (await isFolder(custom)) return custom;
	}
	const builtIn = path.join(BUILT_IN_TEMPLATES_DIR, name);
	if (!(await isFolder(builtIn))) {
		throw templateError(
			operation,
			`Built-in mail template "${name}" is missing from ${BUILT_IN_TEMPLATES_DIR} (the build must copy core/mail/templates)`,
		);
	}
	return builtIn;
}

async function loadTemplate(name: TemplateName, templatesDir: string | undefined, operation: string): Promise<TemplateFiles> {
	const folder = await templateFolder(name, templatesDir, operation);
	const [subject, text, html] = await Promise.all(
		['subject.mustache', 'text.mustache', 'html.mustache'].map((file) => readPart(folder, file, operation)),
	);
	if (subject === undefined || text === undefined) {
		const missing = [subject === undefined ? 'subject.mustache' : '', text === undefined ? 'text.mustache' : ''].filter(Boolean);
		throw templateError(operation, `Mail template "${name}" in ${folder} has no ${missing.join(' and ')}`);
	}
	return { folder, subject, text, html };
}

/**
 * Variables a template prints outside any {{#section}}: the mail would read wrong without them.
 * Those inside a section are optional by construction (the section disappears when empty).
 */
export function requiredVariables(template: string): string[] {
	const spans: TemplateSpans = parse(template);
	const names = spans.filter(([type, name]) => (type === 'name' || type === '&') && name !== '.').map(([, name]) => name);
	return [...new Set(names)];
}

function isBlank(value: unknown): boolean {
	return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** Subject and text parts are not HTML: values go in as they are. */
const asPlainText = { escape: (value: unknown) => String(value) };

/**
 * Renders one template with mustache: values are HTML-escaped in the HTML part only. A variable
 * the template needs and the caller did not give fails the whole mail, naming every such variable.
 */
export async function renderTemplate(
	name: TemplateName,
	variables: TemplateVariables,
	options: { templatesDir?: string; operation: string },
): Promise<RenderedMail> {
	const files = await loadTemplate(name, options.templatesDir, options.operation);
	const needed = new Set([files.subject, files.text, files.html ?? ''].flatMap(requiredVariables));
	const missing = [...needed].filter((variable) => isBlank(variables[variable])).sort();
	if (missing.length > 0) {
		throw templateError(
			options.operation,
			`Mail template "${name}" needs variable(s) missing or empty: ${missing.join(', ')}`,
		);
	}
	return {
		subject: render(files.subject, variables, {}, asPlainText).replace(/\s+/g, ' ').trim(),
		text: render(files.text, variables, {}, asPlainText),
		...(files.html === undefined ? {} : { html: render(files.html, variables) }),
	};
}
