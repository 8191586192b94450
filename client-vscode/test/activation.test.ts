import * as assert from 'node:assert/strict';
import { TerminalActivation, activationMutations, applyActivation, type VariableCollection } from '../src/common/activation';
import { env } from './fixtures';
import { Uri } from './vscode-mock';

class Collection implements VariableCollection {
  description?: unknown;
  vars = new Map<string, string>();
  clear(): void {
    this.vars.clear();
    this.description = undefined;
  }
  options: unknown[] = [];
  replace(name: string, value: string, options?: unknown): void {
    this.vars.set(name, value);
    this.options.push(options);
  }
  prepend(name: string, value: string, options?: unknown): void {
    this.vars.set(name, `${value}<${name}>`);
    this.options.push(options);
  }
}

const venv = env('venv', '.venv', '3.12.1', {
  title: '.venv (3.12.1, venv)',
  activation: { pathPrepend: ['/home/u/proj/.venv/bin'], set: { VIRTUAL_ENV: '/home/u/proj/.venv' }, unset: ['PYTHONHOME', 'CONDA_PREFIX'] },
});
const conda = env('conda', 'ml', '3.11.4', {
  activation: { pathPrepend: ['/opt/conda/envs/ml/bin'], set: { CONDA_PREFIX: '/opt/conda/envs/ml', CONDA_DEFAULT_ENV: 'ml' }, unset: ['PYTHONHOME'] },
});

describe('terminal activation', () => {
  it('prepends PATH, sets VIRTUAL_ENV and empties PYTHONHOME for a venv', () => {
    const c = new Collection();
    const name = applyActivation(c, venv, { enabled: true, deactivated: false }, ':');
    assert.equal(name, '.venv (3.12.1, venv)');
    assert.equal(c.vars.get('PATH'), '/home/u/proj/.venv/bin:<PATH>');
    assert.equal(c.vars.get('VIRTUAL_ENV'), '/home/u/proj/.venv');
    assert.equal(c.vars.get('PYTHONHOME'), '');
    assert.match(String(c.description), /activates \.venv/);
    // Re-applied after the shell's rc files, so pyenv's shims don't end up first on PATH.
    assert.ok(c.options.every((o) => JSON.stringify(o) === '{"applyAtProcessCreation":true,"applyAtShellIntegration":true}'));
  });

  it('sets CONDA_PREFIX and CONDA_DEFAULT_ENV for a conda environment', () => {
    const m = activationMutations(conda.activation!, ';');
    assert.deepEqual(m[0], { op: 'prepend', name: 'PATH', value: '/opt/conda/envs/ml/bin;' });
    assert.ok(m.some((x) => x.name === 'CONDA_DEFAULT_ENV' && x.value === 'ml'));
    assert.ok(!m.some((x) => x.name === 'VIRTUAL_ENV'));
  });

  it('leaves terminals alone when the setting is off, the folder is deactivated, or nothing is selected', () => {
    for (const options of [{ enabled: false, deactivated: false }, { enabled: true, deactivated: true }]) {
      const c = new Collection();
      c.replace('VIRTUAL_ENV', 'stale');
      assert.equal(applyActivation(c, venv, options, ':'), undefined);
      assert.equal(c.vars.size, 0);
    }
    assert.equal(applyActivation(new Collection(), null, { enabled: true, deactivated: false }, ':'), undefined);
  });

  it('scopes the variables per folder in a multi-root workspace, and "None" clears them', async () => {
    const a = Uri.file('/ws/a');
    const b = Uri.file('/ws/b');
    const collections = new Map<string, Collection>();
    const deactivated = new Set<string>();
    const terminals = new TerminalActivation({
      collectionFor: (folder) => {
        const key = folder?.toString() ?? 'window';
        if (!collections.has(key)) {
          collections.set(key, new Collection());
        }
        return collections.get(key)!;
      },
      folders: () => [a, b] as never,
      isDeactivated: (f) => deactivated.has(f.toString()),
      setDeactivated: async (f, v) => void (v ? deactivated.add(f.toString()) : deactivated.delete(f.toString())),
      enabled: () => true,
      delimiter: ':',
    });
    terminals.apply(a as never, venv);
    terminals.apply(b as never, conda);
    assert.equal(collections.get(a.toString())?.vars.get('VIRTUAL_ENV'), '/home/u/proj/.venv');
    assert.equal(collections.get(b.toString())?.vars.get('CONDA_DEFAULT_ENV'), 'ml');
    assert.equal(collections.has('window'), false);
    await terminals.deactivate(a as never);
    assert.equal(collections.get(a.toString())?.vars.size, 0);
    terminals.apply(a as never, venv);
    assert.equal(collections.get(a.toString())?.vars.size, 0, 'stays off until an environment is picked again');
    await terminals.reactivate(a as never);
    terminals.apply(a as never, venv);
    assert.equal(collections.get(a.toString())?.vars.get('VIRTUAL_ENV'), '/home/u/proj/.venv');
  });
});
