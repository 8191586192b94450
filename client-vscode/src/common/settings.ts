// envsense.* settings and the initializationOptions / workspace/configuration answer built from them.
import { CONFIG_SECTION } from './constants';
import { getConfiguration } from './vscodeapi';
import type { Uri } from 'vscode';

export type Installer = 'auto' | 'uv' | 'pip';
export type Severity = 'error' | 'warning' | 'information' | 'hint';
export type Trace = 'off' | 'messages' | 'verbose';

export interface CodeSetting {
  enabled: boolean;
  severity?: Severity;
}

export interface Settings {
  interpreter: string | null;
  installer: Installer;
  extraPaths: string[];
  diagnostics: Record<string, CodeSetting>;
  serverPython: string | null;
  trace: Trace;
  syncPythonExtension: boolean;
  diagnosticScope: DiagnosticScope;
  activateTerminals: boolean;
}

export type DiagnosticScope = 'openFiles' | 'workspace';
const SCOPES: readonly DiagnosticScope[] = ['openFiles', 'workspace'];

/** What the server receives as initializationOptions and as workspace/configuration section "envsense". */
export interface ServerOptionsPayload {
  trusted: boolean;
  interpreter: string | null;
  installer: Installer;
  extraPaths: string[];
  diagnostics: Record<string, CodeSetting>;
  diagnosticScope: DiagnosticScope;
}

/** The subset of vscode.WorkspaceConfiguration read here (a plain object in tests). */
export interface ConfigReader {
  get<T>(key: string): T | undefined;
}

const INSTALLERS: readonly Installer[] = ['auto', 'uv', 'pip'];
const SEVERITIES: readonly Severity[] = ['error', 'warning', 'information', 'hint'];
const TRACES: readonly Trace[] = ['off', 'messages', 'verbose'];

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

/** Keep only well-formed per-code entries: a typo in settings.json must not reach the server. */
function codeSettings(raw: unknown): Record<string, CodeSetting> {
  const result: Record<string, CodeSetting> = {};
  if (!raw || typeof raw !== 'object') {
    return result;
  }
  for (const [code, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!value || typeof value !== 'object') {
      continue;
    }
    const entry = value as { enabled?: unknown; severity?: unknown };
    const setting: CodeSetting = { enabled: entry.enabled !== false };
    if (SEVERITIES.includes(entry.severity as Severity)) {
      setting.severity = entry.severity as Severity;
    }
    result[code] = setting;
  }
  return result;
}

/** Read and normalise the settings from a configuration object. */
export function readSettings(config: ConfigReader): Settings {
  const extra = config.get<unknown>('extraPaths');
  return {
    interpreter: text(config.get('interpreter')),
    installer: oneOf(config.get('installer'), INSTALLERS, 'auto'),
    extraPaths: Array.isArray(extra) ? extra.filter((p): p is string => typeof p === 'string' && p !== '') : [],
    diagnostics: codeSettings(config.get('diagnostics')),
    serverPython: text(config.get('server.python')),
    trace: oneOf(config.get('trace.server'), TRACES, 'off'),
    syncPythonExtension: config.get<boolean>('syncPythonExtension') !== false,
    diagnosticScope: oneOf(config.get('diagnosticScope'), SCOPES, 'openFiles'),
    activateTerminals: config.get<boolean>('terminal.activateEnvironment') !== false,
  };
}

/** Settings for a resource (a document or folder), or the window's. */
export function loadSettings(scope?: Uri): Settings {
  return readSettings(getConfiguration(CONFIG_SECTION, scope));
}

/** The server's view of the settings; `trusted` comes from workspace trust, never from settings. */
export function toServerOptions(settings: Settings, trusted: boolean): ServerOptionsPayload {
  return {
    trusted,
    // An interpreter path from an untrusted workspace's settings would be run by installs.
    interpreter: trusted ? settings.interpreter : null,
    installer: settings.installer,
    extraPaths: settings.extraPaths,
    diagnostics: settings.diagnostics,
    diagnosticScope: settings.diagnosticScope,
  };
}

/** Settings whose change needs a new server process (the rest travel by didChangeConfiguration). */
export const RESTART_SETTINGS = [`${CONFIG_SECTION}.server.python`];
