import { gunzipSync } from 'node:zlib';
import type request from 'supertest';
import type { Level } from '../../../src/modules/permissions/permission-levels';
import { textOf } from '../artifact-streams';
import { type Builders, expectOk, form, fx, grantLevels, keysOf, M, next, onModel, R } from './harness';

// The rows on registered models: models, versions, aliases, the registry's file routes and grants.
// They read fx.t, fx.admin, fx.mx and fx.runArtifactUri.

export async function modelId(name: string): Promise<string> {
  return String((await fx.t.container.prisma.registeredModel.findUniqueOrThrow({ where: { name } })).id);
}
/** A registered model of its own, with one version per stage given (v1, v2, … with external sources). */
async function newModel(...stages: Array<'None' | 'Staging' | 'Production'>): Promise<{ name: string; id: string }> {
  const name = `mx-model-${next()}`;
  await fx.admin.post(`${M}/registered-models/create`, { name }).expect(200);
  for (const stage of stages) {
    const v = (await fx.admin.post(`${M}/model-versions/create`, { name, source: `s3://b/${name}/${next()}` }).expect(200)).body.model_version.version;
    if (stage !== 'None') await fx.admin.post(`${M}/model-versions/transition-stage`, { name, version: v, stage }).expect(200);
  }
  return { name, id: await modelId(name) };
}
const versionStatus = async (name: string, version: string) => (await fx.admin.get(`${M}/model-versions/get`, { name, version })).status;
type NodeParser = Exclude<Parameters<request.Test['parse']>[0], (str: string) => unknown>;
/** Buffers any body; JSON (an error) is still parsed. */
const binary: NodeParser = (res, cb) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => {
    const buf = Buffer.concat(chunks);
    cb(null, /json/.test(res.headers['content-type'] ?? '') ? JSON.parse(buf.toString('utf8')) : buf);
  });
};

/** What a USE caller sees of mx (Production only) and what READ and above see. */
const mxVersionsSeenAt = (level: Level) =>
  level === 'USE'
    ? [{ version: '2', current_stage: 'Production' }]
    : [
        { version: '1', current_stage: 'None' },
        { version: '2', current_stage: 'Production' },
      ];
const stagesOf = (versions: Array<{ version: string; current_stage: string }> | undefined) =>
  (versions ?? []).map((v) => ({ version: v.version, current_stage: v.current_stage })).sort((a, b) => Number(a.version) - Number(b.version));

