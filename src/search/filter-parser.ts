import { invalidParameter } from '../errors';
import { shown } from '../lib/shown';

/**
 * MLflow's search filter language (mlflow-api.md §4): comparisons joined by AND, e.g.
 *   metrics.rmse < 0.5 AND params.model = 'xgb' AND tags.`team name` ILIKE '%fraud%'
 *   attributes.run_id IN ('a1', 'b2')
 * The parser knows nothing about a given endpoint; each endpoint's SQL builder checks which
 * entities, keys and comparators it accepts.
 */

export type Entity = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';
export type Comparator = '=' | '!=' | '>' | '>=' | '<' | '<=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';
export type Value = number | string | string[];

export interface Comparison {
  entity: Entity;
  key: string;
  comparator: Comparator;
  value: Value;
}

export interface OrderClause {
  entity: Entity;
  key: string;
  ascending: boolean;
}

// A Map, not an object literal: `constructor.x` or `toString.x` must not find Object.prototype's members.
const ENTITY_PREFIXES: ReadonlyMap<string, Entity> = new Map<string, Entity>([
  ['metric', 'metric'],
  ['metrics', 'metric'],
  ['param', 'param'],
  ['params', 'param'],
  ['parameter', 'param'],
  ['parameters', 'param'],
  ['tag', 'tag'],
  ['tags', 'tag'],
  ['attribute', 'attribute'],
  ['attributes', 'attribute'],
  ['attr', 'attribute'],
  ['run', 'attribute'],
  ['dataset', 'dataset'],
  ['datasets', 'dataset'],
]);

/**
 * Caps on one filter string, so that one request cannot keep a connection busy for minutes. MLflow
 * has none, but every comparison on a metric, param or tag is a subquery: 300 of them took 93 s
 * before sql.ts's Conditions kept planning linear, and even linear work should stay bounded. 100,000 characters hold 100 comparisons on long keys and values,
 * or an IN list of some 2,500 run ids. The grammar has no grouping parentheses (only flat IN lists),
 * so there is no nesting depth to cap.
 */
export const FILTER_LIMITS = {
  /** Comparisons joined by AND in one filter. */
  maxComparisons: 100,
  /** Characters in one filter string. */
  maxLength: 100_000,
} as const;

// MLflow's wording (search_utils.py), listing the identifiers it names.
const invalidEntity = (prefix: string) => invalidParameter(`Invalid entity type '${prefix}'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']`);

type Token =
  | { kind: 'ident'; entity: Entity | undefined; key: string; text: string }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number; text: string }
  | { kind: 'op'; value: string }
  | { kind: 'word'; value: string }
  | { kind: 'punct'; value: '(' | ')' | ',' };

const KEYWORDS = new Set(['AND', 'LIKE', 'ILIKE', 'IN', 'NOT', 'OR']);
// Sticky (`y`) patterns matched at `lastIndex`, so tokenizing never copies the rest of the input.
const OP = /!=|<>|>=|<=|=|>|</y;
const NUMBER = /[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/y;
const BARE = /[A-Za-z_][\w.:\-/]*/y;

function matchAt(re: RegExp, s: string, i: number): string | undefined {
  re.lastIndex = i;
  return re.exec(s)?.[0];
}

function readQuoted(s: string, i: number): { value: string; end: number } {
  const quote = s[i]!;
  let out = '';
  let j = i + 1;
  while (j < s.length) {
    const ch = s[j]!;
    if (ch === quote) {
      if (s[j + 1] === quote) {
        out += quote; // doubled quote inside a string
        j += 2;
        continue;
      }
      return { value: out, end: j + 1 };
    }
    if (ch === '\\' && j + 1 < s.length) {
      out += s[j + 1];
      j += 2;
      continue;
    }
    out += ch;
    j++;
  }
  throw invalidParameter(`Invalid filter: unterminated ${quote} quote starting at position ${i}.`);
}

function identifier(text: string, key?: string): Token {
  const dot = text.indexOf('.');
  if (key !== undefined) {
    // `prefix.` followed by a quoted key
    const prefix = text.slice(0, -1);
    const entity = ENTITY_PREFIXES.get(prefix.toLowerCase());
    if (!entity) throw invalidEntity(prefix);
    return { kind: 'ident', entity, key, text: `${text}${key}` };
  }
  if (dot > 0) {
    const entity = ENTITY_PREFIXES.get(text.slice(0, dot).toLowerCase());
    if (entity) return { kind: 'ident', entity, key: text.slice(dot + 1), text };
    throw invalidEntity(text.slice(0, dot));
  }
  return { kind: 'ident', entity: undefined, key: text, text };
}

export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === "'" || ch === '"') {
      const q = readQuoted(input, i);
      tokens.push({ kind: 'string', value: q.value });
      i = q.end;
      continue;
    }
    if (ch === '`') {
      // a whole backticked identifier, e.g. `run name`
      const q = readQuoted(input, i);
      tokens.push(identifier(q.value.includes('.') ? q.value : q.value));
      i = q.end;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ kind: 'punct', value: ch });
      i++;
      continue;
    }
    const op = matchAt(OP, input, i);
    if (op) {
      tokens.push({ kind: 'op', value: op === '<>' ? '!=' : op });
      i += op.length;
      continue;
    }
    const prev = tokens[tokens.length - 1];
    const num = matchAt(NUMBER, input, i);
    if (num && (prev?.kind === 'op' || prev?.kind === 'punct')) {
      tokens.push({ kind: 'number', value: Number(num), text: num });
      i += num.length;
      continue;
    }
    const text = matchAt(BARE, input, i);
    if (text) {
      i += text.length;
      if (KEYWORDS.has(text.toUpperCase())) {
        tokens.push({ kind: 'word', value: text.toUpperCase() });
      } else if (text.endsWith('.') && (input[i] === '`' || input[i] === '"')) {
        const q = readQuoted(input, i);
        tokens.push(identifier(text, q.value));
        i = q.end;
      } else {
        tokens.push(identifier(text));
      }
      continue;
    }
    if (num) {
      tokens.push({ kind: 'number', value: Number(num), text: num });
      i += num.length;
      continue;
    }
    throw invalidParameter(`Invalid filter: unexpected character '${ch}' at position ${i}.`);
  }
  return tokens;
}

