// The manager registry is the one place a manager is declared: every name has its module, the
// roles agree with it on who programs the IPVS table, and every template has a context builder.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MANAGER_NAMES, MANAGERS, manager } from '../../src/managers/index.js';
import { loadRoles } from '../../src/roles/load.js';
import { builderFor } from '../../src/roles/template-data.js';
import { isTemplateName } from '../../src/templates/contexts.js';

describe('manager registry', () => {
  it('holds one module per name, in MANAGER_NAMES order', () => {
    assert.deepEqual(
      MANAGERS.map((m) => m.name),
      [...MANAGER_NAMES],
    );
    for (const n of MANAGER_NAMES) assert.equal(manager(n).name, n);
  });

  it("each manager's role says what its module says about the IPVS table and daemon", () => {
    const roles = loadRoles().map((lr) => lr.role);
    for (const m of MANAGERS) {
      const role = roles.find((r) => r.applies_to.manager === m.name && r.ipvs);
      assert.ok(role, `a role for manager ${m.name} declares the IPVS table`);
      assert.equal(role.ipvs?.static, m.programsIpvs === 'lvs-deploy', role.name);
      assert.deepEqual(
        role.daemons.map((d) => d.name),
        m.daemon ? [m.daemon.name] : [],
        role.name,
      );
      for (const f of role.files) {
        if (Object.hasOwn(m.templates, f.template))
          assert.ok(isTemplateName(f.template), `${m.name}: ${f.template} has a context schema`);
      }
    }
  });

  it('every template a role names has a context builder', () => {
    for (const lr of loadRoles()) {
      const files = [...lr.role.files, ...(lr.role.debian?.files ?? []), ...(lr.role.rhel?.files ?? [])];
      for (const f of files) {
        assert.ok(isTemplateName(f.template) && builderFor(f.template), `${lr.role.name}: ${f.template}`);
      }
    }
  });
});
