// Prepare: s.yaml and the fc3 component's own props schema. Act: validate every resource. Assess: no errors.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadSYaml } from '../../../local/s-yaml.js';
import { loadAlibabaConfig } from '../../../shared/config/alibaba.js';
import AjvModule from 'ajv';

const Ajv = AjvModule.default ?? AjvModule;

const root = process.cwd();
const schemaPath = [
  join(root, '../shared/reference/fc3-props.schema.json'),
  join(root, 'test/fixtures/fc3-props.schema.json'),
].find(existsSync)!;

describe('s.yaml', () => {
  // Resolve ${env(...)} and ${vars.x} as `s deploy` would, with a role ARN set as a deployer must.
  const doc = loadSYaml(join(root, 's.yaml'), {
    FC_ROLE_ARN: 'acs:ram::1234567890123456:role/nlb-mtls-autopilot',
  }) as any;
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);

  it('is a Serverless Devs 3 project of fc3 resources', () => {
    expect(doc.edition).toBe('3.0.0');
    const resources = Object.entries(
      doc.resources as Record<string, { component: string; props: Record<string, unknown> }>,
    );
    expect(resources.length).toBeGreaterThan(0);
    for (const [, r] of resources) {
      expect(r.component).toBe('fc3');
      expect(r.props.runtime).toBe('nodejs20');
    }
  });

  it.each(Object.keys(loadSYaml(join(process.cwd(), 's.yaml'), {}).resources))(
    'resource %s is valid against the fc3 props schema',
    (name) => {
      const props = doc.resources[name].props;
      const ok = validate(props);
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    },
  );

  it('points each resource at a function folder that the build bundles', () => {
    for (const r of Object.values(doc.resources as Record<string, { props: { code: string } }>)) {
      const fn = r.props.code.replace('./dist/', '');
      expect(existsSync(join(root, 'functions', fn, 'index.ts'))).toBe(true);
    }
  });

  it('deployed outside China, every function calls the CAS endpoint of its region (D16), unless CAS_ENDPOINT is set', () => {
    // prepare: s deploy's view of s.yaml in Singapore, with no CAS_ENDPOINT in the deployer's shell
    const singapore = loadSYaml(join(root, 's.yaml'), { REGION: 'ap-southeast-1' }) as any;
    const fcRoleKeys = { ALIBABA_CLOUD_ACCESS_KEY_ID: 'STS.id', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'secret' }; // FC sets them
    // act
    const endpoints = Object.values(singapore.resources as Record<string, { props: any }>)
      .map((r) => r.props.environmentVariables ?? {})
      .filter((env) => 'CAS_ENDPOINT' in env)
      .map((env) => loadAlibabaConfig({ ...fcRoleKeys, REGION: 'ap-southeast-1', ...env }).cas.endpoint);
    // assess
    expect(endpoints.length).toBeGreaterThanOrEqual(4);
    for (const endpoint of endpoints) expect(endpoint).toBe('cas.ap-southeast-1.aliyuncs.com');
  });

  it('the schema rejects a resource without a handler (the check can fail)', () => {
    const bad = { ...doc.resources[Object.keys(doc.resources)[0]].props };
    delete bad.handler;
    expect(validate(bad)).toBe(false);
  });
});
