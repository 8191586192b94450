import * as assert from 'node:assert/strict';
import { loadSettings, readSettings, toServerOptions } from '../src/common/settings';
import { fake } from './vscode-mock';

function config(values: Record<string, unknown>) {
  return { get: <T>(key: string) => values[key] as T | undefined };
}

describe('settings', () => {
  it('has safe defaults when nothing is set', () => {
    assert.deepEqual(readSettings(config({})), {
      interpreter: null,
      installer: 'auto',
      extraPaths: [],
      diagnostics: {},
      serverPython: null,
      trace: 'off',
      syncPythonExtension: true,
      diagnosticScope: 'openFiles',
      activateTerminals: true,
    });
  });

  it('normalises what users type into settings.json', () => {
    const settings = readSettings(
      config({
        interpreter: '  /p/.venv/bin/python ',
        installer: 'conda',
        extraPaths: ['src', 3, ''],
        diagnostics: {
          'undeclared-import': { enabled: false },
          'missing-import': { severity: 'warning' },
          'version-mismatch': { severity: 'fatal' },
          'transitive-import': 'off',
        },
        'server.python': '',
        'trace.server': 'verbose',
        syncPythonExtension: false,
        diagnosticScope: 'everything',
        'terminal.activateEnvironment': false,
      }),
    );
    assert.equal(settings.diagnosticScope, 'openFiles');
    assert.equal(settings.activateTerminals, false);
    assert.equal(settings.interpreter, '/p/.venv/bin/python');
    assert.equal(settings.installer, 'auto');
    assert.deepEqual(settings.extraPaths, ['src']);
    assert.deepEqual(settings.diagnostics, {
      'undeclared-import': { enabled: false },
      'missing-import': { enabled: true, severity: 'warning' },
      'version-mismatch': { enabled: true },
    });
    assert.equal(settings.serverPython, null);
    assert.equal(settings.trace, 'verbose');
    assert.equal(settings.syncPythonExtension, false);
  });

  it('becomes the initializationOptions the server expects', () => {
    fake.reset();
    fake.config = {
      'envsense.installer': 'uv',
      'envsense.interpreter': '/p/.venv/bin/python',
      'envsense.extraPaths': ['lib'],
      'envsense.diagnostics': { 'missing-import': { severity: 'error' } },
      'envsense.diagnosticScope': 'workspace',
    };
    assert.deepEqual(toServerOptions(loadSettings(), true), {
      trusted: true,
      interpreter: '/p/.venv/bin/python',
      installer: 'uv',
      extraPaths: ['lib'],
      diagnostics: { 'missing-import': { enabled: true, severity: 'error' } },
      diagnosticScope: 'workspace',
    });
  });

  it('drops the workspace interpreter setting when the workspace is not trusted', () => {
    const options = toServerOptions(readSettings(config({ interpreter: '/evil/python' })), false);
    assert.equal(options.trusted, false);
    assert.equal(options.interpreter, null);
  });
});
