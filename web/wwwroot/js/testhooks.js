// Test hooks: the browser tests (tests/Monitoring.Browser.Tests) read the pages' state through `window.__name`
// objects. They exist only when the test flag is set: the tests' browser contexts run `window.__monitoringTest = true`
// before any page script (ConsoleFixture.TestFlagScript). A console used by people has none.

/** Is the test flag set? */
export const testing = () => globalThis.__monitoringTest === true;

/** Publishes `hooks` as window[name] when the test flag is set; answers `hooks` either way (pages keep updating it). */
export function expose(name, hooks) {
  if (testing()) window[name] = hooks;
  return hooks;
}
