export interface Clause {
  number: string;
  title: string;
  section: string;
  isSection: boolean;
  leaf: boolean;
}
export interface Citation {
  index: number;
  text: string;
  numbers: string[];
}
export interface DeveloperText {
  start: number;
  end: number;
  kind: 'comment' | 'description' | 'test name';
  test: string | undefined;
}
export const ROOT: string;
export const CLAUSES_FILE: string;
export function loadClauses(file?: string): Clause[];
export function citationsIn(text: string): Citation[];
export function expandList(list: string): string[];
export function rewriteText(text: string, known: Set<string>): string;
export function developerTexts(file: string, text: string): DeveloperText[];
export function repositoryFiles(endings: string[]): string[];
export function isTestFile(file: string): boolean;
