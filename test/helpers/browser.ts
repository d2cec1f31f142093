// Debian's Chromium for the browser tests: playwright-core downloads no browser, and nothing can be downloaded here.
export const CHROMIUM = '/usr/bin/chromium';
/** Headless, as root, and quiet: without the background-networking flags Chromium keeps calling home. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
