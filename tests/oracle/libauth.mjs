// Loads the pinned @bitauth/libauth from this folder's node_modules, or exits non-zero saying how to install it:
// a cross-check that cannot run must fail, never pass or skip.
import { existsSync, readFileSync } from 'node:fs';

const here = new URL('.', import.meta.url);

export const loadLibauth = async () => {
  const wanted = JSON.parse(readFileSync(new URL('package.json', here), 'utf8')).dependencies['@bitauth/libauth'];
  const installed = new URL('node_modules/@bitauth/libauth/package.json', here);
  if (!existsSync(installed)) {
    console.error('FAIL: @bitauth/libauth is not installed. Run `npm ci --prefix tests/oracle` (from the repository root).');
    process.exit(2);
  }
  const version = JSON.parse(readFileSync(installed, 'utf8')).version;
  if (version !== wanted) {
    console.error(`FAIL: @bitauth/libauth ${version} is installed but package.json pins ${wanted}. ` +
      'Run `npm ci --prefix tests/oracle` (from the repository root).');
    process.exit(2);
  }
  return import('@bitauth/libauth');
};
