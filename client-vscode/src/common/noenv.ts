// The one-time "This project has no environment" notification (not again once dismissed for a project).
import type { EnvironmentsResult } from './protocol';

export const NO_ENV_MESSAGE = 'This project has no environment';
export const CREATE_VENV = 'Create .venv';
export const SELECT_ENV = 'Select...';

/** The project to ask about, or undefined: only fallback selections, once per project. */
export function projectToAsk(result: EnvironmentsResult, dismissed: readonly string[], asked: ReadonlySet<string>): string | undefined {
  const project = result.project;
  if (!result.fallback || !project || dismissed.includes(project) || asked.has(project)) {
    return undefined;
  }
  return project;
}

export function noEnvironmentMessage(project: string, selectedTitle: string | undefined): string {
  const name = project.split(/[\\/]/).filter(Boolean).pop() ?? project;
  const using = selectedTitle ? ` (using ${selectedTitle} for now)` : '';
  return `${NO_ENV_MESSAGE}: ${name}${using}. Create .venv, or select one?`;
}
