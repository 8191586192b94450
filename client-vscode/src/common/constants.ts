// Identifiers shared by the client modules. Server-advertised command ids (envsense.createEnvironment,
// envsense.installPackages, envsense.installProject, envsense.selectEnvironment) are registered by
// vscode-languageclient from the server's executeCommandProvider; registering them here would throw.

export const EXTENSION_NAME = 'envsense';
export const CONFIG_SECTION = 'envsense';
export const PYTHON_EXTENSION_ID = 'ms-python.python';

/** Minimum Python that can run the server (match requires-python in pyproject.toml). */
export const MIN_SERVER_PYTHON: readonly [number, number] = [3, 10];

export const Commands = {
  pickEnvironment: 'envsense.pickEnvironment',
  createEnv: 'envsense.createEnv',
  installMissingInFile: 'envsense.installMissingInFile',
  installRequirements: 'envsense.installRequirements',
  restartServer: 'envsense.restartServer',
  showLog: 'envsense.showLog',
  packagesRefresh: 'envsense.packages.refresh',
  environmentsRefresh: 'envsense.environments.refresh',
  stopWorkspaceCheck: 'envsense.stopWorkspaceCheck',
  environmentsSelect: 'envsense.environments.select',
  packagesInstall: 'envsense.packages.install',
  packagesUninstall: 'envsense.packages.uninstall',
  packagesUpgrade: 'envsense.packages.upgrade',
} as const;

export const ServerCommands = {
  createEnvironment: 'envsense.createEnvironment',
  installPackages: 'envsense.installPackages',
  installProject: 'envsense.installProject',
  selectEnvironment: 'envsense.selectEnvironment',
  uninstallPackage: 'envsense.uninstallPackage',
  upgradePackage: 'envsense.upgradePackage',
} as const;

/** workspaceState keys. */
export const StateKeys = {
  noEnvironmentDismissed: 'envsense.noEnvironmentDismissed',
  deactivatedFolders: 'envsense.deactivatedFolders',
} as const;

export const StatusIds = {
  environment: 'envsense.environment',
  server: 'envsense.server',
} as const;

/** Files the server reads: Python sources and the manifests that declare requirements. */
export const DOCUMENT_SELECTOR = [
  { scheme: 'file', language: 'python' },
  { scheme: 'untitled', language: 'python' },
  { scheme: 'file', pattern: '**/pyproject.toml' },
  { scheme: 'file', pattern: '**/requirements*.txt' },
  { scheme: 'file', pattern: '**/requirements/*.txt' },
  { scheme: 'file', pattern: '**/setup.cfg' },
  { scheme: 'file', pattern: '**/Pipfile' },
  // Lock files: their entries carry lock-mismatch / lock-missing and the sync quick fix.
  { scheme: 'file', pattern: '**/{uv.lock,poetry.lock,pdm.lock,Pipfile.lock,pylock.toml,pylock.*.toml}' },
];

/** Restarts requested in quick succession (settings edits, trust, interpreter change) coalesce. */
export const RESTART_DELAY_MS = 500;
