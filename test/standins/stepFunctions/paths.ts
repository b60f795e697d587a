import { randomUUID } from 'node:crypto';

/**
 * The data-flow pieces of the Amazon States Language (JSONPath query language): reference
 * paths, payload templates with `.$` fields, and the intrinsic functions. Spec:
 * https://states-language.net/spec.html ("Paths", "Payload Template", "Intrinsic Functions");
 * AWS docs: "Processing input and output in Step Functions", "Intrinsic functions".
 */

/** An error Step Functions raises itself (States.Runtime and the like), with its name and cause. */
export class StatesError extends Error {
  constructor(
    readonly error: string,
    override readonly cause: string,
  ) {
    super(`${error}: ${cause}`);
  }
}

type Segment = string | number;

/** `$.a.b[0]['c d']` → ['a', 'b', 0, 'c d']; only reference paths (no wildcards, filters or slices). */
export function parsePath(path: string): { root: '$' | '$$'; segments: Segment[] } {
  const root = path.startsWith('$$') ? '$$' : path.startsWith('$') ? '$' : undefined;
  if (!root) throw new StatesError('States.Runtime', `'${path}' is not a path: a path starts with $`);
  const segments: Segment[] = [];
  const pattern = /\.([^.[\]]+)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]/y;
  let at = root.length;
  while (at < path.length) {
    pattern.lastIndex = at;
    const match = pattern.exec(path);
    if (!match) throw new StatesError('States.Runtime', `'${path}' is not a reference path this interpreter reads`);
    segments.push(match[1] ?? (match[2] !== undefined ? Number(match[2]) : match[3]!.replace(/\\(.)/g, '$1')));
    at = pattern.lastIndex;
  }
  return { root, segments };
}

/** The value at a path, or `found: false` when a field or index on the way is absent. */
export function lookup(data: unknown, context: unknown, path: string): { found: boolean; value?: unknown } {
  const { root, segments } = parsePath(path);
  let value: unknown = root === '$$' ? context : data;
  for (const segment of segments) {
    if (typeof segment === 'number' ? !Array.isArray(value) : !isObject(value)) return { found: false };
    const container = value as Record<string | number, unknown>;
    if (!Object.hasOwn(container, segment)) return { found: false };
    value = container[segment];
  }
  return { found: true, value };
}

/** The value at a path; a path that matches nothing is a States.Runtime error, as in Step Functions. */
export function read(data: unknown, context: unknown, path: string, where: string): unknown {
  const { found, value } = lookup(data, context, path);
  if (!found)
    throw new StatesError('States.Runtime', `${where}: the JSONPath '${path}' could not be found in the input`);
  return value;
}

/**
 * ResultPath: the result placed into a copy of the input. `null` keeps the input as it was,
 * `$` replaces it; a path through a value that is not an object fails with
 * States.ResultPathMatchFailure.
 */
export function place(input: unknown, result: unknown, resultPath: string | null | undefined): unknown {
  if (resultPath === null) return input;
  const { root, segments } = parsePath(resultPath ?? '$');
  if (root === '$$') throw new StatesError('States.Runtime', 'ResultPath cannot point into the context object');
  if (segments.length === 0) return result;
  const copy = structuredClone(input ?? {});
  let node: unknown = copy;
  for (const [i, segment] of segments.entries()) {
    if (!isObject(node) && !Array.isArray(node)) {
      throw new StatesError('States.ResultPathMatchFailure', `Unable to apply ResultPath '${resultPath}' to the input`);
    }
    const container = node as Record<string | number, unknown>;
    if (i === segments.length - 1) container[segment] = result;
    else {
      if (container[segment] === undefined) container[segment] = {};
      node = container[segment];
    }
  }
  return copy;
}

/**
 * A payload template (Parameters, ResultSelector, ItemSelector): a field named `x.$` takes the
 * value of its path or intrinsic function as `x`; others are copied; nested objects are templates too.
 */
export function template(value: unknown, data: unknown, context: unknown, where: string): unknown {
  if (Array.isArray(value)) return value.map((item) => template(item, data, context, where));
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (!key.endsWith('.$')) {
      out[key] = template(field, data, context, where);
      continue;
    }
    if (typeof field !== 'string')
      throw new StatesError('States.Runtime', `${where}: the value of ${key} must be a path`);
    out[key.slice(0, -2)] = field.startsWith('States.')
      ? intrinsic(field, data, context, where)
      : read(data, context, field, where);
  }
  return out;
}

type Argument = { literal: unknown } | { path: string } | { call: string; args: Argument[] };

/** Evaluates one intrinsic function call such as `States.Format('run {}', $$.Execution.Name)`. */
export function intrinsic(text: string, data: unknown, context: unknown, where: string): unknown {
  const parser = { text, at: 0 };
  const call = parseArgument(parser);
  skipSpace(parser);
  if (!('call' in call) || parser.at !== text.length) {
    throw new StatesError('States.Runtime', `${where}: '${text}' is not an intrinsic function call`);
  }
  return evaluate(call, data, context, where);
}

