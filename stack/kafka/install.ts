import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../../lib/log.ts';
import { cacheDir, projectRoot } from '../paths.ts';
import { lastLine, PrerequisiteError, requireCommand } from '../prerequisites.ts';
import { isAlive } from '../process.ts';

/** The Kafka release meshgraph runs; must equal `<kafka.version>` in the pom (checked on install). */
export const KAFKA_VERSION = '4.1.1';

/** The pinned pom whose dependencies are the broker's classpath. */
export const kafkaPom = path.join(projectRoot, 'stack', 'kafka', 'pom.xml');

/** Where the jars of {@link KAFKA_VERSION} live once installed. */
export interface KafkaInstall {
  /** Folder holding every jar. */
  libDir: string;
  /** `<libDir>/*`: java expands the wildcard itself, so this is a complete `-cp` value. */
  classpath: string;
}

/**
 * Options for {@link installKafka}. Both default to the environment so that CI or a machine
 * behind a Maven mirror can redirect the download without code changes.
 * - `mavenSettings` (string, default `$MESHGRAPH_MAVEN_SETTINGS`, else mvn's own
 *   `~/.m2/settings.xml`): a settings.xml handed to `mvn -s` (mirrors, proxies).
 * - `mavenRepoLocal` (string, default `$MESHGRAPH_MAVEN_REPO`, else `~/.m2/repository`):
 *   Maven's local repository (`-Dmaven.repo.local`), the download cache shared across projects.
 */
export interface InstallKafkaOptions {
  mavenSettings?: string;
  mavenRepoLocal?: string;
}

const javaHowTo = 'apt-get install openjdk-17-jre-headless (Kafka 4 needs Java 17+)';
const mvnHowTo = 'apt-get install maven';
const notInstalled = 'Kafka jars not installed: run `meshgraph stack install`';

/** Cache folder for this Kafka version; honours `MESHGRAPH_CACHE_DIR` at call time. */
function versionDir(): string {
  return path.join(cacheDir(), 'kafka', KAFKA_VERSION);
}

function pomHash(): string {
  return createHash('sha256').update(readFileSync(kafkaPom)).digest('hex');
}

/** True when the marker says the jars in `libs` came from exactly the current pom. */
function isCurrent(dir: string, hash: string): boolean {
  try {
    return readFileSync(path.join(dir, 'installed.sha256'), 'utf8').trim() === hash;
  } catch {
    return false;
  }
}

function describe(dir: string): KafkaInstall {
  const libDir = path.join(dir, 'libs');
  return { libDir, classpath: path.join(libDir, '*') };
}

/**
 * The installed jars, without installing anything: what a driver calls before it starts Kafka.
 * Throws a PrerequisiteError when they are missing or were resolved from a different pom.
 */
export function installedKafka(): KafkaInstall {
  const dir = versionDir();
  if (!isCurrent(dir, pomHash())) throw new PrerequisiteError(notInstalled);
  return describe(dir);
}

let javaChecked: string | undefined;

/**
 * `java` on PATH and at least 17 (Kafka 4's broker refuses older ones with a stack trace); the
 * version probe costs a JVM start, so it runs once per process and path.
 */
export async function requireJava(): Promise<string> {
  const java = requireCommand('java', javaHowTo);
  if (javaChecked === java) return java;
  const { stderr } = await run(java, ['-version']);
  // `openjdk version "17.0.15"`, `java version "1.8.0_402"`, `openjdk version "21"`.
  const match = /version "(?:1\.)?(\d+)/.exec(stderr);
  const major = match ? Number(match[1]) : Number.NaN;
  if (!(major >= 17)) {
    throw new PrerequisiteError(
      `missing prerequisite: ${java} is Java ${match?.[1] ?? '(unknown version)'}, Kafka 4 needs Java 17+; ${javaHowTo}`,
    );
  }
  javaChecked = java;
  return java;
}

/**
 * Makes the Kafka jars available under `<cache>/kafka/<version>/libs`. Idempotent: a marker
 * holds the pom's hash, so a re-run with the same pom returns at once without calling mvn.
 * Concurrent callers (parallel test files) serialise on a lock file and share one download.
 */
