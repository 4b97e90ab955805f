import { existsSync } from 'node:fs';
import { runCommand } from './process.js';

export interface DebianPackage {
  /** The package name, e.g. `postgresql-15`. */
  name: string;
  /**
   * The version the tests were written against. Debian security updates replace it (old versions leave
   * the archive), so a missing pin falls back to the current package with a warning rather than failing.
   */
  pin: string;
  /** Files the package must provide; present means installed. */
  provides: readonly string[];
  /** Where the pin is set, for the warning (`infra/local/servers/postgres.ts`, POSTGRES_DEBIAN_VERSION). */
  pinnedIn: string;
  /** Extra environment for apt (e.g. RUNLEVEL=1 keeps a postinst from starting a system-wide server). */
  env?: Record<string, string>;
  /** How long it takes, for the log line. */
  note?: string;
  /** Another way to satisfy the need, added to the error when installing is impossible. */
  alternative?: string;
}

/**
 * Installs a Debian package, pinned, when what it provides is missing: the only registry our machines
 * and CI reach for native tools. Needs root and apt-get; without them it says what to install.
 */
export async function ensureDebianPackage(pkg: DebianPackage, log: (message: string) => void): Promise<void> {
  const missing = pkg.provides.find((file) => !existsSync(file));
  if (missing === undefined) return;
  const hint =
    `install Debian's ${pkg.name} (apt-get install ${pkg.name}=${pkg.pin}, or plain ${pkg.name})` +
    (pkg.alternative ? `, or ${pkg.alternative}` : '');
  if (process.getuid?.() !== 0) {
    throw new Error(`${pkg.name} is not installed (${missing}) and installing it needs root: ${hint}`);
  }
  if (!existsSync('/usr/bin/apt-get')) {
    throw new Error(`${pkg.name} is not installed (${missing}) and apt-get is missing: ${hint}`);
  }
  const env = { DEBIAN_FRONTEND: 'noninteractive', ...pkg.env };
  log(`installing Debian ${pkg.name} with apt-get${pkg.note ? ` (${pkg.note})` : ''}`);
  // A bare machine's package lists are empty or stale: without the update apt finds nothing to install.
  await runCommand('apt-get', ['update'], { env });
  const offered = await runCommand('apt-cache', ['madison', pkg.name], { env }).catch(() => '');
  const pinned = offered.split('\n').some((line) => line.split('|')[1]?.trim() === pkg.pin);
  let spec = `${pkg.name}=${pkg.pin}`;
  if (!pinned) {
    console.warn(
      `[${pkg.name}] Debian no longer offers ${pkg.name} ${pkg.pin} (security updates replace old versions); ` +
        `installing the current ${pkg.name} package instead. Update the pin in ${pkg.pinnedIn} once the ` +
        'tests pass with it.',
    );
    spec = pkg.name;
  }
  await runCommand('apt-get', ['install', '-y', '--no-install-recommends', spec], { env });
  const still = pkg.provides.find((file) => !existsSync(file));
  if (still !== undefined) throw new Error(`apt-get installed ${spec} but ${still} is still missing`);
}
