import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import { Language, formatMinorUnits } from '@selfcare/shared';
import type { UsageRecordEntity } from '../usage/entities';
import { statementCells, statementTexts, periodText } from './texts';

/** What a renderer is told about the statement besides its rows. */
export interface StatementHeader {
  language: Language;
  msisdn: string | null;
  from: Date;
  to: Date;
  masked: boolean;
}

/** Renders a statement from pages of rows to `out`, a page at a time; `pageDone` is awaited between pages. */
export interface StatementRenderer {
  readonly contentType: string;
  readonly extension: string;
  render(header: StatementHeader, pages: AsyncIterable<UsageRecordEntity[]>, out: (data: Buffer | string) => void, pageDone: () => Promise<void>): Promise<number>;
}

/** A spreadsheet opening a cell with = + - @ (or a tab/CR) runs it as a formula: quote it as text (OWASP CSV injection). */
function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !/^-?\d+(\.\d+)?$/.test(value) ? `'${value}` : value;
  return /[",\r\n;]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** RFC 4180 CSV, UTF-8 with a byte-order mark (so spreadsheets read Cyrillic and Kazakh letters right), CRLF lines. */
export const csvRenderer: StatementRenderer = {
  contentType: 'text/csv; charset=utf-8',
  extension: 'csv',
  async render(header, pages, out, pageDone) {
    const line = (cells: string[]) => out(`${cells.map(csvCell).join(',')}\r\n`);
    out('\ufeff');
    line(statementTexts.columns[header.language]);
    let count = 0;
    for await (const rows of pages) {
      for (const row of rows) line(statementCells(row, header.language, header.masked));
      count += rows.length;
      await pageDone();
    }
    return count;
  },
};

const requireHere = createRequire(__filename);
/** DejaVu Sans from the npm package (not the machine's fonts): it has Cyrillic and the Kazakh letters ә ғ қ ң ө ұ ү һ і. */
const FONT_REGULAR = requireHere.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
const FONT_BOLD = requireHere.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf');

/** Column widths on landscape A4 (points), in the order of `statementTexts.columns`. */
const WIDTHS = [96, 52, 60, 104, 84, 60, 226, 68];
const MARGIN = 36;
const FONT_SIZE = 7.5;

/**
 * PDF with pdfkit: landscape A4, a table of the rows, totals at the end. pdfkit writes each finished page out
 * (no page buffering) and its layout cache is emptied after each page of rows, so memory does not grow with the rows.
 */
export const pdfRenderer: StatementRenderer = {
  contentType: 'application/pdf',
  extension: 'pdf',
  async render(header, pages, out, pageDone) {
    const language = header.language;
    const doc = new PDFDocument({ size: 'A4', layout: 'landscape', margin: MARGIN, bufferPages: false, info: { Title: statementTexts.title[language], Author: 'Beeline' } });
    doc.registerFont('regular', FONT_REGULAR);
    doc.registerFont('bold', FONT_BOLD);
    const ended = new Promise<void>((resolve, reject) => {
      doc.on('data', (chunk: Buffer) => out(chunk));
      doc.on('end', () => resolve());
      doc.on('error', reject);
    });
    const bottom = doc.page.height - MARGIN;
    // One line per row, a longer cell cut with an ellipsis.
    const height = FONT_SIZE * 1.25 + 3;
    const drawRow = (cells: string[], font: 'regular' | 'bold') => {
      doc.font(font).fontSize(FONT_SIZE);
      if (doc.y + height > bottom) {
        doc.addPage();
        drawHead();
        doc.font(font).fontSize(FONT_SIZE);
      }
      const y = doc.y;
      let x = MARGIN;
      cells.forEach((cell, i) => {
        if (cell) doc.text(fit(doc, cell, WIDTHS[i]! - 4), x + 2, y, { lineBreak: false });
        x += WIDTHS[i]!;
      });
      doc.x = MARGIN;
      doc.y = y + height;
    };
    const drawHead = () => drawRow(statementTexts.columns[language], 'bold');

    doc.font('bold').fontSize(14).text(statementTexts.title[language]);
    doc.font('regular').fontSize(9);
    if (header.msisdn) doc.text(`${statementTexts.number[language]}: ${header.msisdn}`);
    doc.text(`${statementTexts.period[language]}: ${periodText(header.from, header.to)}`);
    if (header.masked) doc.text(statementTexts.masked[language]);
    doc.moveDown(0.5);
    drawHead();

    let count = 0;
    let totalMinor = 0;
    for await (const rows of pages) {
      for (const row of rows) {
        drawRow(statementCells(row, language, header.masked), 'regular');
        totalMinor += row.chargeMinor;
      }
      count += rows.length;
      forgetLayouts(doc);
      await pageDone();
    }
    doc.moveDown(0.5);
    doc.font('bold').fontSize(9);
    if (count === 0) doc.text(statementTexts.empty[language], MARGIN);
    doc.text(`${statementTexts.records[language]}: ${count}`, MARGIN);
    doc.text(`${statementTexts.total[language]}: ${formatMinorUnits(totalMinor)} ₸`, MARGIN);
    doc.end();
    await ended;
    return count;
  },
};

/**
 * The cell's text as it fits its column, cut with an ellipsis. Measuring costs a layout, so only a text longer than
 * surely fits is measured: DejaVu Sans's digits, its widest common glyphs, are 0.64 em.
 */
function fit(doc: PDFKit.PDFDocument, text: string, width: number): string {
  if (text.length * FONT_SIZE * 0.64 <= width || doc.widthOfString(text) <= width) return text;
  let cut = text.length - 1;
  while (cut > 1 && doc.widthOfString(`${text.slice(0, cut)}…`) > width) cut -= 1;
  return `${text.slice(0, cut)}…`;
}

/**
 * pdfkit keeps the layout of every distinct word it set (each timestamp, each number) until the document ends; emptied
 * after each page of rows, the cache still serves the repeated words of a page and memory no longer grows with the rows.
 * (`_fontFamilies` and `layoutCache` are pdfkit 0.17's, pinned; bench/statements.js shows the effect.)
 */
function forgetLayouts(doc: PDFKit.PDFDocument): void {
  const fonts = (doc as unknown as { _fontFamilies?: Record<string, { layoutCache?: object }> })._fontFamilies ?? {};
  for (const font of Object.values(fonts)) if (font.layoutCache) font.layoutCache = Object.create(null) as object;
}

export const renderers = { CSV: csvRenderer, PDF: pdfRenderer } as const;