export async function installKafka(
  log: Logger,
  options: InstallKafkaOptions = {},
): Promise<KafkaInstall> {
  await requireJava();
  const dir = versionDir();
  const hash = pomHash();
  if (isCurrent(dir, hash)) return describe(dir);

  const mvn = requireCommand('mvn', mvnHowTo);
  checkPomVersion();
  mkdirSync(dir, { recursive: true });
  const release = await lock(path.join(dir, 'install.lock'));
  try {
    if (isCurrent(dir, hash)) return describe(dir); // another process finished meanwhile
    const started = Date.now();
    const staging = path.join(dir, `libs.partial-${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    log.info({ version: KAFKA_VERSION, pom: kafkaPom }, 'resolving Kafka jars with mvn');
    await resolveJars(mvn, staging, options);
    const libs = path.join(dir, 'libs');
    rmSync(libs, { recursive: true, force: true });
    renameSync(staging, libs);
    writeFileSync(path.join(dir, 'installed.sha256'), `${hash}\n`);
    const jars = readdirSync(libs).length;
    log.info({ version: KAFKA_VERSION, libs, jars, ms: Date.now() - started }, 'Kafka installed');
    return describe(dir);
  } finally {
    release();
  }
}

/** Guards against bumping one of the two version pins and forgetting the other. */
function checkPomVersion(): void {
  const pinned = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(kafkaPom, 'utf8'));
  if (pinned?.[1] !== KAFKA_VERSION) {
    throw new Error(
      `${kafkaPom} pins Kafka ${pinned?.[1] ?? '(none)'} but install.ts says ${KAFKA_VERSION}: make them equal`,
    );
  }
}

async function resolveJars(mvn: string, outDir: string, options: InstallKafkaOptions) {
  const settings = options.mavenSettings ?? process.env.MESHGRAPH_MAVEN_SETTINGS;
  const repoLocal = options.mavenRepoLocal ?? process.env.MESHGRAPH_MAVEN_REPO;
  const args = [
    '-B',
    '-q',
    '-Dstyle.color=never',
    ...(settings ? ['-s', settings] : []),
    ...(repoLocal ? [`-Dmaven.repo.local=${repoLocal}`] : []),
    '-f',
    kafkaPom,
    // groupId:artifactId:goal, so the version comes from the pom's <plugins> pin; the bare
    // `dependency:` prefix needs plugin-group metadata that an empty local repo lacks.
    'org.apache.maven.plugins:maven-dependency-plugin:copy-dependencies',
    `-DoutputDirectory=${outDir}`,
    '-DincludeScope=runtime',
  ];
  const result = await run(mvn, args);
  if (result.code !== 0) {
    rmSync(outDir, { recursive: true, force: true });
    throw new PrerequisiteError(
      `cannot download the Kafka jars from Maven Central (mvn: ${mavenError(result.stdout + result.stderr)}); check network access to the Maven registry`,
    );
  }
}

/**
 * The line of mvn's output that says what went wrong: its first `[ERROR]` line (the rest is
 * boilerplate about -e, -X and help links), cut to the resolver's own cause when present.
 */
export function mavenError(output: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Debian's mvn prints ESC[0m even with -B.
  const clean = output.replace(/\x1b\[[0-9;]*m/g, '');
  const first = clean
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line.startsWith('[ERROR]') && line.replace('[ERROR]', '').trim() !== '');
  if (!first) return lastLine(clean);
  let message = first.replace(/^\[ERROR\]\s*/, '').replace(/\s*-> \[Help \d+\]$/, '');
  const cause =
    /(Could not (?:transfer|resolve|find) artifact|Cannot access \S+ in offline mode)/.exec(
      message,
    );
  if (cause) message = message.slice(cause.index);
  return message.length > 400 ? `…${message.slice(-400)}` : message;
}

/**
 * An exclusive lock: a file created with O_EXCL holding our pid. A lock whose owner died is
 * taken over; we poll rather than watch because the wait is rare and short-lived.
 */
async function lock(file: string): Promise<() => void> {
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number(readFileSafe(file));
    // An empty file is a lock being written this instant: only a known-dead owner is stale.
    if (owner > 0 && !isAlive(owner)) rmSync(file, { force: true });
    else await delay(250);
  }
}

function readFileSafe(file: string): string {
  try {
    return existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  } catch {
    return '';
  }
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and never rejects: the caller decides what a failure means. */
export function run(command: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(command, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      // A spawn failure (ENOENT, EACCES) has no output of its own: keep its message instead.
      const spawnFailure = error && typeof error.code !== 'number' ? `\n${error.message}` : '';
      resolve({ code, stdout: String(stdout), stderr: String(stderr) + spawnFailure });
    });
  });
}
