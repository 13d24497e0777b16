// `lab down NAME` takes down whatever lab of that name is up (netns or VM) without --vm; the flag
// only matters once the state is gone. The decision is pure: checked here without booting a VM.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labKindToDown } from '../../src/lab/down.js';

test('a lab that is up is taken down as the kind its state records, whatever --vm says', () => {
  assert.equal(labKindToDown({ kind: 'vm' }, false, false), 'vm');
  assert.equal(labKindToDown({ kind: 'vm' }, false, true), 'vm');
  assert.equal(labKindToDown({ kind: 'netns' }, true, false), 'netns');
  assert.equal(labKindToDown({ kind: 'netns' }, false, false), 'netns');
});

test('without a state, --vm or a VM pidfile left behind means the VM lab, else the netns sweep', () => {
  assert.equal(labKindToDown(undefined, true, false), 'vm');
  assert.equal(labKindToDown(undefined, false, true), 'vm');
  assert.equal(labKindToDown(undefined, false, false), 'netns');
});
