// The root-only tree of the auditor against the Certificate Transparency roots and, for any
// leaves, against the tree that stores its nodes and the RFC's definition, at every size.
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { emptyRoot, leafHash, merkleAccumulator, rootOfLeafHashes, type Sha256 } from './merkle.js'
import { merkleRootAccumulator } from './merkle-root.js'

const sha256: Sha256 = (data) => new Uint8Array(createHash('sha256').update(data).digest())
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'))

describe('merkleRootAccumulator', () => {
  it('has the published roots of the Certificate Transparency tree of 0 to 8 leaves', () => {
    // transparency-dev/merkle testonly/constants.go: LeafInputs and RootHashes (as in merkle.test.ts).
    const inputs = [
      '',
      '00',
      '10',
      '2021',
      '3031',
      '40414243',
      '5051525354555657',
      '606162636465666768696a6b6c6d6e6f',
    ]
    const roots = [
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
      'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
      '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
      'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    ]
    const tree = merkleRootAccumulator(sha256)
    const seen = [hex(tree.root())]
    for (const data of inputs) {
      tree.append(leafHash(sha256, fromHex(data)))
      seen.push(hex(tree.root()))
    }
    expect(seen).toEqual(roots)
    expect(tree.size()).toBe(8)
  })

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
