import * as assert from 'node:assert/strict';
import { KIND_ORDER, SELECT_TEXT, StatusView, describeEnvironment, describeServerState, kindLabel } from '../src/common/status';
import { env } from './fixtures';

describe('status bar: environment', () => {
  it('shows version, name and kind, with path, kind and project in the tooltip', () => {
    const view = describeEnvironment(env('uv', '.venv', '3.12.1'), 'uv.lock next to pyproject.toml', false);
    assert.equal(view.text, '.venv (3.12.1, uv)');
    assert.equal(view.warning, false);
    assert.match(view.tooltip, /Path: `\/home\/u\/proj\/\.venv\/bin\/python`/);
    assert.match(view.tooltip, /Kind: uv/);
    assert.match(view.tooltip, /Project: `\/home\/u\/proj`/);
    assert.match(view.tooltip, /Why: uv.lock next to pyproject.toml/);
  });

  it('has a readable label for every kind the server reports', () => {
    const expected: Record<string, string> = {
      venv: 'env (3.11.7, venv)',
      'uv-workspace': 'env (3.11.7, uv workspace)',
      'uv-python': 'uv python 3.11.7 (env)',
      poetry: 'env (3.11.7, Poetry)',
      'pyenv-virtualenv': 'env (3.11.7, pyenv-virtualenv)',
      pyenv: 'pyenv 3.11.7 (env)',
      system: 'system 3.11.7 (env)',
      homebrew: 'Homebrew 3.11.7 (env)',
      'windows-registry': 'Windows registry 3.11.7 (env)',
      'windows-store': 'Microsoft Store 3.11.7 (env)',
    };
    for (const kind of KIND_ORDER) {
      const view = describeEnvironment(env(kind, 'env', '3.11.7'), null, false);
      assert.equal(view.text, expected[kind] ?? `env (3.11.7, ${kindLabel(kind)})`, kind);
      assert.equal(view.warning, false);
    }
    assert.equal(KIND_ORDER.length, 18);
  });

  it('leaves the version out when the server could not read it', () => {
    assert.equal(describeEnvironment(env('conda', 'base', null), null, false).text, 'base (version unknown, conda)');
    assert.equal(describeEnvironment(env('pyenv', '3.13.0', '3.13.0', { title: 'pyenv 3.13.0 (global)' }), null, false).text, 'pyenv 3.13.0 (global)');
  });

  it('asks to select an environment, with a warning look, when there is none', () => {
    const view = describeEnvironment(null, 'no environment found for /home/u/proj', false);
    assert.equal(view.text, `$(warning) ${SELECT_TEXT}`);
    assert.equal(view.warning, true);
    assert.match(view.tooltip, /no environment found for \/home\/u\/proj/);
  });

  it('asks to select another one when the selected environment is broken, and says why', () => {
    const broken = env('venv', '.venv', '3.9.1', { error: 'interpreter /usr/bin/python3.9 is missing' });
    const view = describeEnvironment(broken, null, false);
    assert.equal(view.text, `$(warning) ${SELECT_TEXT}`);
    assert.equal(view.warning, true);
    assert.match(view.tooltip, /interpreter \/usr\/bin\/python3\.9 is missing/);
  });

  it('spins while discovering: alone at first, next to the known environment later', () => {
    assert.equal(describeEnvironment(null, null, true).text, '$(sync~spin) Python environments');
    assert.equal(describeEnvironment(env('uv', '.venv', '3.12.1'), null, true).text, '$(sync~spin) .venv (3.12.1, uv)');
  });

  it('applies the warning background to the real status bar item and removes it again', () => {
    const view = new StatusView();
    const bar = (view as unknown as { bar: { text: string; backgroundColor?: { id: string } } }).bar;
    view.showEnvironment(null, null, false);
    assert.equal(bar.backgroundColor?.id, 'statusBarItem.warningBackground');
    view.showEnvironment(env('poetry', 'proj-X1-py3.12', '3.12.1'), null, false);
    assert.equal(bar.text, 'proj-X1-py3.12 (3.12.1, Poetry)');
    assert.equal(bar.backgroundColor, undefined);
  });
});

describe('language status: server state', () => {
  it('describes each state', () => {
    assert.deepEqual(describeServerState('starting'), { text: 'envsense: starting', detail: '', severity: 'information', busy: true, logLink: false });
    assert.equal(describeServerState('discovering').busy, true);
    assert.deepEqual(describeServerState('ready'), { text: 'envsense: ready', detail: '', severity: 'information', busy: false, logLink: false });
    assert.equal(describeServerState('installing', 'requests').text, 'envsense: installing requests');
    assert.equal(describeServerState('installing', 'requests').busy, true);
    const error = describeServerState('error', 'pip failed');
    assert.equal(error.severity, 'error');
    assert.equal(error.detail, 'pip failed');
    assert.equal(error.logLink, true);
    assert.equal(describeServerState('stopped').severity, 'warning');
  });

  it('links the error state to the log', () => {
    const view = new StatusView();
    const language = (view as unknown as { language: { command: { command: string }; severity: number; busy: boolean } }).language;
    view.showServerState('error', 'crashed');
    assert.equal(language.command.command, 'envsense.showLog');
    assert.equal(language.severity, 2);
    view.showServerState('ready');
    assert.equal(language.command.command, 'envsense.pickEnvironment');
    assert.equal(language.busy, false);
  });
});
