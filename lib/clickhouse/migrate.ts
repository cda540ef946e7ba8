import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../stack/paths.ts';
import type { Logger } from '../log.ts';
import type { ClickHouseStore } from './store.ts';

/** Where the DDL lives: `NNNN_name.sql`, applied in version order. */
export const migrationsDir = path.join(projectRoot, 'schemas', 'clickhouse', 'migrations');

/**
 * Options for {@link migrate}.
 * - `dir` (string, default {@link migrationsDir}): the folder of migration files.
 */
export interface MigrateOptions {
  dir?: string;
}

export interface Migration {
  version: number;
  /** The file name, e.g. `0001_access_log.sql`. */
  name: string;
  /** sha256 (hex) of the file with CRLF read as LF, so a Windows checkout is not "changed". */
  checksum: string;
  statements: string[];
}

/** A migration folder or record that cannot be applied safely; nothing further was applied. */
export class MigrationError extends Error {
  override name = 'MigrationError';
}

// The ledger. Its inserts carry a token per (version, checksum), and the table remembers tokens,
// so two processes migrating at once still record each migration once.
const ledgerDdl = `CREATE TABLE IF NOT EXISTS schema_migrations
(
  version UInt32,
  name String,
  checksum String,
  applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY version
SETTINGS non_replicated_deduplication_window = 1000`;

const fileName = /^(\d+)_[A-Za-z0-9_-]+\.sql$/;

/**
 * Splits a migration into statements: chdb runs one statement per query. A statement ends at a
 * line whose last non-blank character is `;`. Whole-line `--` comments are dropped (they never
 * end a statement, and errors then quote the SQL rather than the file's header).
 */
export function splitStatements(text: string): string[] {
  const statements: string[] = [];
  let current: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim().startsWith('--')) continue;
    current.push(line);
    if (line.trimEnd().endsWith(';')) {
      statements.push(current.join('\n').trim().replace(/;$/, '').trim());
      current = [];
    }
  }
  statements.push(current.join('\n').trim());
  return statements.filter((statement) => statement !== '');
}

/** The migrations in `dir`, by version; files that are not `.sql` are ignored. */
export function readMigrations(dir: string = migrationsDir): Migration[] {
  const migrations: Migration[] = [];
  for (const name of readdirSync(dir).filter((file) => file.endsWith('.sql'))) {
    const version = fileName.exec(name)?.[1];
    if (version === undefined) {
      throw new MigrationError(
        `migration file '${name}' in ${dir} is not named NNNN_name.sql (digits, _, letters)`,
      );
    }
    const text = readFileSync(path.join(dir, name), 'utf8').replace(/\r\n/g, '\n');
    const clash = migrations.find((m) => m.version === Number(version));
    if (clash) {
      throw new MigrationError(`migrations '${clash.name}' and '${name}' share version ${version}`);
    }
    migrations.push({
      version: Number(version),
      name,
      checksum: createHash('sha256').update(text).digest('hex'),
      statements: splitStatements(text),
    });
  }
  return migrations.sort((a, b) => a.version - b.version);
}

interface Applied {
  version: number;
  name: string;
  checksum: string;
}

/**
 * Brings the store's schema up to date: creates `schema_migrations`, checks every applied file is
 * unchanged (refusing, before applying anything, when one was edited), then applies the pending
 * files in version order, recording each after all its statements succeeded. Returns the names
 * applied now. Re-running is harmless: every statement is `IF NOT EXISTS`, so a file interrupted
 * half way is simply applied again, and concurrent runs converge on the same schema and ledger.
 */
export async function migrate(
  store: ClickHouseStore,
  log: Logger,
  options: MigrateOptions = {},
): Promise<string[]> {
  const dir = options.dir ?? migrationsDir;
  const migrations = readMigrations(dir);
  await store.command(ledgerDdl);
  const rows = await store.query<Applied>(
    'SELECT version, name, checksum FROM schema_migrations ORDER BY version, applied_at',
  );
  const applied = new Map<number, Applied>();
  for (const row of rows) {
    const version = Number(row.version);
    if (!applied.has(version)) applied.set(version, row);
  }
  for (const [version, row] of applied) {
    const file = migrations.find((m) => m.version === version);
    if (!file) {
      // A newer build migrated this store; an older one can usually still read it.
      log.warn({ version, name: row.name, dir }, 'applied migration has no file here');
    } else if (file.checksum !== row.checksum) {
      throw new MigrationError(
        `migration ${path.join(dir, file.name)} changed after it was applied (recorded sha256 ${row.checksum.slice(0, 12)}…, file now ${file.checksum.slice(0, 12)}…); applied migrations are append-only: restore the file and put the change in a new migration`,
      );
    }
  }
  const done: string[] = [];
  for (const migration of migrations.filter((m) => !applied.has(m.version))) {
    log.info({ migration: migration.name }, 'applying ClickHouse migration');
    for (const statement of migration.statements) await store.command(statement);
    await store.insert(
      'schema_migrations',
      [{ version: migration.version, name: migration.name, checksum: migration.checksum }],
      { deduplicationToken: `schema_migrations:${migration.version}:${migration.checksum}` },
    );
    done.push(migration.name);
  }
  return done;
}
