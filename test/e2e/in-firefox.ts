// jest's "firefox" project: the e2e files drive Firefox instead of Chromium (see browser.ts).
process.env.E2E_BROWSER = 'firefox';
