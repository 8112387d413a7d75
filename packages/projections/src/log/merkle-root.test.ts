// The root-only tree of the auditor, for any leaves, against the tree that stores its nodes and the
// RFC's definition, at every size (the Certificate Transparency roots: merkle.test.ts).
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { emptyRoot, merkleAccumulator, rootOfLeafHashes, type Sha256 } from './merkle.js'
import { merkleRootAccumulator } from './merkle-root.js'

const sha256: Sha256 = (data) => new Uint8Array(createHash('sha256').update(data).digest())
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

describe('merkleRootAccumulator', () => {
  it('has the root of the definition and of merkleAccumulator at every size, for any leaves', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 140 }), (leaves) => {
        const tree = merkleRootAccumulator(sha256)
        const stored = merkleAccumulator(sha256)
        expect(hex(tree.root())).toBe(hex(emptyRoot(sha256)))
        leaves.forEach((leaf, index) => {
          // The caller's bytes are copied: reusing them after the append changes nothing.
          const reused = leaf.slice()
          tree.append(reused)
          reused.fill(0xff)
          stored.append(leaf)
          expect(hex(tree.root())).toBe(hex(stored.root()))
          expect(hex(tree.root())).toBe(hex(rootOfLeafHashes(sha256, leaves.slice(0, index + 1))))
        })
        expect(tree.size()).toBe(leaves.length)
      }),
    )
  })

  it('refuses a leaf hash that is not 32 bytes', () => {
    const tree = merkleRootAccumulator(sha256)
    expect(() => tree.append(new Uint8Array(31))).toThrow(RangeError)
    expect(tree.size()).toBe(0)
  })
})
