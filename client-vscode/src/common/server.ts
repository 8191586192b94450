// The language server process: how it is launched, and the session around one LanguageClient.
import * as path from 'node:path';
import type { ConfigurationParams } from 'vscode-languageclient';
import { LanguageClient, RevealOutputChannelOn, State, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import type { LogOutputChannel, Uri } from 'vscode';
import { CONFIG_SECTION, DOCUMENT_SELECTOR, EXTENSION_NAME, RESTART_DELAY_MS } from './constants';
import { TerminalActivation } from './activation';
import { runCreateFlow, type CreateService } from './create';
import { CREATE_VENV, SELECT_ENV, noEnvironmentMessage, projectToAsk } from './noenv';
import type { PackagesService } from './packages';
import { pickEnvironment } from './picker';
import { routeServerProgress } from './progress';
import {
  Methods,
  type CommandOutcome,
  type CreateOptions,
  type Env,
  type EnvironmentChanged,
  type EnvironmentsResult,
  type PackagesResult,
  type SelectResult,
  type ServerStatus,
} from './protocol';
import { PythonExtension, pathCandidates, probeVersion, resolveServerPython, type ServerPython } from './python';
import { loadSettings, toServerOptions } from './settings';
import type { StatusView } from './status';
import {
  activeDocumentUri,
  executeCommand,
  fileUri,
  isTrusted,
  parseUri,
  showErrorMessage,
  showInformationMessage,
  workspaceFolderOf,
  workspaceFolderUris,
} from './vscodeapi';
import { ServerCommands, StateKeys } from './constants';
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

/** Per-workspace memory (vscode.Memento's shape). */
export interface StateStore {
  get<T>(key: string, fallback: T): T;
  update(key: string, value: unknown): Thenable<void>;
}

/** One running server (or none) plus what the UI shows about it. */
export class Session implements EnvironmentService, PackagesService, CreateService {
  private client: LanguageClient | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private statusSeen = false;
  private lastPicked: string | undefined;
  private readonly asked = new Set<string>();
  /** Listeners for "environments or packages may have changed" (the packages view). */
  readonly changeListeners: (() => void)[] = [];

  constructor(
    private readonly extensionPath: string,
    private readonly log: LogOutputChannel,
    private readonly status: StatusView,
    private readonly python: PythonExtension | undefined,
    private readonly terminals?: TerminalActivation,
    private readonly state?: StateStore,
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
    client.onNotification(Methods.environmentChanged, (_params: EnvironmentChanged) => {
      void this.refresh();
      void this.updateTerminals();
    });
    try {
      await client.start();
      routeServerProgress(client);
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
    await this.updateTerminals();
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
    let result: SelectResult;
    try {
      result = await client.sendRequest<SelectResult>(Methods.selectEnvironment, { uri: uri.toString(), executable });
    } catch (error) {
      // The server refuses an interpreter it can't use (invalid params): nothing was selected.
      const message = error instanceof Error ? error.message : String(error);
      return { selected: null, reason: null, error: message.replace(/^Invalid Params:\s*/i, '') };
    }
    if (result.error) {
      return result;
    }
    this.lastPicked = executable;
    this.showSelected(result.selected, result.reason);
    const folder = workspaceFolderOf(uri)?.uri;
    if (folder && this.terminals) {
      await this.terminals.reactivate(folder);
      this.terminals.apply(folder, result.selected);
    }
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
      this.changeListeners.forEach((listener) => listener());
      void this.offerCreate(result);
    } catch (error) {
      this.log.warn(`${Methods.environments} failed: ${String(error)}`);
      this.status.showEnvironment(null, `The server did not list environments: ${String(error)}`, false);
    }
  }

  /** Every workspace folder's terminals follow its selected environment. */
  async updateTerminals(): Promise<void> {
    if (!this.terminals || !this.running) {
      return;
    }
    for (const folder of workspaceFolderUris()) {
      try {
        const result = await this.environments(folder);
        this.terminals.apply(folder, result.selected);
      } catch (error) {
        this.log.warn(`terminal activation for ${folder.fsPath}: ${String(error)}`);
      }
    }
  }

  /** "None (deactivate)" in the picker: new terminals of the folder get no environment. */
  async deactivate(uri: Uri): Promise<void> {
    const folder = workspaceFolderOf(uri)?.uri ?? uri;
    await this.terminals?.deactivate(folder);
  }

  /** The one-time notification for a project with no environment of its own. */
  private async offerCreate(result: EnvironmentsResult): Promise<void> {
    const dismissed = this.state?.get<string[]>(StateKeys.noEnvironmentDismissed, []) ?? [];
    const project = projectToAsk(result, dismissed, this.asked);
    if (!project) {
      return;
    }
    this.asked.add(project);
    const title = result.selected?.title ?? undefined;
    const answer = await showInformationMessage(noEnvironmentMessage(project, title), CREATE_VENV, SELECT_ENV);
    // Answered or dismissed: either way this project is not asked again.
    await this.state?.update(StateKeys.noEnvironmentDismissed, [...dismissed, project]);
    const uri = fileUri(project);
    if (answer === CREATE_VENV) {
      await executeCommand(ServerCommands.createEnvironment, { uri: uri.toString() });
    } else if (answer === SELECT_ENV) {
      await pickEnvironment(this, uri);
    }
  }

  async packages(uri: Uri): Promise<PackagesResult> {
    const client = this.running;
    if (!client) {
      throw new Error('the envsense server is not running');
    }
    return client.sendRequest<PackagesResult>(Methods.packages, { uri: uri.toString() });
  }

  async validatePackageName(name: string): Promise<string | null> {
    const client = this.running;
    if (!client) {
      return null;
    }
    const answer = await client.sendRequest<{ error: string | null }>(Methods.validatePackageName, { name });
    return answer.error;
  }

  async createOptions(uri: Uri): Promise<CreateOptions> {
    const client = this.running;
    if (!client) {
      throw new Error('the envsense server is not running');
    }
    return client.sendRequest<CreateOptions>(Methods.createOptions, { uri: uri.toString() });
  }

  async create(uri: Uri): Promise<CommandOutcome | undefined> {
    return runCreateFlow(this, uri);
  }

  private showSelected(env: Env | null, reason: string | null): void {
    this.status.showEnvironment(env, reason, false);
  }

  dispose(): Promise<void> {
    clearTimeout(this.restartTimer);
    return this.stop();
  }
}
