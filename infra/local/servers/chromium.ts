import { existsSync } from 'node:fs';
import { ensureDebianPackage } from './debian.js';

/**
 * Chromium for the browser tests (rendering the HTML reports). Debian's package, not a browser build
 * that a test tool downloads itself: only the package registries are reachable from our machines and CI,
 * and Debian's build is what they can install.
 */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * The version the tests were written against. Debian security updates replace it (old versions leave
 * the archive), so a missing pin falls back to the current package with a warning rather than failing.
 */
export const CHROMIUM_DEBIAN_VERSION = '156.0.8078.129-1~deb12u1';

/**
 * Flags for a headless Chromium on a machine without network. The background-networking, component
 * update and sync switches stop Chromium from contacting Google's services at every start, which on a
 * closed network means a stream of refused connections and failed lookups; QUIC off for the same reason.
 * `--no-sandbox` because we run as root, where Chromium's sandbox refuses to start.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** STRATA_CHROMIUM points at another Chromium (a developer machine that is not Debian). */
const OVERRIDE_ENV = 'STRATA_CHROMIUM';

/**
 * Returns the path of a Chromium executable, installing Debian's package when none is there. Needs root
 * and apt-get for the install; without them it throws an error that says what to install.
 */
export async function ensureChromium(log: (msg: string) => void = () => {}): Promise<string> {
  const override = process.env[OVERRIDE_ENV];
  if (override !== undefined && override !== '') {
    if (!existsSync(override)) throw new Error(`${OVERRIDE_ENV}=${override} does not exist`);
    return override;
  }
  await ensureDebianPackage(
    {
      name: 'chromium',
      pin: CHROMIUM_DEBIAN_VERSION,
      provides: [CHROMIUM_PATH],
      pinnedIn: 'infra/local/servers/chromium.ts (CHROMIUM_DEBIAN_VERSION)',
      note: 'about a minute',
      alternative: `set ${OVERRIDE_ENV} to a Chromium executable`,
    },
    log,
  );
  return CHROMIUM_PATH;
}
