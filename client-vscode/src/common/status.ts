// The status bar item (the active project's environment) and the language status item (server state).
import type { LanguageStatusItem, StatusBarItem } from 'vscode';
import { Commands, DOCUMENT_SELECTOR, StatusIds } from './constants';
import type { Env, ServerState } from './protocol';
import {
  LanguageStatusSeverity,
  createLanguageStatusItem,
  createStatusBarItem,
  markdown,
  themeColor,
} from './vscodeapi';

const KIND_LABELS: Record<string, string> = {
  venv: 'venv',
  virtualenv: 'virtualenv',
  uv: 'uv',
  'uv-workspace': 'uv workspace',
  'uv-python': 'uv python',
  poetry: 'Poetry',
  pipenv: 'Pipenv',
  pdm: 'PDM',
  hatch: 'Hatch',
  virtualenvwrapper: 'virtualenvwrapper',
  conda: 'conda',
  pixi: 'pixi',
  pyenv: 'pyenv',
  'pyenv-virtualenv': 'pyenv-virtualenv',
  homebrew: 'Homebrew',
  system: 'system',
  'windows-registry': 'Windows registry',
  'windows-store': 'Microsoft Store',
};

/** Order of the kind groups in the picker: project environments first, base interpreters last. */
export const KIND_ORDER: readonly string[] = Object.keys(KIND_LABELS);

export function kindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind;
}

export const SELECT_TEXT = 'Select Python environment';

export interface EnvironmentStatus {
  text: string;
  tooltip: string;
  warning: boolean;
}

const BASE_KINDS = new Set(['uv-python', 'pyenv', 'homebrew', 'system', 'windows-registry', 'windows-store']);

/** `.venv (3.12.1, venv)`, `pyenv 3.13.0`: the server's title, else the same rule here. */
export function environmentLabel(env: Env): string {
  if (env.title) {
    return env.title;
  }
  const version = env.version ?? 'version unknown';
  if (BASE_KINDS.has(env.kind)) {
    const base = `${kindLabel(env.kind)} ${version}`;
    return env.name && env.name !== env.version ? `${base} (${env.name})` : base;
  }
  return `${env.name} (${version}, ${kindLabel(env.kind)})`;
}

/** Status bar content for the active document's environment (null: none) or while discovering. */
export function describeEnvironment(env: Env | null, reason: string | null, discovering: boolean): EnvironmentStatus {
  if (discovering && !env) {
    return { text: '$(sync~spin) Python environments', tooltip: 'envsense is looking for Python environments', warning: false };
  }
  if (!env) {
    const why = reason ? `\n\n${reason}` : '';
    return { text: `$(warning) ${SELECT_TEXT}`, tooltip: `No Python environment for this project.${why}\n\nClick to select one.`, warning: true };
  }
  const lines = [
    `**${environmentLabel(env)}**`,
    '',
    `- Path: \`${env.executable ?? env.prefix}\``,
    `- Kind: ${kindLabel(env.kind)}`,
  ];
  if (env.project) {
    lines.push(`- Project: \`${env.project}\``);
  }
  if (reason) {
    lines.push(`- Why: ${reason}`);
  }
  if (env.error) {
    lines.push('', `$(warning) ${env.error}`, '', 'Click to select another environment.');
    return { text: `$(warning) ${SELECT_TEXT}`, tooltip: lines.join('\n'), warning: true };
  }
  const spin = discovering ? '$(sync~spin) ' : '';
  return { text: `${spin}${environmentLabel(env)}`, tooltip: lines.join('\n'), warning: false };
}

export type StateSeverity = 'information' | 'warning' | 'error';

export interface ServerStatusView {
  text: string;
  detail: string;
  severity: StateSeverity;
  busy: boolean;
  /** Show the "Open log" link. */
  logLink: boolean;
}

/** Language status content for a server state; `message` is the server's own words (e.g. the package). */
export function describeServerState(state: ServerState | 'stopped', message?: string): ServerStatusView {
  switch (state) {
    case 'starting':
      return { text: 'envsense: starting', detail: message ?? '', severity: 'information', busy: true, logLink: false };
    case 'discovering':
      return { text: 'envsense: finding environments', detail: message ?? '', severity: 'information', busy: true, logLink: false };
    case 'ready':
      return { text: 'envsense: ready', detail: message ?? '', severity: 'information', busy: false, logLink: false };
    case 'installing':
      return { text: message ? `envsense: installing ${message}` : 'envsense: installing', detail: '', severity: 'information', busy: true, logLink: true };
    case 'error':
      return { text: 'envsense: error', detail: message ?? 'see the log', severity: 'error', busy: false, logLink: true };
    case 'stopped':
      return { text: 'envsense: stopped', detail: message ?? '', severity: 'warning', busy: false, logLink: true };
  }
}

/** Owns the two VS Code items and applies the descriptions above to them. */
export class StatusView {
  private readonly bar: StatusBarItem;
  private readonly language: LanguageStatusItem;

  constructor() {
    this.bar = createStatusBarItem(StatusIds.environment, 100);
    this.bar.name = 'envsense: Python environment';
    this.bar.command = Commands.pickEnvironment;
    this.language = createLanguageStatusItem(StatusIds.server, DOCUMENT_SELECTOR);
    this.language.name = 'envsense server';
    this.showServerState('starting');
    this.showEnvironment(null, null, true);
    this.bar.show();
  }

  showEnvironment(env: Env | null, reason: string | null, discovering: boolean): void {
    const view = describeEnvironment(env, reason, discovering);
    this.bar.text = view.text;
    this.bar.tooltip = markdown(view.tooltip);
    this.bar.backgroundColor = view.warning ? themeColor('statusBarItem.warningBackground') : undefined;
  }

  showServerState(state: ServerState | 'stopped', message?: string): void {
    const view = describeServerState(state, message);
    this.language.text = view.text;
    this.language.detail = view.detail;
    this.language.busy = view.busy;
    this.language.severity = LanguageStatusSeverity[view.severity === 'information' ? 'Information' : view.severity === 'warning' ? 'Warning' : 'Error'];
    this.language.command = view.logLink
      ? { title: 'Open log', command: Commands.showLog }
      : { title: 'Select environment', command: Commands.pickEnvironment };
  }

  dispose(): void {
    this.bar.dispose();
    this.language.dispose();
  }
}
