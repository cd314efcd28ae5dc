import { Worker } from 'node:worker_threads';

/** Runs in a worker: pdf.js's parsing is CPU-bound and would stall the system under test sharing this event loop. */
const SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const pdfjs = require(workerData.pdfjs);
(async () => {
  const doc = await pdfjs.getDocument({ data: new Uint8Array(workerData.data), disableFontFace: true, useSystemFonts: false, isEvalSupported: false, verbosity: 0 }).promise;
  const pages = [];
  for (let n = 1; n <= doc.numPages; n += 1) {
    const content = await (await doc.getPage(n)).getTextContent();
    pages.push(content.items.map((item) => (item.str || '') + (item.hasEOL ? '\\n' : '')).join(''));
  }
  parentPort.postMessage({ pages });
})().catch((error) => parentPort.postMessage({ error: String((error && error.stack) || error) }));
`;

/**
 * The text of a PDF, page by page, read with pdf.js (the legacy build runs on Node without a browser): what a reader
 * of the file would see, so tests check the rendered statement, not what was handed to the renderer.
 */
export function pdfText(data: Buffer): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(SCRIPT, { eval: true, workerData: { data, pdfjs: require.resolve('pdfjs-dist/legacy/build/pdf.js') }, stdout: true });
    worker.once('message', (message: { pages?: string[]; error?: string }) => {
      void worker.terminate();
      if (message.error) reject(new Error(message.error));
      else resolve(message.pages!);
    });
    worker.once('error', reject);
  });
}
