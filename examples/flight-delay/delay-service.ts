// The small service other systems call: GET /api/v1/modelo_atrasos/origem=<origin>/destino=<destination>
// answers {"origem", "destino", "atraso"} by asking the serving job (MLflow's /invocations) for the
// prediction of the model in Production. It knows nothing of versions: the job follows promotions.
import type { Server } from 'node:http';
import express from 'express';
import { COUNTRIES, type Country, FEATURES, oneHot } from './flights';

const isCountry = (s: string): s is Country => (COUNTRIES as readonly string[]).includes(s);

export function delayService(servingJobUrl: string): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/api/v1/modelo_atrasos/:origem/:destino', async (req, res) => {
    const origem = /^origem=(.+)$/.exec(req.params.origem)?.[1];
    const destino = /^destino=(.+)$/.exec(req.params.destino)?.[1];
    if (origem === undefined || destino === undefined) {
      res.status(404).json({ error: 'Use /api/v1/modelo_atrasos/origem=<origin>/destino=<destination>.' });
      return;
    }
    for (const c of [origem, destino]) {
      if (!isCountry(c)) {
        res.status(400).json({ error: `Unknown country '${c}'; the model knows ${COUNTRIES.join(', ')}.` });
        return;
      }
    }
    const row = Object.fromEntries(FEATURES.map((f, i) => [f, oneHot(origem as Country, destino as Country)[i]]));
    const answer = await fetch(`${servingJobUrl}/invocations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ dataframe_records: [row] }),
    });
    if (!answer.ok) {
      res.status(502).json({ error: `The serving job answered ${answer.status}: ${await answer.text()}` });
      return;
    }
    const { predictions } = (await answer.json()) as { predictions: Array<{ atraso: number }> };
    res.json({ origem, destino, atraso: Math.round(predictions[0]!.atraso) });
  });
  return app;
}

/** Starts the service on `port` (0: any free one); resolves with its URL and server. */
export function startDelayService(servingJobUrl: string, port: number): Promise<{ url: string; server: Server }> {
  return new Promise((resolve, reject) => {
    const server = delayService(servingJobUrl).listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`, server });
    });
    server.once('error', reject);
  });
}
