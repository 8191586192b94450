// Which Python runs the server, and the optional bridge to the ms-python.python extension.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MIN_SERVER_PYTHON, PYTHON_EXTENSION_ID } from './constants';
import { getExtension, type Disposable } from './vscodeapi';
import type { Uri } from 'vscode';

export type PythonVersion = readonly [number, number];

export type ServerPython =
  | { ok: true; python: string; version: PythonVersion; source: 'setting' | 'path' | 'python-extension' }
  | { ok: false; message: string };

export interface ServerPythonInputs {
  /** envsense.server.python */
  setting: string | null;
  /** Interpreters found on PATH, in PATH order. */
  pathCandidates: string[];
  /** The Python extension's interpreter, looked up only when nothing else works. */
  pythonExtension: () => Promise<string | undefined>;
  /** Runs the interpreter once to read its version; null when it does not run. */
  probe: (python: string) => Promise<PythonVersion | null>;
}

const PROBE_SCRIPT = 'import sys; print("%d.%d" % sys.version_info[:2])';

export function isSupported(version: PythonVersion): boolean {
  const [major, minor] = MIN_SERVER_PYTHON;
  return version[0] > major || (version[0] === major && version[1] >= minor);
}

export function parseVersion(output: string): PythonVersion | null {
  const match = /^(\d+)\.(\d+)/.exec(output.trim());
  return match ? [Number(match[1]), Number(match[2])] : null;
}

/** `python3` (`python.exe` on Windows) in each PATH entry that has one, in PATH order, without duplicates. */
export function pathCandidates(
  pathValue: string | undefined,
  platform: NodeJS.Platform = process.platform,
  isFile: (p: string) => boolean = isExecutableFile,
): string[] {
  const names = platform === 'win32' ? ['python.exe', 'python3.exe'] : ['python3'];
  const separator = platform === 'win32' ? ';' : ':';
  const join = platform === 'win32' ? path.win32.join : path.posix.join;
  const seen = new Set<string>();
  const found: string[] = [];
  for (const dir of (pathValue ?? '').split(separator)) {
    if (!dir) {
      continue;
    }
    for (const name of names) {
      const candidate = join(dir, name);
      if (!seen.has(candidate) && isFile(candidate)) {
        seen.add(candidate);
        found.push(candidate);
      }
    }
  }
  return found;
}

function isExecutableFile(candidate: string): boolean {
  try {
    fs.accessSync(candidate, fs.constants.X_OK);
    return fs.statSync(candidate).isFile();
  } catch {
    return false;
  }
}

/** Spawn `python -c` (the user's own interpreter) to read its version; 5 s at most. */
export function probeVersion(python: string): Promise<PythonVersion | null> {
  return new Promise((resolve) => {
    execFile(python, ['-c', PROBE_SCRIPT], { timeout: 5000, windowsHide: true }, (error, stdout) => {
      resolve(error ? null : parseVersion(String(stdout)));
    });
  });
}

function minimum(): string {
  return `${MIN_SERVER_PYTHON[0]}.${MIN_SERVER_PYTHON[1]}`;
}

/**
 * Pick the server's Python: the setting (must work, no silent fallback: the user asked for it),
 * else the first python3 >= 3.10 on PATH, else the Python extension's interpreter.
 */
export async function resolveServerPython(inputs: ServerPythonInputs): Promise<ServerPython> {
  if (inputs.setting) {
    const version = await inputs.probe(inputs.setting);
    if (!version) {
      return { ok: false, message: `envsense.server.python is "${inputs.setting}", which does not run.` };
    }
    if (!isSupported(version)) {
      return {
        ok: false,
        message: `envsense.server.python is Python ${version.join('.')}; the envsense server needs Python >= ${minimum()}.`,
      };
    }
    return { ok: true, python: inputs.setting, version, source: 'setting' };
  }
  const tried: string[] = [];
  for (const candidate of inputs.pathCandidates) {
    const version = await inputs.probe(candidate);
    tried.push(`${candidate} (${version ? version.join('.') : 'does not run'})`);
    if (version && isSupported(version)) {
      return { ok: true, python: candidate, version, source: 'path' };
    }
  }
  const fromExtension = await inputs.pythonExtension();
  if (fromExtension) {
    const version = await inputs.probe(fromExtension);
    tried.push(`${fromExtension} from the Python extension (${version ? version.join('.') : 'does not run'})`);
    if (version && isSupported(version)) {
      return { ok: true, python: fromExtension, version, source: 'python-extension' };
    }
  }
  const seen = tried.length ? ` Tried: ${tried.join(', ')}.` : ' No python3 on PATH.';
  return {
    ok: false,
    message:
      `envsense needs Python >= ${minimum()} to run its server.${seen} ` +
      'Install Python 3.10 or newer, or set "envsense.server.python" to its path, then run "envsense: Restart Server".',
  };
}

// The part of the ms-python.python API used here (no dependency on @vscode/python-extension).
interface ActiveEnvironmentPath {
  id: string;
  path: string;
}
interface ActiveEnvironmentPathChange extends ActiveEnvironmentPath {
  resource?: { uri: Uri } | Uri;
}
interface PythonExtensionApi {
  environments: {
    getActiveEnvironmentPath(resource?: Uri): ActiveEnvironmentPath;
    resolveEnvironment(env: ActiveEnvironmentPath | string): Promise<{ executable: { uri?: Uri } } | undefined>;
    updateActiveEnvironmentPath(path: string, resource?: Uri): Promise<void>;
    onDidChangeActiveEnvironmentPath(listener: (e: ActiveEnvironmentPathChange) => void): Disposable;
  };
}

/** A loaded Python extension; every method tolerates the extension misbehaving. */
export class PythonExtension {
  private constructor(private readonly api: PythonExtensionApi) {}

  /** The extension's API when it is installed, else undefined. */
  static async load(): Promise<PythonExtension | undefined> {
    const extension = getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
    if (!extension) {
      return undefined;
    }
    try {
      const api = extension.isActive ? extension.exports : await extension.activate();
      return api?.environments ? new PythonExtension(api) : undefined;
    } catch {
      return undefined;
    }
  }

  /** The selected interpreter's executable for a resource. */
  async interpreter(resource?: Uri): Promise<string | undefined> {
    try {
      const active = this.api.environments.getActiveEnvironmentPath(resource);
      const resolved = await this.api.environments.resolveEnvironment(active);
      return resolved?.executable.uri?.fsPath ?? active.path;
    } catch {
      return undefined;
    }
  }

  onDidChange(listener: (path: string, resource: Uri | undefined) => void): Disposable {
    return this.api.environments.onDidChangeActiveEnvironmentPath((e) => {
      const resource = e.resource && 'uri' in e.resource ? e.resource.uri : (e.resource as Uri | undefined);
      listener(e.path, resource);
    });
  }

  async select(executable: string, resource?: Uri): Promise<void> {
    try {
      await this.api.environments.updateActiveEnvironmentPath(executable, resource);
    } catch {
      // The user's pick in envsense stands even if the Python extension refuses it.
    }
  }
}