export const MODEL_BUILDERS: Builders = {
  'registered-models.get': onModel(
    (c) => c.get(`${M}/registered-models/get`, { name: 'mx' }),
    (res, { level }) => {
      expectOk(res, { registered_model: expect.objectContaining({ name: 'mx' }) });
      expect(stagesOf(res.body.registered_model.latest_versions)).toEqual(mxVersionsSeenAt(level));
    },
  ),
  'registered-models.get-latest-versions': onModel(
    (c) => c.post(`${M}/registered-models/get-latest-versions`, { name: 'mx' }),
    (res, { level }) => {
      expectOk(res, { model_versions: expect.any(Array) });
      expect(stagesOf(res.body.model_versions)).toEqual(mxVersionsSeenAt(level));
    },
  ),
  'registered-models.get-latest-versions.get': onModel(
    (c) => c.get(`${M}/registered-models/get-latest-versions`, { name: 'mx' }),
    (res, { level }) => {
      expectOk(res, { model_versions: expect.any(Array) });
      expect(stagesOf(res.body.model_versions)).toEqual(mxVersionsSeenAt(level));
    },
  ),
  'registered-models.delete-tag': async () => {
    const key = `k${next()}`;
    await fx.admin.post(`${M}/registered-models/set-tag`, { name: 'mx', key, value: 'v' }).expect(200);
    return {
      resourceId: fx.mx,
      call: (c) => c.delete(`${M}/registered-models/delete-tag`, { name: 'mx', key }),
      allowed: async (res) => {
        expectOk(res);
        expect(keysOf((await fx.admin.get(`${M}/registered-models/get`, { name: 'mx' }).expect(200)).body.registered_model.tags)).not.toContain(key);
      },
    };
  },
  'registered-models.alias.delete': async () => {
    // An ordinary alias on v1 of fx.mx, as in alias.set.
    const alias = `a${next()}`;
    await fx.admin.post(`${M}/registered-models/alias`, { name: 'mx', alias, version: '1' }).expect(200);
    return {
      resourceId: fx.mx,
      call: (c) => c.delete(`${M}/registered-models/alias`, { name: 'mx', alias }),
      allowed: async (res) => {
        expectOk(res);
        expect((await fx.admin.get(`${M}/registered-models/alias`, { name: 'mx', alias }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
      },
    };
  },
  'registered-models.alias.get': onModel(
    (c) => c.get(`${M}/registered-models/alias`, { name: 'mx', alias: 'current' }),
    (res) => expectOk(res, { model_version: expect.objectContaining({ name: 'mx', version: '2', current_stage: 'Production', aliases: ['current'] }) }),
  ),
  'model-versions.set-tag': async () => {
    const tag = { key: `k${next()}`, value: `v${next()}` };
    return {
      resourceId: fx.mx,
      call: (c) => c.post(`${M}/model-versions/set-tag`, { name: 'mx', version: '1', ...tag }),
      allowed: async (res) => {
        expectOk(res);
        expect((await fx.admin.get(`${M}/model-versions/get`, { name: 'mx', version: '1' }).expect(200)).body.model_version.tags).toContainEqual(tag);
      },
    };
  },
  'model-versions.delete-tag': async () => {
    const key = `k${next()}`;
    await fx.admin.post(`${M}/model-versions/set-tag`, { name: 'mx', version: '1', key, value: 'v' }).expect(200);
    return {
      resourceId: fx.mx,
      call: (c) => c.delete(`${M}/model-versions/delete-tag`, { name: 'mx', version: '1', key }),
      allowed: async (res) => {
        expectOk(res);
        expect(keysOf((await fx.admin.get(`${M}/model-versions/get`, { name: 'mx', version: '1' }).expect(200)).body.model_version.tags)).not.toContain(key);
      },
    };
  },
  'registered-models.update': async () => {
    const description = `d${next()}`;
    return {
      resourceId: fx.mx,
      call: (c) => c.patch(`${M}/registered-models/update`, { name: 'mx', description }),
      allowed: async (res) => {
        expectOk(res, { registered_model: expect.objectContaining({ name: 'mx', description }) });
        expect((await fx.admin.get(`${M}/registered-models/get`, { name: 'mx' }).expect(200)).body.registered_model.description).toBe(description);
      },
    };
  },
  'registered-models.set-tag': async () => {
    const tag = { key: `k${next()}`, value: `v${next()}` };
    return {
      resourceId: fx.mx,
      call: (c) => c.post(`${M}/registered-models/set-tag`, { name: 'mx', ...tag }),
      allowed: async (res) => {
        expectOk(res);
        expect((await fx.admin.get(`${M}/registered-models/get`, { name: 'mx' }).expect(200)).body.registered_model.tags).toContainEqual(tag);
      },
    };
  },
  'registered-models.alias.set': async () => {
    // An ordinary alias on v1 of mx: not protected, so what a USE caller sees of fx.mx is unchanged.
    const alias = `a${next()}`;
    return {
      resourceId: fx.mx,
      call: (c) => c.post(`${M}/registered-models/alias`, { name: 'mx', alias, version: '1' }),
      allowed: async (res) => {
        expectOk(res);
        const got = await fx.admin.get(`${M}/registered-models/alias`, { name: 'mx', alias }).expect(200);
        expect(got.body.model_version).toMatchObject({ name: 'mx', version: '1' });
      },
    };
  },
  'registered-models.alias.set.protected': async () => {
    // A model of its own: a protected alias widens what USE callers see.
    const m = await newModel('None');
    return {
      resourceId: m.id,
      call: (c) => c.post(`${M}/registered-models/alias`, { name: m.name, alias: 'champion', version: '1' }),
      allowed: async (res) => {
        expectOk(res);
        const got = await fx.admin.get(`${M}/registered-models/alias`, { name: m.name, alias: 'champion' }).expect(200);
        expect(got.body.model_version).toMatchObject({ name: m.name, version: '1', aliases: ['champion'] });
      },
    };
  },
  'registered-models.rename': async () => {
    const m = await newModel();
    const newName = `${m.name}-renamed`;
    return {
      resourceId: m.id,
      call: (c) => c.post(`${M}/registered-models/rename`, { name: m.name, new_name: newName }),
      allowed: async (res) => {
        expectOk(res, { registered_model: expect.objectContaining({ name: newName }) });
        await fx.admin.get(`${M}/registered-models/get`, { name: newName }).expect(200);
        await fx.admin.get(`${M}/registered-models/get`, { name: m.name }).expect(404);
      },
    };
  },
  'registered-models.delete': async () => {
    const m = await newModel();
    return {
      resourceId: m.id,
      call: (c) => c.delete(`${M}/registered-models/delete`, { name: m.name }),
      allowed: async (res) => {
        expectOk(res);
        expect((await fx.admin.get(`${M}/registered-models/get`, { name: m.name }).expect(404)).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
      },
    };
  },
  'model-versions.create': async () => {
    const m = await newModel();
    const source = `s3://b/${m.name}/new`;
    return {
      resourceId: m.id,
      call: (c) => c.post(`${M}/model-versions/create`, { name: m.name, source }),
      allowed: async (res, { user }) => {
        expectOk(res, { model_version: expect.objectContaining({ name: m.name, version: '1', current_stage: 'None', source, user_id: user }) });
        expect(await versionStatus(m.name, '1')).toBe(200);
      },
    };
  },
  'model-versions.get': onModel(
    (c) => c.get(`${M}/model-versions/get`, { name: 'mx', version: '2' }),
    (res) => expectOk(res, { model_version: expect.objectContaining({ name: 'mx', version: '2', current_stage: 'Production' }) }),
  ),
  'model-versions.get.none': onModel(
    (c) => c.get(`${M}/model-versions/get`, { name: 'mx', version: '1' }),
    (res) => expectOk(res, { model_version: expect.objectContaining({ name: 'mx', version: '1', current_stage: 'None' }) }),
  ),
  'model-versions.get-download-uri': onModel(
    (c) => c.get(`${M}/model-versions/get-download-uri`, { name: 'mx', version: '2' }),
    (res) => expectOk(res, { artifact_uri: `${fx.runArtifactUri}/model` }),
  ),
  'model-versions.update': async () => {
    const description = `d${next()}`;
    return {
      resourceId: fx.mx,
      call: (c) => c.patch(`${M}/model-versions/update`, { name: 'mx', version: '1', description }),
      allowed: async (res) => {
        expectOk(res, { model_version: expect.objectContaining({ name: 'mx', version: '1', description }) });
        expect((await fx.admin.get(`${M}/model-versions/get`, { name: 'mx', version: '1' }).expect(200)).body.model_version.description).toBe(description);
      },
    };
  },
  'model-versions.transition-stage': async () => {
    const m = await newModel('None');
    return {
      resourceId: m.id,
      call: (c) => c.post(`${M}/model-versions/transition-stage`, { name: m.name, version: '1', stage: 'Staging' }),
      allowed: async (res) => {
        expectOk(res, { model_version: expect.objectContaining({ name: m.name, version: '1', current_stage: 'Staging' }) });
        expect((await fx.admin.get(`${M}/model-versions/get`, { name: m.name, version: '1' }).expect(200)).body.model_version.current_stage).toBe('Staging');
      },
    };
  },
  'model-versions.transition-stage.production': async () => {
    const m = await newModel('Staging');
    return {
      resourceId: m.id,
      call: (c) => c.post(`${M}/model-versions/transition-stage`, { name: m.name, version: '1', stage: 'Production' }),
      allowed: async (res) => {
        expectOk(res, { model_version: expect.objectContaining({ name: m.name, version: '1', current_stage: 'Production' }) });
        expect((await fx.admin.get(`${M}/model-versions/get`, { name: m.name, version: '1' }).expect(200)).body.model_version.current_stage).toBe('Production');
      },
    };
  },
  'model-versions.delete': async () => {
    const m = await newModel('None');
    return {
      resourceId: m.id,
      call: (c) => c.delete(`${M}/model-versions/delete`, { name: m.name, version: '1' }),
      allowed: async (res) => {
        expectOk(res);
        expect(await versionStatus(m.name, '1')).toBe(404);
      },
    };
  },
  'registered-models.permissions.list': async () => {
    const m = await newModel();
    return {
      resourceId: m.id,
      call: (c) => c.get(`${M}/registered-models/permissions/list`, { name: m.name }),
      allowed: (res, { user, level }) => {
        expectOk(res, {
          permissions: expect.arrayContaining([
            { user_id: 'admin', permission: 'MANAGE' },
            { user_id: user, permission: level },
          ]),
        });
        expect(res.body.permissions).toHaveLength(2);
      },
    };
  },
  'registry.files': onModel(
    (c) => c.get(`${R}/models/mx/Production/files/MLmodel`).buffer(true).parse(binary),
    (res) => {
      expect({ status: res.status, version: res.headers['x-registry-model-version'], body: (res.body as Buffer).toString('utf8') }).toEqual({
        status: 200,
        version: '2',
        body: 'flavors: {}\n',
      });
    },
  ),
  'registry.archive.zip': onModel(
    (c) => c.get(`${R}/models/mx/Production/archive.zip`).buffer(true).parse(binary),
    (res) => {
      expect({ status: res.status, type: res.headers['content-type'], version: res.headers['x-registry-model-version'] }).toEqual({
        status: 200,
        type: 'application/zip',
        version: '2',
      });
      const zip = res.body as Buffer;
      expect(zip.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04'); // a local file header
      expect(zip.subarray(30, 37).toString('latin1')).toBe('MLmodel'); // the first entry's name
    },
  ),
  'model-versions.get-artifact': onModel(
    (c) => c.get(`${M}/model-versions/get-artifact`, { name: 'mx', version: '2', path: 'MLmodel' }).buffer(true).parse(binary),
    (res) => {
      expect({ status: res.status, body: (res.body as Buffer).toString('utf8') }).toEqual({ status: 200, body: 'flavors: {}\n' });
    },
  ),
  'registry.versions.upload': async () => {
    const m = await newModel();
    return {
      resourceId: m.id,
      call: (c) => form(c, `${R}/models/${m.name}/versions`).attach('file', Buffer.from('flavors: {}\n'), 'MLmodel'),
      allowed: async (res, { user }) => {
        expectOk(res, {
          model_version: expect.objectContaining({ name: m.name, version: '1', current_stage: 'None', user_id: user }),
          files: [{ path: 'MLmodel', file_size: 12 }],
        });
        const root = String(res.body.model_version.source).replace(/^mlflow-artifacts:\//, '');
        expect(await textOf(await fx.t.container.artifactStore.get(`${root}/MLmodel`))).toBe('flavors: {}\n');
      },
    };
  },
  'registered-models.permissions.create': async () => {
    const grantee = `someone-${next()}`;
    return {
      resourceId: fx.mx,
      call: (c) => c.post(`${M}/registered-models/permissions/create`, { name: 'mx', username: grantee, permission: 'READ' }),
      allowed: async (res) => {
        expectOk(res, { registered_model_permission: { name: 'mx', user_id: grantee, permission: 'READ' } });
        expect(await grantLevels('registered_model', fx.mx, grantee)).toEqual(['READ']);
      },
    };
  },
  // NO_PERMISSIONS: anyone may read their own grant, whatever its level.
  'registered-models.permissions.get': onModel(
    (c, { user }) => c.get(`${M}/registered-models/permissions/get`, { name: 'mx', username: user }),
    (res, { user, level }) => expectOk(res, { registered_model_permission: { name: 'mx', user_id: user, permission: level } }),
  ),
  'registered-models.permissions.get.other': onModel(
    (c) => c.get(`${M}/registered-models/permissions/get`, { name: 'mx', username: 'admin' }),
    (res) => expectOk(res, { registered_model_permission: { name: 'mx', user_id: 'admin', permission: 'MANAGE' } }),
  ),
  'registered-models.permissions.update': async () => {
    const grantee = `someone-${next()}`;
    await fx.admin.post(`${M}/registered-models/permissions/create`, { name: 'mx', username: grantee, permission: 'READ' }).expect(200);
    return {
      resourceId: fx.mx,
      call: (c) => c.patch(`${M}/registered-models/permissions/update`, { name: 'mx', username: grantee, permission: 'MANAGE_STAGING' }),
      allowed: async (res) => {
        expectOk(res);
        expect(await grantLevels('registered_model', fx.mx, grantee)).toEqual(['MANAGE_STAGING']);
      },
    };
  },
  'registered-models.permissions.delete': async () => {
    const grantee = `someone-${next()}`;
    await fx.admin.post(`${M}/registered-models/permissions/create`, { name: 'mx', username: grantee, permission: 'READ' }).expect(200);
    return {
      resourceId: fx.mx,
      call: (c) => c.delete(`${M}/registered-models/permissions/delete`, { name: 'mx', username: grantee }),
      allowed: async (res) => {
        expectOk(res);
        expect(await grantLevels('registered_model', fx.mx, grantee)).toEqual([]);
      },
    };
  },
  'registry.audit.model': async () => {
    // A model of its own, so its trail is exactly its creation.
    const m = await newModel();
    return {
      resourceId: m.id,
      call: (c) => c.get(`${R}/audit`, { name: m.name }),
      allowed: (res) => expectOk(res, { events: [expect.objectContaining({ action: 'create_registered_model', actor: 'admin', name: m.name })] }),
    };
  },
  'registry.archive': onModel(
    (c) => c.get(`${R}/models/mx/Production/archive`).buffer(true).parse(binary),
    (res) => {
      expect({ status: res.status, type: res.headers['content-type'], version: res.headers['x-registry-model-version'] }).toEqual({
        status: 200,
        type: 'application/gzip',
        version: '2',
      });
      const tarball = gunzipSync(res.body as Buffer);
      expect(tarball.subarray(0, 8).toString('latin1')).toBe('MLmodel\0'); // the first entry's name
      expect(tarball.toString('latin1')).toContain('flavors: {}\n');
    },
  ),
};