const describe = (t: Token | undefined): string => {
  if (!t) return 'the end of the filter';
  switch (t.kind) {
    case 'ident':
      return `'${t.text}'`;
    case 'string':
      return `'${t.value}'`;
    case 'number':
      return t.text;
    default:
      return `'${t.value}'`;
  }
};

/** Parses a filter string into comparisons; '' or undefined is no filter. */
export function parseFilter(filter: string | undefined): Comparison[] {
  if (filter === undefined || filter.trim() === '') return [];
  if (filter.length > FILTER_LIMITS.maxLength) {
    throw invalidParameter(`Invalid filter: the filter is ${filter.length} characters long; the maximum is ${FILTER_LIMITS.maxLength} characters.`);
  }
  const tokens = tokenize(filter);
  const out: Comparison[] = [];
  let i = 0;
  const next = () => tokens[i++];
  for (;;) {
    const ident = next();
    if (!ident || ident.kind !== 'ident') {
      throw invalidParameter(`Invalid filter '${shown(filter)}': expected an identifier such as metrics.<key>, found ${describe(ident)}.`);
    }
    let comparator: Comparator;
    const opTok = next();
    if (opTok?.kind === 'op') comparator = opTok.value as Comparator;
    else if (opTok?.kind === 'word' && (opTok.value === 'LIKE' || opTok.value === 'ILIKE' || opTok.value === 'IN')) comparator = opTok.value;
    else if (opTok?.kind === 'word' && opTok.value === 'NOT' && tokens[i]?.kind === 'word' && (tokens[i] as { value: string }).value === 'IN') {
      i++;
      comparator = 'NOT IN';
    } else {
      throw invalidParameter(`Invalid filter '${shown(filter)}': expected a comparator after ${describe(ident)}, found ${describe(opTok)}.`);
    }
    let value: Value;
    if (comparator === 'IN' || comparator === 'NOT IN') {
      if (next()?.kind !== 'punct' || tokens[i - 1]!.kind !== 'punct' || (tokens[i - 1] as { value: string }).value !== '(') {
        throw invalidParameter(`Invalid filter '${shown(filter)}': ${comparator} needs a parenthesised list of quoted strings.`);
      }
      const list: string[] = [];
      for (;;) {
        const v = next();
        if (v?.kind !== 'string') throw invalidParameter(`Invalid filter '${shown(filter)}': ${comparator} lists may hold only quoted strings, found ${describe(v)}.`);
        list.push(v.value);
        const sep = next();
        if (sep?.kind === 'punct' && sep.value === ')') break;
        if (!(sep?.kind === 'punct' && sep.value === ','))
          throw invalidParameter(`Invalid filter '${shown(filter)}': expected ',' or ')' in the ${comparator} list, found ${describe(sep)}.`);
      }
      value = list;
    } else {
      const v = next();
      if (v?.kind === 'string' || v?.kind === 'number') value = v.value;
      else throw invalidParameter(`Invalid filter '${shown(filter)}': expected a number or a quoted string after ${comparator}, found ${describe(v)}.`);
    }
    if (out.length === FILTER_LIMITS.maxComparisons) {
      throw invalidParameter(`Invalid filter: it has more than ${FILTER_LIMITS.maxComparisons} comparisons; at most ${FILTER_LIMITS.maxComparisons} may be joined by AND in one filter.`);
    }
    out.push({ entity: ident.entity ?? 'attribute', key: ident.key, comparator, value });
    const joiner = next();
    if (joiner === undefined) return out;
    if (joiner.kind === 'word' && joiner.value === 'AND') continue;
    if (joiner.kind === 'word' && joiner.value === 'OR') throw invalidParameter(`Invalid filter '${shown(filter)}': OR is not supported; combine comparisons with AND.`);
    throw invalidParameter(`Invalid filter '${shown(filter)}': expected AND, found ${describe(joiner)}.`);
  }
}

/** Parses order_by clauses such as "metrics.rmse DESC", "name", "tags.`a b` ASC". */
export function parseOrderBy(clauses: readonly string[]): OrderClause[] {
  return clauses.map((clause) => {
    const m = /^(.*?)(?:\s+(ASC|DESC))?\s*$/i.exec(clause.trim());
    const body = m?.[1]?.trim() ?? '';
    if (body === '') throw invalidParameter(`Invalid order_by clause '${clause}'.`);
    const tokens = tokenize(body);
    const t = tokens[0];
    if (tokens.length !== 1 || t?.kind !== 'ident') {
      throw invalidParameter(`Invalid order_by clause '${clause}': expected '<identifier> [ASC|DESC]'.`);
    }
    return { entity: t.entity ?? 'attribute', key: t.key, ascending: (m?.[2] ?? 'ASC').toUpperCase() === 'ASC' };
  });
}
