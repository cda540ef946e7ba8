import { ClickHouseStoreError } from '../../lib/clickhouse/store.ts';
import { ApiError } from '../../lib/http/errors.ts';

/** Bounds of ClickHouse's integer types, for values that arrive as text. */
const integerRanges: Record<string, [bigint, bigint]> = {
  UInt8: [0n, 255n],
  UInt16: [0n, 65_535n],
  UInt32: [0n, 4_294_967_295n],
  UInt64: [0n, 18_446_744_073_709_551_615n],
  Int8: [-128n, 127n],
  Int16: [-32_768n, 32_767n],
  Int32: [-2_147_483_648n, 2_147_483_647n],
  Int64: [-9_223_372_036_854_775_808n, 9_223_372_036_854_775_807n],
};

/**
 * Refuses `value` when it cannot be a `type` (the placeholder's ClickHouse type), with a 400
 * that names the parameter. The engine binds and parses the value anyway; checking here turns
 * the common mistakes into a clear answer instead of an engine error. Types not listed (dates,
 * strings) go to the engine as they are, and its verdict is mapped by {@link engineRefusal}.
 */
export function checkParam(name: string, type: string, value: string): void {
  const range = integerRanges[type];
  if (range !== undefined) {
    const fits =
      /^-?\d{1,20}$/.test(value) && BigInt(value) >= range[0] && BigInt(value) <= range[1];
    if (!fits) refuse(name, `an integer in ${range[0]}..${range[1]} (${type})`, value);
  } else if (/^Float(32|64)$/.test(type)) {
    if (value.trim() === '' || !Number.isFinite(Number(value))) refuse(name, 'a number', value);
  }
}

function refuse(name: string, expected: string, value: string): never {
  throw new ApiError(
    'BAD_REQUEST',
    `querystring/${name} must be ${expected}, got ${JSON.stringify(value)}`,
  );
}

/**
 * ClickHouse error codes that mean the caller's values were refused, not that the server
 * failed: throwIf (a dashboard's own check, e.g. top-edges' `sort`), a parameter the engine
 * could not bind or parse, a value out of a function's bounds.
 */
const refusedValueCodes = new Set([6, 26, 27, 38, 41, 69, 72, 395, 457]);

/**
 * The engine's refusal of a caller's value as a 400 carrying ClickHouse's own words (without
 * the SQL); undefined for any other failure, which stays a logged 500.
 */
export function engineRefusal(error: unknown): ApiError | undefined {
  if (!(error instanceof ClickHouseStoreError) || !refusedValueCodes.has(error.code ?? -1)) {
    return undefined;
  }
  const reason = /DB::Exception: (.*?)(?:: while executing|\. \(|$)/s.exec(error.clickhouseMessage);
  return new ApiError(
    'BAD_REQUEST',
    `ClickHouse refused the parameters: ${reason?.[1] ?? error.clickhouseMessage}`,
  );
}
