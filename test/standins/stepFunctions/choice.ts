import { lookup, read, StatesError } from './paths.ts';

/**
 * A Choice state's rules (ASL spec, "Choice Rules"): And, Or, Not, and the comparison operators
 * on a Variable, each also as `…Path` comparing with another path's value. A comparison whose
 * Variable is absent is a States.Runtime error, except IsPresent; a value of another type than
 * the operator's is false.
 */
export type ChoiceRule = Record<string, unknown>;

const isTimestamp = (v: unknown) => typeof v === 'string' && !Number.isNaN(Date.parse(v));
const types: Record<string, (v: unknown) => boolean> = {
  String: (v) => typeof v === 'string',
  Numeric: (v) => typeof v === 'number',
  Timestamp: isTimestamp,
};

const comparisons: Record<string, (a: number, b: number) => boolean> = {
  Equals: (a, b) => a === b,
  LessThan: (a, b) => a < b,
  GreaterThan: (a, b) => a > b,
  LessThanEquals: (a, b) => a <= b,
  GreaterThanEquals: (a, b) => a >= b,
};

/** `*` matches any run of characters; `\*` and `\\` are literal (ASL spec, StringMatches). */
function matches(value: string, pattern: string): boolean {
  const source = pattern.replace(
    /\\(.)|(\*)|([.+?^${}()|[\]\\/])/g,
    (_m, escaped: string, star: string, special: string) =>
      escaped !== undefined ? escaped.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&') : star ? '.*' : `\\${special}`,
  );
  return new RegExp(`^${source}$`, 's').test(value);
}

export function evaluateRule(rule: ChoiceRule, data: unknown, context: unknown): boolean {
  if (Array.isArray(rule.And)) return (rule.And as ChoiceRule[]).every((r) => evaluateRule(r, data, context));
  if (Array.isArray(rule.Or)) return (rule.Or as ChoiceRule[]).some((r) => evaluateRule(r, data, context));
  if (rule.Not) return !evaluateRule(rule.Not as ChoiceRule, data, context);
  const variable = rule.Variable;
  if (typeof variable !== 'string') throw new StatesError('States.Runtime', 'a choice rule without a Variable');
  const operator = Object.keys(rule).find((k) => k !== 'Variable' && k !== 'Next');
  if (!operator) throw new StatesError('States.Runtime', `the choice rule on ${variable} has no comparison`);
  const present = lookup(data, context, variable);
  if (operator === 'IsPresent') return present.found === rule.IsPresent;
  if (!present.found) {
    throw new StatesError(
      'States.Runtime',
      `Invalid path '${variable}': The choice state's condition path references an invalid value.`,
    );
  }
  const value = present.value;
  const operand = operator.endsWith('Path') ? read(data, context, rule[operator] as string, 'Choice') : rule[operator];
  const name = operator.replace(/Path$/, '');
  switch (name) {
    case 'IsNull':
      return (value === null) === operand;
    case 'IsString':
      return (typeof value === 'string') === operand;
    case 'IsNumeric':
      return (typeof value === 'number') === operand;
    case 'IsBoolean':
      return (typeof value === 'boolean') === operand;
    case 'IsTimestamp':
      return isTimestamp(value) === operand;
    case 'BooleanEquals':
      return typeof value === 'boolean' && value === operand;
    case 'StringMatches':
      return typeof value === 'string' && matches(value, operand as string);
  }
  const kind = /^(String|Numeric|Timestamp)(Equals|LessThan|GreaterThan|LessThanEquals|GreaterThanEquals)$/.exec(name);
  if (!kind) throw new StatesError('States.Runtime', `${operator} is not a comparison operator`);
  const type = types[kind[1]!]!;
  if (!type(value) || !type(operand)) return false;
  const compare = comparisons[kind[2]!]!;
  if (kind[1] === 'Timestamp') return compare(Date.parse(value as string), Date.parse(operand as string));
  if (kind[1] === 'String') {
    const order = (value as string) < (operand as string) ? -1 : (value as string) > (operand as string) ? 1 : 0;
    return compare(order, 0);
  }
  return compare(value as number, operand as number);
}
