// Drive code-server (VS Code in the browser) with headless Debian Chromium through playwright-core,
// and check what a user of the envsense extension sees. Prints one JSON line; exit 0 = all steps passed.
// env: CS_URL, WORKSPACE_FILE (the .code-workspace), WS_FOLDER, WS2_FOLDER, SHOTS (screenshot dir),
//      EXPECT_STATUS (status bar text), PY_VERSION, MODULE (missing import), STEPS (comma list, see
//      ALL_STEPS; default all), CHROMIUM.
const { chromium } = require('playwright-core');

const ALL_STEPS = ['workspace', 'status', 'problem', 'quickfix', 'install', 'terminal', 'picker', 'switch',
  'envview', 'packages', 'noenv', 'create', 'cancel'];
const url = process.env.CS_URL;
const workspaceFile = process.env.WORKSPACE_FILE;
const folder = process.env.WS_FOLDER;
const shots = process.env.SHOTS;
const expectStatus = process.env.EXPECT_STATUS;
const pyVersion = process.env.PY_VERSION;
const moduleName = process.env.MODULE || 'envsense_demo_pkg';
const steps = (process.env.STEPS || ALL_STEPS.join(',')).split(',').map((s) => s.trim());
const t0 = Date.now();
const log = (...a) => console.error(`[${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const want = (step) => steps.includes(step);
const fixPattern = new RegExp(`Install ${moduleName.replace(/_/g, '[-_]')}`, 'i');
// What our status bar item shows before the server answers, or when it has no environment.
const envsenseItem = /Python environments|Select Python environment|\(\d+\.\d+\.\d+, /;
const text = async (locator) => ((await locator.innerText().catch(() => '')) || '').replace(/\s+/g, ' ').trim();

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => log('pageerror', String(e).slice(0, 200)));
  const result = { ok: false, steps, passed: [], timings: {} };
  const statusBar = page.locator('.part.statusbar');
  const markers = page.locator('.markers-panel');
  const quickInput = page.locator('.quick-input-widget');
  const toasts = page.locator('.notifications-toasts');
  const dialog = page.locator('.monaco-dialog-box');
  let step = 'load';
  let stepStart = Date.now();
  const shot = (name) => page.screenshot({ path: `${shots}/${name}.png` });
  // Small element-only screenshots for docs/vscode.md's tour (docs-*.png).
  const docShot = (name, locator) => locator.first().screenshot({ path: `${shots}/docs-${name}.png` }).catch((e) => log('docs shot', name, String(e).slice(0, 100)));
  const pass = (name) => {
    result.passed.push(name);
    result.timings[name] = (Date.now() - stepStart) / 1000;
    stepStart = Date.now();
    log('passed:', name);
  };

  async function command(title) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    await quickInput.locator('input').waitFor({ timeout: 15000 });
    await quickInput.locator('input').fill(`>${title}`);
    await quickInput.locator('.monaco-list-row', { hasText: title }).first().waitFor({ timeout: 15000 });
    await page.keyboard.press('Enter');
  }
  async function quickOpen(path) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+P');
    await quickInput.locator('input').waitFor({ timeout: 15000 });
    await quickInput.locator('input').fill(path);
    await quickInput.locator('.monaco-list-row').first().waitFor({ timeout: 15000 });
    await page.waitForTimeout(300); // the file search answers in stages; let it settle
    await page.keyboard.press('Enter');
    const name = path.split('/').pop();
    await page.locator('.tabs-container .tab.active', { hasText: name }).first().waitFor({ timeout: 30000 });
    await page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: 30000 });
  }
  async function openFromExplorer(...names) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Shift+E');
    const tree = page.locator('.explorer-folders-view');
    for (const name of names) {
      await tree.locator('.monaco-list-row', { hasText: new RegExp(`^\\s*${name.replace(/\./g, '\\.')}\\s*$`) }).first().click();
    }
    await page.locator('.tabs-container .tab.active', { hasText: names[names.length - 1] }).first().waitFor({ timeout: 30000 });
  }
  // Pick the quick-pick row whose text matches (keyboard: type to filter would also hide separators).
  async function pickRow(pattern, timeout = 30000) {
    const row = quickInput.locator('.monaco-list-row', { hasText: pattern }).first();
    await row.waitFor({ timeout });
    await row.click();
  }
  async function problems() {
    await page.keyboard.press('Control+Shift+M');
    await markers.waitFor({ timeout: 15000 });
    // Expand every file in the Problems tree so rows of closed files are visible too.
    return markers;
  }
  // The Problems panel groups rows under file headers: match on its whole text.
  async function waitMarkers(pattern, present, timeout) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const found = pattern.test(await text(markers));
      if (found === present) {
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(`Problems ${present ? 'lacks' : 'still has'} ${pattern}: ${(await text(markers)).slice(0, 300)}`);
      }
      await page.waitForTimeout(500);
    }
  }
  const missingIn = (env) => new RegExp(`'${moduleName}' is not installed in ${env.replace(/[.()]/g, '\\$&')}`);
  async function toast(pattern, timeout) {
    const item = toasts.locator('.notification-toast', { hasText: pattern }).first();
    await item.waitFor({ timeout });
    return item;
  }
  async function packagesView(title = /Python Packages/i) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Shift+E');
    const header = page.locator('.pane-header', { hasText: title }).first();
    await header.waitFor({ timeout: 15000 });
    if ((await header.getAttribute('aria-expanded')) !== 'true') {
      await header.click();
    }
    const pane = page.locator('.pane', { has: header });
    return { header, pane, body: pane.locator('.pane-body') };
  }
  async function openPicker() {
    await statusBar.getByText(envsenseItem).first().click();
    await quickInput.locator('.monaco-list-row', { hasText: 'current' }).first().waitFor({ timeout: 30000 });
  }
  async function pickEnvironmentRow(pattern) {
    await openPicker();
    await pickRow(pattern);
  }
  // Rows far down a long list are not rendered: filter by typing, as a user would.
  async function filterPicker(typed, pattern) {
    await quickInput.locator('input').fill(typed);
    await pickRow(pattern);
  }

  try {
    await page.goto(`${url}/?workspace=${encodeURIComponent(workspaceFile)}`, { waitUntil: 'domcontentloaded' });
    await page.locator('.monaco-workbench').waitFor({ timeout: 90000 });
    log('workbench loaded');
    stepStart = Date.now();

    if (want('workspace')) {
      step = 'Problems lists manifest and source findings of files nobody opened (diagnosticScope workspace)';
      await problems();
      await markers.locator('.monaco-list-row', { hasText: moduleName }).first().waitFor({ timeout: 120000 });
      await markers.locator('.monaco-list-row', { hasText: 'pyproject.toml' }).first().waitFor({ timeout: 30000 });
      result.workspaceProblems = (await text(markers)).slice(0, 600);
      result.openEditorsAtCheck = await page.locator('.tabs-container .tab').count();
      if (result.openEditorsAtCheck !== 0) {
        throw new Error(`expected no open editor while checking, found ${result.openEditorsAtCheck}`);
      }
      await shot('workspace-problems');
      await docShot('problems', page.locator('.part.panel'));
      pass('workspace');
    }

    step = 'open app.py';
    await quickOpen('ws/app.py');
    step = 'extension activated';
    await statusBar.getByText(envsenseItem).first().waitFor({ timeout: 60000 });
    result.activated = await text(statusBar.getByText(envsenseItem).first());
    log('envsense status bar item:', result.activated);

    if (want('status')) {
      step = `status bar shows "${expectStatus}"`;
      await statusBar.getByText(expectStatus, { exact: false }).first().waitFor({ timeout: 90000 });
      result.statusBar = expectStatus;
      await shot('status');
      pass('status');
    }
    let row;
    if (want('problem')) {
      step = `Problems panel lists ${moduleName}`;
      await problems();
      row = markers.locator('.monaco-list-row', { hasText: moduleName }).first();
      await row.waitFor({ timeout: 90000 });
      result.problem = await text(row);
      await shot('problems');
      pass('problem');
    }
    if (want('quickfix')) {
      step = `quick fix menu offers ${fixPattern}`;
      await row.dblclick(); // jumps to the marker and focuses the editor
      await page.locator('.monaco-editor.focused').first().waitFor({ timeout: 15000 });
      await page.keyboard.press('Control+.');
      const fix = page.locator('.action-widget').getByText(fixPattern).first();
      const none = page.getByText('No code actions available').first();
      await Promise.race([
        fix.waitFor({ timeout: 30000 }),
        none.waitFor({ timeout: 30000 }).then(() => {
          throw new Error('VS Code says "No code actions available": the server offered no quick fix at the diagnostic');
        }),
      ]);
      result.codeAction = (await fix.innerText()).trim();
      await shot('quickfix');
      pass('quickfix');
    }
    if (want('install')) {
      step = `running "${result.codeAction}" clears the diagnostic`;
      // Keyboard, as a user would: move to the fix in the focused action list and press Enter.
      for (let i = 0; i < 20; i++) {
        const focused = await page.locator('.action-widget .monaco-list-row.focused').first().innerText().catch(() => '');
        if (fixPattern.test(focused)) {
          break;
        }
        await page.keyboard.press('ArrowDown');
      }
      await page.keyboard.press('Enter');
      await problems();
      await waitMarkers(missingIn('.venv ('), false, 120000);
      await shot('after-install');
      pass('install');
    }

    if (want('terminal')) {
      step = 'a new terminal has VIRTUAL_ENV of the selected environment';
      await command('Terminal: Create New Terminal');
      // Multi-root: VS Code asks which folder the terminal starts in.
      const asked = await quickInput.locator('.monaco-list-row', { hasText: /^\s*ws\b/ }).first()
        .waitFor({ timeout: 5000 }).then(() => true, () => false);
      if (asked) {
        await pickRow(/^\s*ws\b/);
      }
      const terminal = page.locator('.terminal-wrapper.active .xterm-rows, .terminal .xterm-rows').first();
      await terminal.waitFor({ timeout: 30000 });
      await page.waitForTimeout(1500); // the shell prints its prompt
      await page.keyboard.type('echo "VE=[$VIRTUAL_ENV] PH=[$PYTHONHOME]"; command -v python\n');
      const want = `VE=[${folder}/.venv]`;
      await page.waitForFunction(
        (expected) => [...document.querySelectorAll('.xterm-rows')].some((r) => r.textContent.includes(expected)),
        want, { timeout: 20000 },
      ).catch(() => {});
      result.terminal = (await text(terminal)).slice(-400);
      await shot('terminal');
      await docShot('terminal', page.locator('.part.panel'));
      if (!result.terminal.includes(want)) {
        throw new Error(`terminal shows ${JSON.stringify(result.terminal)}, not ${want}`);
      }
      // `python` is the environment's, even though ~/.bashrc may put pyenv's shims first.
      if (!result.terminal.includes(`${folder}/.venv/bin/python`)) {
        throw new Error(`python in the terminal is not ${folder}/.venv/bin/python: ${result.terminal}`);
      }
      await page.keyboard.press('Control+`'); // hide the panel again
      pass('terminal');
    }

    if (want('picker')) {
      step = 'picker shows groups, then refuses a typed bad interpreter path';
      await quickOpen('ws/app.py');
      await openPicker();
      result.picker = (await text(quickInput)).slice(0, 800);
      for (const expected of ['Current and recommended', 'current', 'Recommended', 'venv (', 'pyenv']) {
        if (!result.picker.includes(expected)) {
          throw new Error(`the picker lacks "${expected}": ${result.picker}`);
        }
      }
      await shot('picker');
      await docShot('picker', quickInput);
      await quickInput.locator('input').fill('None');
      await quickInput.locator('.monaco-list-row', { hasText: 'None (deactivate)' }).first().waitFor({ timeout: 10000 });
      await filterPicker('Enter interpreter', 'Enter interpreter path');
      // The same widget turns into the input box: wait for its prompt before typing.
      await quickInput.getByText('Path to a Python interpreter').first().waitFor({ timeout: 10000 });
      await quickInput.locator('input').fill('/nonexistent/bin/python');
      await page.keyboard.press('Enter');
      const refused = await toast(/does not exist/, 20000);
      result.badPath = await text(refused);
      await shot('picker-bad-path');
      await statusBar.getByText(expectStatus, { exact: false }).first().waitFor({ timeout: 5000 });
      await page.keyboard.press('Escape');
      pass('picker');
    }

    if (want('switch')) {
      step = 'switching to the other environment re-checks app.py';
      await pickEnvironmentRow(/(?<![.\w])venv \(\d/);
      await statusBar.getByText(/(?<![.\w])venv \(\d/).first().waitFor({ timeout: 30000 });
      await problems();
      await waitMarkers(missingIn('venv ('), true, 60000);
      await shot('switched');
      step = 'switching back clears it again';
      await pickEnvironmentRow(/\.venv \(\d/);
      await statusBar.getByText(expectStatus, { exact: false }).first().waitFor({ timeout: 30000 });
      await waitMarkers(missingIn('venv ('), false, 60000);
      pass('switch');
    }

    if (want('envview')) {
      step = 'the environments view lists every environment by kind, the current one marked';
      await quickOpen('ws/app.py');
      const view = await packagesView(/Python Environments/i);
      const current = view.body.locator('.monaco-list-row', { hasText: /\.venv \(\d/ }).first();
      await current.waitFor({ timeout: 30000 });
      result.environmentsView = (await text(view.body)).slice(0, 600);
      if (!/\.venv \([\d.]+, venv\)\s*current/.test(result.environmentsView)) {
        throw new Error(`the current environment is not marked: ${result.environmentsView}`);
      }
      await docShot('environments', view.pane);
      await view.header.click(); // collapse it again: the packages view below needs the room
      pass('envview');
    }

    if (want('packages')) {
      step = 'packages view lists envsense-demo-pkg';
      const view = await packagesView();
      const pkgRow = view.body.locator('.monaco-list-row', { hasText: 'envsense-demo-pkg' }).first();
      await pkgRow.waitFor({ timeout: 30000 });
      result.packageRow = await text(pkgRow);
      result.packagesView = (await text(view.body)).slice(0, 600);
      await shot('packages');
      await docShot('packages', view.pane);
      step = 'uninstall envsense-demo-pkg from the view';
      await pkgRow.hover();
      await pkgRow.locator('.action-label[aria-label*="Uninstall"]').click();
      await dialog.locator('.monaco-button', { hasText: 'Uninstall' }).click({ timeout: 15000 });
      await view.body.locator('.monaco-list-row', { hasText: 'envsense-demo-pkg' }).first().waitFor({ state: 'detached', timeout: 60000 });
      step = 'install it again from the view (the name is checked as typed)';
      await view.header.hover();
      await view.header.locator('.action-label[aria-label*="Install Package"]').click();
      await quickInput.getByText(/Distribution name/).first().waitFor({ timeout: 10000 });
      await quickInput.locator('input').fill('not a name!');
      await quickInput.getByText(/not a valid requirement/).first().waitFor({ timeout: 10000 });
      result.nameValidation = await text(quickInput.locator('.quick-input-message'));
      await shot('packages-install-validation');
      await quickInput.locator('input').fill('envsense-demo-pkg');
      await page.waitForTimeout(500);
      await page.keyboard.press('Enter');
      await view.body.locator('.monaco-list-row', { hasText: 'envsense-demo-pkg' }).first().waitFor({ timeout: 60000 });
      pass('packages');
    }

    if (want('noenv')) {
      step = 'a project without environment shows the one-time notification';
      await quickOpen('ws2/main.py');
      const note = await toast(/This project has no environment/, 60000);
      result.noEnvironment = await text(note);
      await shot('no-environment');
      await docShot('no-environment', note);
      await note.hover();
      await note.locator('.codicon-notifications-clear, .codicon-close').first().click();
      pass('noenv');
    }

    if (want('create')) {
      step = 'create flow: base interpreter, the project + extras, summary, create';
      await quickOpen('ws2/main.py');
      await command('envsense: Create Environment');
      await quickInput.locator('.monaco-list-row', { hasText: pyVersion }).first().waitFor({ timeout: 30000 });
      result.createBases = (await text(quickInput)).slice(0, 400);
      await shot('create-base');
      await pickRow(pyVersion);
      await pickRow(/extras and groups/);
      await quickInput.locator('.monaco-list-row', { hasText: '[yaml]' }).first().waitFor({ timeout: 10000 });
      await shot('create-extras');
      await page.keyboard.press('Enter');
      await dialog.waitFor({ timeout: 30000 });
      result.createSummary = await text(dialog);
      await shot('create-summary');
      await docShot('create-summary', dialog);
      await dialog.locator('.monaco-button', { hasText: 'Create' }).click();
      await statusBar.getByText(/\.venv \(\d+\.\d+\.\d+, (uv|venv)\)/).first().waitFor({ timeout: 120000 });
      await problems();
      await waitMarkers(/main\.py/, false, 60000);
      await shot('created');
      pass('create');
    }

    if (want('cancel')) {
      step = 'install of requirements/dev.txt shows a cancellable notification';
      await openFromExplorer('requirements', 'dev.txt');
      await command('envsense: Install Project Requirements');
      const progress = await toast(/Install/, 60000);
      // pip has started changing the environment (the message is the installer's latest line).
      await progress.getByText(/Installing collected packages|uninstall/i).first().waitFor({ timeout: 90000 });
      result.progressToast = await text(progress);
      await shot('install-progress');
      await docShot('install-progress', progress);
      step = 'Cancel from the notification restores the downgraded envsense-dep';
      const cancelAt = Date.now();
      await progress.locator('.monaco-button, .action-label', { hasText: /Cancel/ }).first().click()
        .catch(() => progress.locator('.codicon-notifications-clear, [aria-label*="Cancel"]').first().click());
      const done = await toast(/cancelled/, 90000);
      result.cancelSeconds = (Date.now() - cancelAt) / 1000;
      result.cancelMessage = await text(done);
      const view = await packagesView();
      const dep = view.body.locator('.monaco-list-row', { hasText: 'envsense-dep' }).first();
      await dep.waitFor({ timeout: 30000 });
      await view.body.locator('.monaco-list-row', { hasText: /envsense-dep\s*2\.0/ }).first().waitFor({ timeout: 30000 });
      result.depRow = await text(dep);
      await shot('after-cancel');
      pass('cancel');
    }
    result.ok = true;
  } catch (e) {
    result.failedStep = step;
    result.error = String(e).split('\n')[0].slice(0, 300);
    result.statusBarText = (await text(statusBar)).slice(0, 400);
    result.problemsText = (await text(markers)).slice(0, 400);
    result.toasts = (await text(toasts)).slice(0, 400);
    await shot('failure').catch(() => {});
  } finally {
    result.seconds = (Date.now() - t0) / 1000;
    console.log(JSON.stringify(result));
    await browser.close();
    process.exit(result.ok ? 0 : 1);
  }
})();
