export const TERMS_FILE: string;
export function buildIndex(): { markdown: string; unknown: { file: string; line: number; citation: string; number: string }[] };
