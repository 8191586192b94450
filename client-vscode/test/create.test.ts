import * as assert from 'node:assert/strict';
import { baseItems, contentItems, createArgs, runCreateFlow } from '../src/common/create';
import type { CreateOptions } from '../src/common/protocol';
import { env } from './fixtures';
import { Uri, fake } from './vscode-mock';

const options: CreateOptions = {
  project: '/home/u/proj',
  requiresPython: '>=3.11',
  bases: [
    { ...env('pyenv', '3.13.0', '3.13.0', { title: 'pyenv 3.13.0' }), fits: true },
    { ...env('pyenv', '3.11.7', '3.11.7', { title: 'pyenv 3.11.7 (global)' }), fits: true },
    { ...env('pyenv', '3.10.13', '3.10.13', { title: 'pyenv 3.10.13' }), fits: false },
  ],
  extras: ['yaml'],
  groups: ['dev'],
  requirementFiles: ['/home/u/proj/requirements/dev.txt'],
  installable: true,
  manager: null,
  managerFound: false,
  venvExists: false,
};

describe('create environment flow', () => {
  beforeEach(() => fake.reset());

  it('lists interpreters satisfying requires-python first, the newest marked', () => {
    assert.deepEqual(baseItems(options).map((i) => i.label), [
      'Satisfies requires-python >=3.11',
      '$(star-full) pyenv 3.13.0',
      '$(circle-outline) pyenv 3.11.7 (global)',
      'Does not satisfy requires-python >=3.11',
      '$(warning) pyenv 3.10.13',
    ]);
  });

  it('offers the project, the project with extras and groups, each requirements file, and nothing', () => {
    assert.deepEqual(contentItems({ ...options, manager: 'uv', managerFound: true }).map((i) => i.label), [
      '$(package) The project with uv',
      '$(package) The project + extras and groups with uv...',
      '$(file) requirements/dev.txt',
      '$(circle-slash) Nothing',
    ]);
  });

  it('builds the command arguments for each choice', () => {
    const uri = Uri.file('/home/u/proj') as never;
    assert.deepEqual(createArgs(uri, options.bases[1], { what: 'project', extras: ['yaml'], groups: [] }), {
      uri: 'file:///home/u/proj', install: 'project', python: '/home/u/proj/3.11.7/bin/python', extras: ['yaml'], groups: [],
    });
    assert.deepEqual(createArgs(uri, undefined, { what: 'requirements', file: '/r.txt' }), { uri: 'file:///home/u/proj', install: 'requirements', requirementFiles: ['/r.txt'] });
  });

  it('asks base, contents and extras, shows the summary, then creates', async () => {
    fake.quickPickAnswers = ['pyenv 3.11.7', 'extras and groups', ['[yaml]']];
    fake.commandResults = [{ ok: true, message: 'Create .venv with Python 3.11 and install the project[yaml]', summary: ['$ uv venv ...'] }, { ok: true, message: 'done' }];
    fake.answers = ['Create'];
    const outcome = await runCreateFlow({ createOptions: async () => options }, Uri.file('/home/u/proj') as never);
    assert.equal(outcome?.message, 'done');
    const [dry, real] = fake.executed.map((e) => e.args[0] as Record<string, unknown>);
    assert.equal(dry.dryRun, true);
    assert.deepEqual(real, { uri: 'file:///home/u/proj', install: 'project', python: '/home/u/proj/3.11.7/bin/python', extras: ['yaml'], groups: [] });
    assert.match(fake.infos[0], /install the project\[yaml\]/);
  });

  it('creates nothing when the summary is dismissed', async () => {
    fake.quickPickAnswers = ['pyenv 3.13.0', 'Nothing'];
    fake.commandResults = [{ ok: true, message: 'Create .venv with Python 3.13', summary: [] }];
    fake.answers = [undefined];
    assert.equal(await runCreateFlow({ createOptions: async () => options }, Uri.file('/home/u/proj') as never), undefined);
    assert.equal(fake.executed.length, 1);
  });
});
