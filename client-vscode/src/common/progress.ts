// The server's work-done progress shown where users look: installs and creates as a notification
// with a Cancel button (cancelling sends window/workDoneProgress/cancel), background work (the
// workspace check) in the status bar. Other editors keep the plain LSP progress.
import { WorkDoneProgress, WorkDoneProgressCancelNotification, WorkDoneProgressCreateRequest } from 'vscode-languageserver-protocol';
import type { LanguageClient } from 'vscode-languageclient/node';
import { withProgress, type Disposable, type ProgressWhere } from './vscodeapi';

type Token = string | number;

/** Installs and environment creations interrupt the user's flow: notifications; the rest: the status bar. */
export function progressLocation(token: Token): ProgressWhere {
  return String(token).startsWith('envsense-install-') ? 'notification' : 'window';
}

interface ProgressValue {
  kind: 'begin' | 'report' | 'end';
  title?: string;
  message?: string;
  cancellable?: boolean;
  percentage?: number;
}

/** What the tracker needs from the language client (a fake in tests). */
export interface ProgressClient {
  onProgress(token: Token, handler: (value: ProgressValue) => void): Disposable;
  cancel(token: Token): void;
}

/** Status-bar progress has no Cancel button: these tokens are cancelled by a command instead. */
export const backgroundTokens = new Set<Token>();

/** "envsense: Stop Checking the Workspace": cancel every running background check. */
export function cancelBackground(client: ProgressClient | undefined): number {
  const tokens = [...backgroundTokens];
  tokens.forEach((token) => client?.cancel(token));
  return tokens.length;
}

/** Follow one progress token: begin opens the item, report updates it, end closes it. */
export function trackProgress(client: ProgressClient, token: Token): void {
  let report: ((message: string | undefined) => void) | undefined;
  let finish: (() => void) | undefined;
  let ended = false;
  const subscription = client.onProgress(token, (value) => {
    if (value.kind === 'begin') {
      if (progressLocation(token) === 'window') {
        backgroundTokens.add(token);
      }
      void withProgress(progressLocation(token), value.title ?? 'envsense', value.cancellable ?? false, (progress, cancel) => {
        report = (message) => progress.report({ message });
        report(value.message);
        cancel.onCancellationRequested(() => client.cancel(token));
        return new Promise<void>((resolve) => {
          finish = resolve;
          if (ended) {
            resolve();
          }
        });
      });
    } else if (value.kind === 'report') {
      report?.(value.message);
    } else {
      ended = true;
      backgroundTokens.delete(token);
      finish?.();
      subscription.dispose();
    }
  });
}

export function progressClient(client: LanguageClient): ProgressClient {
  return {
    onProgress: (token, handler) => client.onProgress(WorkDoneProgress.type, token, handler as (v: unknown) => void),
    cancel: (token) => void client.sendNotification(WorkDoneProgressCancelNotification.type, { token }),
  };
}

/** Take over window/workDoneProgress/create from vscode-languageclient's status-bar-only handler. */
export function routeServerProgress(client: LanguageClient): Disposable {
  const adapter = progressClient(client);
  return client.onRequest(WorkDoneProgressCreateRequest.type, (params) => {
    trackProgress(adapter, params.token);
  });
}
