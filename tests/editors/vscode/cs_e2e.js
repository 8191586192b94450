// Drive code-server (VS Code in the browser) with headless Debian Chromium through playwright-core,
// and check what a user of the envsense extension sees. Prints one JSON line; exit 0 = all steps passed.
// env: CS_URL, WS_FOLDER, SHOTS (screenshot dir), EXPECT_STATUS (status bar text), MODULE (missing
//      import), STEPS (comma list from: status,problem,quickfix,install; default all), CHROMIUM.
const { chromium } = require('playwright-core');

const url = process.env.CS_URL;
const folder = process.env.WS_FOLDER;
const shots = process.env.SHOTS;
const expectStatus = process.env.EXPECT_STATUS;
const moduleName = process.env.MODULE || 'envsense_demo_pkg';
const steps = (process.env.STEPS || 'status,problem,quickfix,install').split(',').map((s) => s.trim());
const t0 = Date.now();
const log = (...a) => console.error(`[${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const want = (step) => steps.includes(step);
const fixPattern = new RegExp(`Install ${moduleName.replace(/_/g, '[-_]')}`, 'i');
// What our status bar item shows before the server answers, or when it has no environment.
const envsenseItem = /Python environments|Select Python environment|\(\.venv: /;

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => log('pageerror', String(e).slice(0, 200)));
  const result = { ok: false, steps, passed: [] };
  const statusBar = page.locator('.part.statusbar');
  const markers = page.locator('.markers-panel');
  let step = 'load';
  try {
    await page.goto(`${url}/?folder=${encodeURIComponent(folder)}`, { waitUntil: 'domcontentloaded' });
    await page.locator('.monaco-workbench').waitFor({ timeout: 90000 });
    log('workbench loaded');
    // Open the file from the Explorer (Quick Open was flaky while the welcome page had focus).
    step = 'open app.py';
    await page.locator('.explorer-folders-view').getByText('app.py', { exact: true }).click({ timeout: 60000 });
    await page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: 30000 });
    step = 'extension activated';
    await statusBar.getByText(envsenseItem).first().waitFor({ timeout: 60000 });
    result.activated = (await statusBar.getByText(envsenseItem).first().innerText()).trim();
    result.passed.push('activated');
    log('envsense status bar item:', result.activated);

    if (want('status')) {
      step = `status bar shows "${expectStatus}"`;
      await statusBar.getByText(expectStatus, { exact: false }).first().waitFor({ timeout: 90000 });
      result.statusBar = expectStatus;
      result.passed.push('status');
      await page.screenshot({ path: `${shots}/status.png` });
      log('status bar:', expectStatus);
    }
    let row;
    if (want('problem')) {
      step = `Problems panel lists ${moduleName}`;
      await page.keyboard.press('Control+Shift+M');
      row = markers.locator('.monaco-list-row', { hasText: moduleName }).first();
      await row.waitFor({ timeout: 90000 });
      result.problem = (await row.innerText()).replace(/\s+/g, ' ');
      result.passed.push('problem');
      await page.screenshot({ path: `${shots}/problems.png` });
      log('problem:', result.problem);
    }
    let fix;
    if (want('quickfix')) {
      step = `quick fix menu offers ${fixPattern}`;
      await row.dblclick(); // jumps to the marker and focuses the editor
      await page.locator('.monaco-editor.focused').first().waitFor({ timeout: 15000 });
      await page.keyboard.press('Control+.');
      fix = page.locator('.action-widget').getByText(fixPattern).first();
      // VS Code shows "No code actions available" when the server answered with none: fail at once.
      const none = page.getByText('No code actions available').first();
      await Promise.race([
        fix.waitFor({ timeout: 30000 }),
        none.waitFor({ timeout: 30000 }).then(() => {
          throw new Error('VS Code says "No code actions available": the server offered no quick fix at the diagnostic');
        }),
      ]);
      result.codeAction = (await fix.innerText()).trim();
      result.passed.push('quickfix');
      await page.screenshot({ path: `${shots}/quickfix.png` });
      log('quick fix:', result.codeAction);
    }
    if (want('install')) {
      step = `running "${result.codeAction}" clears the diagnostic`;
      // Keyboard, as a user would: the action list has focus; move to the fix and press Enter.
      // (A mouse click on the label timed out: playwright found the text on an element that is not the row.)
      const rows = page.locator('.action-widget .monaco-list-row');
      for (let i = 0; i < 20; i++) {
        const focused = (await rows.filter({ has: page.locator(':scope.focused') }).first().innerText().catch(() => ''))
          || (await page.locator('.action-widget .monaco-list-row.focused').first().innerText().catch(() => ''));
        if (fixPattern.test(focused)) {
          break;
        }
        await page.keyboard.press('ArrowDown');
      }
      await page.keyboard.press('Enter');
      await page.keyboard.press('Control+Shift+M');
      await markers.locator('.monaco-list-row', { hasText: moduleName }).first().waitFor({ state: 'detached', timeout: 120000 });
      result.passed.push('install');
      await page.screenshot({ path: `${shots}/after-install.png` });
      log('diagnostic cleared');
    }
    result.ok = true;
  } catch (e) {
    result.failedStep = step;
    result.error = String(e).split('\n')[0].slice(0, 300);
    result.statusBarText = (await statusBar.innerText().catch(() => '')).replace(/\s+/g, ' ').slice(0, 400);
    result.problemsText = (await markers.innerText().catch(() => '')).replace(/\s+/g, ' ').slice(0, 400);
    await page.screenshot({ path: `${shots}/failure.png` }).catch(() => {});
  } finally {
    result.seconds = (Date.now() - t0) / 1000;
    console.log(JSON.stringify(result));
    await browser.close();
    process.exit(result.ok ? 0 : 1);
  }
})();
