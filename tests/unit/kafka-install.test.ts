import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log.ts';
import {
  installedKafka,
  installKafka,
  KAFKA_VERSION,
  kafkaPom,
  mavenError,
} from '../../stack/kafka/install.ts';
import { PrerequisiteError, which } from '../../stack/prerequisites.ts';

const log = createLogger('kafka-install-test', { level: 'silent' });
const saved = { PATH: process.env.PATH, MESHGRAPH_CACHE_DIR: process.env.MESHGRAPH_CACHE_DIR };
let tmp: string;

/** A PATH holding only `sh` (which() needs it) plus the named real commands. */
function pathWith(...commands: string[]): string {
  const bin = mkdtempSync(path.join(tmp, 'bin-'));
  for (const command of ['sh', ...commands]) {
    const real = which(command);
    if (!real) throw new Error(`test needs ${command} on PATH`);
    symlinkSync(real, path.join(bin, command));
  }
  return bin;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshgraph-kafka-install-'));
  process.env.MESHGRAPH_CACHE_DIR = path.join(tmp, 'cache'); // empty: never the fast path
});

afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  rmSync(tmp, { recursive: true, force: true });
});

describe('installKafka prerequisites', () => {
  it('names java, in one line, when java is not on PATH', async () => {
    process.env.PATH = pathWith('mvn');
    const error = await rejection(installKafka(log));
    expect(error).toBeInstanceOf(PrerequisiteError);
    expect(error.message).toMatch(/'java'.*apt-get install openjdk-17-jre-headless/);
    expect(error.message).not.toContain('\n');
  });

  it('names mvn, in one line, when Maven is not on PATH', async () => {
    process.env.PATH = pathWith('java');
    const error = await rejection(installKafka(log));
    expect(error).toBeInstanceOf(PrerequisiteError);
    expect(error.message).toMatch(/'mvn'.*apt-get install maven/);
    expect(error.message).not.toContain('\n');
  });

  it('says it cannot download, in one line, when no Maven repository answers', async () => {
    // Every repository mirrored to a closed local port, and an empty local repository so that
    // even the dependency plugin has to be downloaded.
    const settings = path.join(tmp, 'settings.xml');
    writeFileSync(
      settings,
      '<settings><mirrors><mirror><id>unreachable</id><mirrorOf>*</mirrorOf>' +
        '<url>http://127.0.0.1:9/maven2</url></mirror></mirrors></settings>\n',
    );
    const options = { mavenSettings: settings, mavenRepoLocal: path.join(tmp, 'm2') };
    const error = await rejection(installKafka(log, options));
    expect(error).toBeInstanceOf(PrerequisiteError);
    expect(error.message).toMatch(
      /^cannot download the Kafka jars from Maven Central \(mvn: .*127\.0\.0\.1:9.*\); check network access to the Maven registry$/,
    );
    expect(error.message).not.toContain('\n');
    // Nothing half-installed is left to be mistaken for an install.
    const versionDir = path.join(tmp, 'cache', 'kafka', KAFKA_VERSION);
    expect(existsSync(path.join(versionDir, 'libs'))).toBe(false);
    expect(existsSync(path.join(versionDir, 'installed.sha256'))).toBe(false);
    expect(existsSync(path.join(versionDir, 'install.lock'))).toBe(false);
    expect(() => installedKafka()).toThrow(
      new PrerequisiteError('Kafka jars not installed: run `meshgraph stack install`'),
    );
  });

  it('does nothing, not even look for mvn, when the jars match the pom', async () => {
    const versionDir = path.join(tmp, 'cache', 'kafka', KAFKA_VERSION);
    mkdirSync(path.join(versionDir, 'libs'), { recursive: true });
    const hash = createHash('sha256').update(readFileSync(kafkaPom)).digest('hex');
    writeFileSync(path.join(versionDir, 'installed.sha256'), `${hash}\n`);
    process.env.PATH = pathWith('java');
    const install = await installKafka(log);
    expect(install.libDir).toBe(path.join(versionDir, 'libs'));
    expect(install.classpath).toBe(path.join(versionDir, 'libs', '*'));
    expect(installedKafka()).toEqual(install);
  });

  it('pins the same Kafka version in the pom and in KAFKA_VERSION', () => {
    expect(readFileSync(kafkaPom, 'utf8')).toContain(
      `<kafka.version>${KAFKA_VERSION}</kafka.version>`,
    );
  });
});

describe('mavenError', () => {
  it('keeps the resolver cause and drops the boilerplate', () => {
    const output = [
      '\x1b[0m\x1b[0m[ERROR] Plugin org.apache.maven.plugins:maven-dependency-plugin:3.8.1 or one of its dependencies could not be resolved: Failed to read artifact descriptor for x:y:jar:1: Could not transfer artifact x:y:pom:1 from/to central (http://127.0.0.1:9): Connection refused -> [Help 1]',
      '[ERROR] ',
      '[ERROR] To see the full stack trace of the errors, re-run Maven with the -e switch.',
      '[ERROR] [Help 1] http://example.invalid/PluginResolutionException',
    ].join('\n');
    expect(mavenError(output)).toBe(
      'Could not transfer artifact x:y:pom:1 from/to central (http://127.0.0.1:9): Connection refused',
    );
  });

  it('falls back to the last line when mvn printed no [ERROR]', () => {
    expect(mavenError('something\nwent wrong\n\n')).toBe('went wrong');
  });
});
