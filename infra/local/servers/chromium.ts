import { existsSync } from 'node:fs';
import { runCommand } from './process.js';

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
export const CHROMIUM_DEBIAN_VERSION = '156.0.8078.79-1~deb12u1';

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

const INSTALL_HINT =
  `install Debian's chromium package (apt-get install chromium=${CHROMIUM_DEBIAN_VERSION}, or plain ` +
  `chromium), or set ${OVERRIDE_ENV} to a Chromium executable`;

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
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;

  if (process.getuid?.() !== 0) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH} and installing it needs root: ${INSTALL_HINT}`,
    );
  }
  if (!existsSync('/usr/bin/apt-get')) {
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH} and apt-get is missing: ${INSTALL_HINT}`);
  }
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  log('installing Debian chromium with apt-get (about a minute)');
  // A bare machine's package lists are empty or stale: without the update apt finds no chromium at all.
  await runCommand('apt-get', ['update'], { env });
  const offered = await runCommand('apt-cache', ['madison', 'chromium'], { env }).catch(() => '');
  const pinned = offered.split('\n').some((line) => line.split('|')[1]?.trim() === CHROMIUM_DEBIAN_VERSION);
  let spec = `chromium=${CHROMIUM_DEBIAN_VERSION}`;
  if (!pinned) {
    console.warn(
      `[chromium] Debian no longer offers chromium ${CHROMIUM_DEBIAN_VERSION} (security updates replace old ` +
        'versions); installing the current chromium package instead. Update CHROMIUM_DEBIAN_VERSION in ' +
        'infra/local/servers/chromium.ts once the browser tests pass with it.',
    );
    spec = 'chromium';
  }
  await runCommand('apt-get', ['install', '-y', '--no-install-recommends', spec], { env });
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`apt-get installed ${spec} but ${CHROMIUM_PATH} is still missing`);
  }
  return CHROMIUM_PATH;
}
