export function rewriteFile(file: string, text: string, known: Set<string>): { rewritten: string; changes: { line: number; before: string; after: string }[] };
