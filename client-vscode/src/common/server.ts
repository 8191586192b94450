// The language server process: how it is launched, and the session around one LanguageClient.
import * as path from 'node:path';
import type { ConfigurationParams } from 'vscode-languageclient';
import { LanguageClient, RevealOutputChannelOn, State, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import type { LogOutputChannel, Uri } from 'vscode';
import { CONFIG_SECTION, DOCUMENT_SELECTOR, EXTENSION_NAME, RESTART_DELAY_MS } from './constants';
import { Methods, type Env, type EnvironmentChanged, type EnvironmentsResult, type SelectResult, type ServerStatus } from './protocol';
import { PythonExtension, pathCandidates, probeVersion, resolveServerPython, type ServerPython } from './python';
import { loadSettings, toServerOptions } from './settings';
import type { StatusView } from './status';
import { activeDocumentUri, executeCommand, isTrusted, parseUri, showErrorMessage, workspaceFolderUris } from './vscodeapi';
import type { EnvironmentService } from './picker';

export interface Launch {
  command: string;
  args: string[];
  options: { cwd?: string; env: NodeJS.ProcessEnv };
}

/** How to run the bundled server with `python` (see python/envsense_launcher.py for why -I). */
export function buildLaunch(python: string, extensionPath: string, env: NodeJS.ProcessEnv, cwd?: string): Launch {
  return {
    command: python,
    args: ['-I', path.join(extensionPath, 'python', 'envsense_launcher.py'), 'serve'],
    // The server's installers inherit this environment (PIP_*/UV_* settings, proxies), so pass it through.
    options: { cwd, env: { ...env, PYTHONUNBUFFERED: '1' } },
  };
}

/** One running server (or none) plus what the UI shows about it. */
export class Session implements EnvironmentService {
  private client: LanguageClient | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private statusSeen = false;
  private lastPicked: string | undefined;

  constructor(
    private readonly extensionPath: string,
    private readonly log: LogOutputChannel,
    private readonly status: StatusView,
    private readonly python: PythonExtension | undefined,
  ) {}

  get running(): LanguageClient | undefined {
    return this.client?.state === State.Running ? this.client : undefined;
  }

  async start(): Promise<void> {
    this.status.showServerState('starting');
    const settings = loadSettings();
    const found: ServerPython = await resolveServerPython({
      setting: settings.serverPython,
      pathCandidates: pathCandidates(process.env.PATH),
      pythonExtension: async () => this.python?.interpreter(),
      probe: probeVersion,
    });
    if (!found.ok) {
      this.log.error(found.message);
      this.status.showServerState('error', found.message);
      this.status.showEnvironment(null, found.message, false);
      void showErrorMessage(found.message, 'Open Settings').then((choice) => {
        if (choice) {
          void executeCommand('workbench.action.openSettings', 'envsense.server.python');
        }
      });
      return;
    }
    this.log.info(`server python: ${found.python} (${found.version.join('.')}, from ${found.source})`);
    const launch = buildLaunch(found.python, this.extensionPath, process.env, workspaceFolderUris()[0]?.fsPath);
    const serverOptions: ServerOptions = { command: launch.command, args: launch.args, options: launch.options };
    const client = new LanguageClient(EXTENSION_NAME, 'envsense', serverOptions, this.clientOptions());
    this.client = client;
    this.statusSeen = false;
    client.onDidChangeState((e) => {
      if (e.newState === State.Stopped && this.client === client) {
        this.status.showServerState('stopped', 'the server stopped; see the log');
      }
    });
    client.onNotification(Methods.status, (params: ServerStatus) => {
      this.statusSeen = true;
      this.status.showServerState(params.state, params.message);
      if (params.state === 'discovering') {
        this.status.showEnvironment(null, null, true);
      }
    });
    client.onNotification(Methods.environmentChanged, (_params: EnvironmentChanged) => void this.refresh());
    try {
      await client.start();
    } catch (error) {
      this.log.error(`server failed to start: ${String(error)}`);
      this.status.showServerState('error', String(error));
      this.status.showEnvironment(null, 'The envsense server did not start; see "envsense: Show Log".', false);
      return;
    }
    if (!this.statusSeen) {
      this.status.showServerState('ready');
    }
    await this.refresh();
  }

  private clientOptions(): LanguageClientOptions {
    return {
      documentSelector: DOCUMENT_SELECTOR,
      outputChannel: this.log,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: toServerOptions(loadSettings(), isTrusted()),
      synchronize: { configurationSection: CONFIG_SECTION },
      middleware: {
        workspace: {
          // Answer section "envsense" in the server's shape (trust included), not the raw settings tree.
          configuration: async (params: ConfigurationParams, token, next) => {
            const raw = await next(params, token);
            if (!Array.isArray(raw)) {
              return raw;
            }
            return params.items.map((item, i) =>
              item.section === CONFIG_SECTION
                ? toServerOptions(loadSettings(item.scopeUri ? parseUri(item.scopeUri) : undefined), isTrusted())
                : raw[i],
            );
          },
        },
      },
    };
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop(2000);
      } catch (error) {
        this.log.warn(`stopping the server: ${String(error)}`);
      }
    }
  }

  /** Restart soon; several requests in a row (settings edits, trust) give one restart. */
  restart(): void {
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      void this.stop().then(() => this.start());
    }, RESTART_DELAY_MS);
  }

  /** The document (or folder) the status bar talks about. */
  currentUri(): Uri | undefined {
    const doc = activeDocumentUri();
    return doc && doc.scheme === 'file' ? doc : workspaceFolderUris()[0];
  }

  async environments(uri: Uri): Promise<EnvironmentsResult> {
    const client = this.running;
    if (!client) {
      throw new Error('the envsense server is not running');
    }
    return client.sendRequest<EnvironmentsResult>(Methods.environments, { uri: uri.toString() });
  }

  async select(uri: Uri, executable: string): Promise<SelectResult> {
    const client = this.running;
    if (!client) {
      throw new Error('the envsense server is not running');
    }
    this.lastPicked = executable;
    const result = await client.sendRequest<SelectResult>(Methods.selectEnvironment, { uri: uri.toString(), executable });
    this.showSelected(result.selected, result.reason);
    if (result.selected?.executable && this.python && loadSettings(uri).syncPythonExtension) {
      await this.python.select(result.selected.executable, uri);
    }
    return result;
  }

  /** The Python extension's interpreter changed: follow it, unless it is our own pick echoing back. */
  async followPythonExtension(executable: string, resource: Uri | undefined): Promise<void> {
    const uri = resource ?? this.currentUri();
    if (!uri || !this.running || executable === this.lastPicked) {
      return;
    }
    try {
      await this.select(uri, executable);
    } catch (error) {
      this.log.warn(`following the Python extension's interpreter ${executable}: ${String(error)}`);
    }
  }

  /** Ask the server for the current document's environment and show it. */
  async refresh(): Promise<void> {
    const uri = this.currentUri();
    if (!uri || !this.running) {
      return;
    }
    try {
      const result = await this.environments(uri);
      this.showSelected(result.selected, result.reason);
    } catch (error) {
      this.log.warn(`${Methods.environments} failed: ${String(error)}`);
      this.status.showEnvironment(null, `The server did not list environments: ${String(error)}`, false);
    }
  }

  private showSelected(env: Env | null, reason: string | null): void {
    this.status.showEnvironment(env, reason, false);
  }

  dispose(): Promise<void> {
    clearTimeout(this.restartTimer);
    return this.stop();
  }
}
