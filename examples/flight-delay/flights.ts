// The data and the model of the flight-delay example: a synthetic data set of flights, a linear
// delay model fitted by least squares on one-hot origin and destination, and its export as an ONNX
// model with an MLflow MLmodel (the onnx flavor and a column signature).
import { linearModel } from '../../src/lib/onnx/linear-model';
import { onnxMLmodel } from '../../src/lib/onnx/mlmodel-file';

export const COUNTRIES = ['Brazil', 'Canada', 'Chile', 'France', 'Japan', 'Mexico'] as const;
export type Country = (typeof COUNTRIES)[number];

/** The model's input columns, in this order: one-hot origin, then one-hot destination. */
export const FEATURES: readonly string[] = [...COUNTRIES.map((c) => `origem_${c}`), ...COUNTRIES.map((c) => `destino_${c}`)];

export interface Flight {
  origem: Country;
  destino: Country;
  /** Minutes late on arrival. */
  atraso: number;
}

/** How a season's delays come about: a base delay and what each airport adds when leaving and arriving. */
export interface Season {
  name: string;
  seed: number;
  base: number;
  leaving: Record<Country, number>;
  arriving: Record<Country, number>;
  /** Standard deviation of the noise, in minutes. */
  noise: number;
}

export const SUMMER: Season = {
  name: 'summer',
  seed: 7,
  base: 12,
  leaving: { Brazil: 25, Canada: 5, Chile: 10, France: 18, Japan: 2, Mexico: 30 },
  arriving: { Brazil: 15, Canada: 8, Chile: 4, France: 20, Japan: 6, Mexico: 12 },
  noise: 6,
};

/** Another season, other data: winter storms in the north, so the answers change once it is promoted. */
export const WINTER: Season = {
  name: 'winter',
  seed: 11,
  base: 20,
  leaving: { Brazil: 10, Canada: 95, Chile: 8, France: 40, Japan: 35, Mexico: 12 },
  arriving: { Brazil: 6, Canada: 120, Chile: 5, France: 45, Japan: 30, Mexico: 9 },
  noise: 8,
};

/** mulberry32: a small seeded generator, so the data set is the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` flights between random pairs of countries, with the season's delays plus Gaussian noise. */
export function makeFlights(season: Season, count: number): Flight[] {
  const next = random(season.seed);
  const pick = () => COUNTRIES[Math.floor(next() * COUNTRIES.length)]!;
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const flights: Flight[] = [];
  while (flights.length < count) {
    const origem = pick();
    const destino = pick();
    if (origem === destino) continue;
    const atraso = Math.max(0, season.base + season.leaving[origem] + season.arriving[destino] + season.noise * gaussian());
    flights.push({ origem, destino, atraso: Math.round(atraso * 10) / 10 });
  }
  return flights;
}

export function toCsv(flights: readonly Flight[]): string {
  return ['origem,destino,atraso', ...flights.map((f) => `${f.origem},${f.destino},${f.atraso}`)].join('\n') + '\n';
}

/** One row of the model's input: 1 in the origin's and the destination's columns. */
export function oneHot(origem: Country, destino: Country): number[] {
  return FEATURES.map((f) => (f === `origem_${origem}` || f === `destino_${destino}` ? 1 : 0));
}

export interface DelayModel {
  /** One weight per column of FEATURES. */
  weights: number[];
  intercept: number;
  /** Root mean squared error on the training data, in minutes. */
  rmse: number;
}

/**
 * Least squares with an intercept on the one-hot columns. The origin columns (and the destination
 * columns) of a row always sum to 1, so they are collinear with the intercept; a tiny ridge term on
 * the weights (not on the intercept) makes the normal equations solvable and the answer unique.
 */
export function fit(flights: readonly Flight[], ridge = 1e-3): DelayModel {
  const n = FEATURES.length + 1; // the weights, then the intercept
  const ata = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const aty = new Array<number>(n).fill(0);
  for (const f of flights) {
    const x = [...oneHot(f.origem, f.destino), 1];
    for (let i = 0; i < n; i++) {
      aty[i]! += x[i]! * f.atraso;
      for (let j = 0; j < n; j++) ata[i]![j]! += x[i]! * x[j]!;
    }
  }
  for (let i = 0; i < n - 1; i++) ata[i]![i]! += ridge * flights.length;
  const theta = solve(ata, aty);
  const model = { weights: theta.slice(0, -1), intercept: theta.at(-1)!, rmse: 0 };
  const squared = flights.reduce((sum, f) => sum + (predict(model, f.origem, f.destino) - f.atraso) ** 2, 0);
  return { ...model, rmse: Math.sqrt(squared / flights.length) };
}

/** Gaussian elimination with partial pivoting: the x with a·x = b. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const p = m[col]![col]!;
    if (Math.abs(p) < 1e-12) throw new Error('the normal equations are singular');
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const factor = m[r]![col]! / p;
      for (let c = col; c <= n; c++) m[r]![c]! -= factor * m[col]![c]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

/** What the model predicts, computed here (the serving job computes the same with ONNX Runtime). */
export function predict(model: Pick<DelayModel, 'weights' | 'intercept'>, origem: Country, destino: Country): number {
  return oneHot(origem, destino).reduce((sum, x, i) => sum + x * model.weights[i]!, model.intercept);
}

/** The files of an MLflow model directory: `MLmodel` (onnx flavor, column signature) and `model.onnx`. */
export function exportModel(model: DelayModel, runId: string): { MLmodel: Buffer; 'model.onnx': Buffer } {
  const onnx = linearModel({ weights: model.weights.map((w) => [w]), bias: [model.intercept], output: 'atraso' });
  const mlmodel = onnxMLmodel({
    runId,
    inputs: FEATURES.map((name) => ({ type: 'double', name })),
    outputs: [{ type: 'double', name: 'atraso' }],
  });
  return { MLmodel: Buffer.from(mlmodel), 'model.onnx': Buffer.from(onnx) };
}
