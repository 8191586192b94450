import * as assert from 'node:assert/strict';
import { noEnvironmentMessage, projectToAsk } from '../src/common/noenv';
import { cancelBackground, progressLocation, trackProgress, type ProgressClient } from '../src/common/progress';
import { fake } from './vscode-mock';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('server progress in VS Code', () => {
  beforeEach(() => fake.reset());

  it('shows installs as a cancellable notification, background work in the status bar', () => {
    assert.equal(progressLocation('envsense-install-1'), 'notification');
    assert.equal(progressLocation('envsense-workspace-1'), 'window');
  });

  it('follows begin/report/end and sends cancel when the notification is cancelled', async () => {
    let handler: (v: { kind: 'begin' | 'report' | 'end'; title?: string; message?: string; cancellable?: boolean }) => void = () => {};
    const cancelled: unknown[] = [];
    const client: ProgressClient = {
      onProgress: (_token, h) => {
        handler = h;
        return { dispose() {} };
      },
      cancel: (token) => void cancelled.push(token),
    };
    trackProgress(client, 'envsense-install-7');
    handler({ kind: 'begin', title: 'Install -r requirements/dev.txt into .venv', cancellable: true, message: 'starting' });
    await tick();
    handler({ kind: 'report', message: 'Collecting markupsafe' });
    const shown = fake.progress[0];
    assert.equal(shown.location, 15);
    assert.equal(shown.cancellable, true);
    assert.deepEqual(shown.messages, ['starting', 'Collecting markupsafe']);
    shown.cancel();
    assert.deepEqual(cancelled, ['envsense-install-7']);
    handler({ kind: 'end', message: 'cancelled' });
    await tick();
    assert.equal(shown.done, true);
  });
});

describe('background check progress', () => {
  it('goes to the status bar and is cancelled by the Stop command', async () => {
    let handler: (v: { kind: 'begin' | 'report' | 'end'; title?: string; cancellable?: boolean }) => void = () => {};
    const cancelled: unknown[] = [];
    const client: ProgressClient = {
      onProgress: (_token, h) => {
        handler = h;
        return { dispose() {} };
      },
      cancel: (token) => void cancelled.push(token),
    };
    fake.reset();
    trackProgress(client, 'envsense-workspace-1');
    handler({ kind: 'begin', title: 'envsense: checking the workspace', cancellable: true });
    await tick();
    assert.equal(fake.progress[0].location, 10);
    assert.equal(cancelBackground(client), 1);
    assert.deepEqual(cancelled, ['envsense-workspace-1']);
    handler({ kind: 'end' });
    assert.equal(cancelBackground(client), 0);
  });
});

describe('no-environment notification', () => {
  const result = { environments: [], selected: null, reason: null, project: '/home/u/proj', fallback: true };

  it('asks once per project, and never for a dismissed one or one with its own environment', () => {
    assert.equal(projectToAsk(result, [], new Set()), '/home/u/proj');
    assert.equal(projectToAsk(result, ['/home/u/proj'], new Set()), undefined);
    assert.equal(projectToAsk(result, [], new Set(['/home/u/proj'])), undefined);
    assert.equal(projectToAsk({ ...result, fallback: false }, [], new Set()), undefined);
  });

  it('says which project and what stands in for now', () => {
    assert.equal(noEnvironmentMessage('/home/u/proj', 'pyenv 3.11.7 (global)'), 'This project has no environment: proj (using pyenv 3.11.7 (global) for now). Create .venv, or select one?');
  });
});
