// Client-only commands. Each forwards to the server (its advertised commands or envsense/* requests).
import { Commands, ServerCommands } from './constants';
import { runCreateFlow } from './create';
import { packageActions, type PackagesProvider } from './packages';
import type { PackageInfo } from './protocol';
import type { EnvNode, EnvironmentsProvider } from './envtree';
import { pickEnvironment, selectChecked } from './picker';
import { cancelBackground, progressClient } from './progress';
import type { Session } from './server';
import { activeDocumentUri, executeCommand, registerCommand, showWarningMessage, type Disposable } from './vscodeapi';
import type { LogOutputChannel, Uri } from 'vscode';

/** The argument each server command receives for a document or folder. */
export function serverCommandArgs(command: string, uri: Uri): Record<string, unknown> {
  return command === ServerCommands.installPackages ? { uri: uri.toString(), all: true } : { uri: uri.toString() };
}

export function registerCommands(
  session: Session,
  log: LogOutputChannel,
  packages: PackagesProvider,
  environments: EnvironmentsProvider,
): Disposable[] {
  const actions = packageActions(session, packages);
  const withServer = (command: string, needsFile: boolean) => async () => {
    const uri = needsFile ? activeDocumentUri() : session.currentUri();
    if (!uri) {
      void showWarningMessage(needsFile ? 'Open a Python file first.' : 'Open a folder first.');
      return;
    }
    if (!session.running) {
      void showWarningMessage('The envsense server is not running; see "envsense: Show Log".');
      return;
    }
    await executeCommand(command, serverCommandArgs(command, uri));
  };
  return [
    registerCommand(Commands.pickEnvironment, async () => {
      const uri = session.currentUri();
      if (!uri) {
        void showWarningMessage('Open a folder or a Python file first.');
        return;
      }
      await pickEnvironment(session, uri);
    }),
    registerCommand(Commands.createEnv, async () => {
      const uri = session.currentUri();
      if (!uri || !session.running) {
        void showWarningMessage(uri ? 'The envsense server is not running; see "envsense: Show Log".' : 'Open a folder first.');
        return;
      }
      await runCreateFlow(session, uri);
    }),
    registerCommand(Commands.packagesRefresh, () => packages.refresh()),
    registerCommand(Commands.environmentsRefresh, () => environments.refresh()),
    registerCommand(Commands.stopWorkspaceCheck, () => {
      const client = session.running;
      if (cancelBackground(client ? progressClient(client) : undefined) === 0) {
        void showWarningMessage('envsense is not checking the workspace right now.');
      }
    }),
    registerCommand(Commands.environmentsSelect, async (node) => {
      const uri = session.currentUri();
      const env = (node as Partial<Extract<EnvNode, { env: unknown }>> | undefined)?.env;
      if (uri && env?.executable) {
        await selectChecked(session, uri, env.executable);
        environments.refresh();
      }
    }),
    registerCommand(Commands.packagesInstall, () => actions.install()),
    registerCommand(Commands.packagesUninstall, (pkg) => actions.uninstall(pkg as PackageInfo | undefined)),
    registerCommand(Commands.packagesUpgrade, (pkg) => actions.upgrade(pkg as PackageInfo | undefined)),
    registerCommand(Commands.installMissingInFile, withServer(ServerCommands.installPackages, true)),
    registerCommand(Commands.installRequirements, withServer(ServerCommands.installProject, false)),
    registerCommand(Commands.restartServer, () => session.restart()),
    registerCommand(Commands.showLog, () => log.show()),
  ];
}
