/**
 * Ends every jest run with the plain line CI reads ("N passed, N failed, N skipped") and, when
 * JEST_SUMMARY_FILE is set, writes the counts there so .ci/run can add up its two runs.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const summary = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
    };
    process.stdout.write(`\njest: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped\n`);
    if (process.env.JEST_SUMMARY_FILE) require('fs').writeFileSync(process.env.JEST_SUMMARY_FILE, JSON.stringify(summary));
  }
}
module.exports = SummaryReporter;