/** Escaped braces (\\{ \\}) are kept apart from States.Format's placeholders until it has run. */
const [openBrace, closeBrace] = ['\uE000', '\uE001'];
const unescapeBraces = (v: unknown) =>
  typeof v === 'string' ? v.replaceAll(openBrace, '{').replaceAll(closeBrace, '}') : v;

function evaluate(argument: Argument, data: unknown, context: unknown, where: string, escaped = false): unknown {
  if ('literal' in argument) return escaped ? argument.literal : unescapeBraces(argument.literal);
  if ('path' in argument) return read(data, context, argument.path, where);
  const format = argument.call === 'States.Format';
  const args = argument.args.map((a, i) => evaluate(a, data, context, where, format && i === 0));
  const fn = intrinsics[argument.call];
  if (!fn)
    throw new StatesError(
      'States.Runtime',
      `${where}: ${argument.call} is not an intrinsic function this interpreter runs`,
    );
  try {
    return fn(args);
  } catch (error) {
    if (error instanceof StatesError) throw error;
    throw new StatesError('States.IntrinsicFailure', `${where}: ${argument.call}: ${(error as Error).message}`);
  }
}

const primitive = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);

const intrinsics: Record<string, (args: unknown[]) => unknown> = {
  'States.Format': ([format, ...values]) => {
    if (typeof format !== 'string') throw new Error('the first argument must be a string');
    const pieces = format.split('{}');
    if (pieces.length - 1 !== values.length)
      throw new Error(`${pieces.length - 1} placeholders, ${values.length} values`);
    if (!values.every(primitive)) throw new Error('only strings, numbers, booleans and null can be formatted');
    return unescapeBraces(pieces.map((piece, i) => (i === 0 ? piece : `${String(values[i - 1])}${piece}`)).join(''));
  },
  'States.StringToJson': ([s]) => JSON.parse(String(s)),
  'States.JsonToString': ([v]) => JSON.stringify(v),
  'States.Array': (values) => values,
  'States.ArrayLength': ([a]) => (a as unknown[]).length,
  'States.ArrayGetItem': ([a, i]) => (a as unknown[])[i as number],
  'States.ArrayContains': ([a, v]) => (a as unknown[]).some((x) => JSON.stringify(x) === JSON.stringify(v)),
  'States.MathAdd': ([a, b]) => (a as number) + (b as number),
  'States.StringSplit': ([s, d]) =>
    String(s)
      .split(new RegExp(`[${String(d).replace(/[\]\\^-]/g, '\\$&')}]`))
      .filter(Boolean),
  'States.UUID': () => randomUUID(),
  'States.Base64Encode': ([s]) => Buffer.from(String(s), 'utf8').toString('base64'),
  'States.Base64Decode': ([s]) => Buffer.from(String(s), 'base64').toString('utf8'),
};

function skipSpace(p: { text: string; at: number }) {
  while (p.text[p.at] === ' ') p.at += 1;
}

function parseArgument(p: { text: string; at: number }): Argument {
  skipSpace(p);
  const rest = p.text.slice(p.at);
  if (rest.startsWith("'")) {
    // A string literal: \' \{ \} \\ are escapes (the spec's reserved characters).
    let value = '';
    p.at += 1;
    for (; p.at < p.text.length && p.text[p.at] !== "'"; p.at += 1) {
      if (p.text[p.at] === '\\') {
        p.at += 1;
        const escapedChar = p.text[p.at];
        value += escapedChar === '{' ? openBrace : escapedChar === '}' ? closeBrace : escapedChar;
        continue;
      }
      value += p.text[p.at];
    }
    p.at += 1;
    return { literal: value };
  }
  const call = /^(States\.[A-Za-z0-9]+)\(/.exec(rest);
  if (call) {
    p.at += call[0].length;
    const args: Argument[] = [];
    skipSpace(p);
    if (p.text[p.at] === ')') p.at += 1;
    else {
      for (;;) {
        args.push(parseArgument(p));
        skipSpace(p);
        const separator = p.text[p.at];
        p.at += 1;
        if (separator === ')') break;
        if (separator !== ',') throw new StatesError('States.Runtime', `'${p.text}': expected , or ) at ${p.at - 1}`);
      }
    }
    return { call: call[1]!, args };
  }
  const token = /^[^,)\s]+/.exec(rest)?.[0] ?? '';
  p.at += token.length;
  if (token.startsWith('$')) return { path: token };
  if (token === 'null') return { literal: null };
  if (token === 'true' || token === 'false') return { literal: token === 'true' };
  if (token !== '' && !Number.isNaN(Number(token))) return { literal: Number(token) };
  throw new StatesError('States.Runtime', `'${p.text}': '${token}' is not an argument`);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
