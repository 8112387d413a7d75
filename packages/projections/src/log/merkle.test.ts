// The tree against published vectors: the leaves, roots and node hashes of the Certificate
// Transparency tests as kept by transparency-dev/merkle (testonly/constants.go: LeafInputs,
// NodeHashes, RootHashes), and the inclusion and consistency proofs of its proof/verify_test.go
// (inclusionProofs, consistencyProofs; their leaf numbers count from 1, ours from 0). Both at
// https://github.com/transparency-dev/merkle. Then properties over random trees.
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  consistencyProofPlan,
  emptyRoot,
  hashesOfPlan,
  inclusionProofPlan,
  leafHash,
  merkleAccumulator,
  type NodeId,
  nodeKey,
  rootOfLeafHashes,
  type Sha256,
} from './merkle.js'
import { merkleRootAccumulator } from './merkle-root.js'
import { verifyConsistency, verifyInclusion } from './merkle-verify.js'

const sha256: Sha256 = (data) => new Uint8Array(createHash('sha256').update(data).digest())
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'))

const leafInputs = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(fromHex)
const rootHashes = [
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
const nodeHashes: ReadonlyArray<ReadonlyArray<string>> = [
  [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
    '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
  ],
  [
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  ],
  [
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  ],
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
]
// { leaf (1-based), size, proof }
const inclusionProofs = [
  { leaf: 1, size: 1, proof: [] },
  {
    leaf: 1,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    leaf: 6,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { leaf: 3, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    leaf: 2,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
]
const consistencyProofs = [
  { from: 1, to: 1, proof: [] },
  {
    from: 1,
    to: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    from: 6,
    to: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    from: 2,
    to: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    from: 6,
    to: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
]

/** A tree grown leaf by leaf, its nodes kept as a store would. */
const grow = (leaves: ReadonlyArray<Uint8Array>) => {
  const tree = merkleAccumulator(sha256)
  const nodes = new Map<string, Uint8Array>()
  const roots = [hex(tree.root())]
  for (const data of leaves) {
    for (const node of tree.append(leafHash(sha256, data))) nodes.set(nodeKey(node), node.hash)
    roots.push(hex(tree.root()))
  }
  return { tree, nodes, roots, lookup: (node: NodeId) => nodes.get(nodeKey(node)) }
}

describe('the RFC 9162 tree against the Certificate Transparency vectors', () => {
  const { nodes, roots, lookup } = grow(leafInputs)

  it('has the published root of every size from 0 to 8', () => {
    expect(hex(emptyRoot(sha256))).toBe(rootHashes[0])
    expect(roots).toEqual(rootHashes)
    // The auditor's tree, which keeps only its root.
    const rootOnly = merkleRootAccumulator(sha256)
    const rootOnlyRoots = [hex(rootOnly.root())]
    for (const data of leafInputs) {
      rootOnly.append(leafHash(sha256, data))
      rootOnlyRoots.push(hex(rootOnly.root()))
    }
    expect(rootOnlyRoots).toEqual(rootHashes)
    for (let size = 0; size <= leafInputs.length; size++) {
      expect(
        hex(
          rootOfLeafHashes(
            sha256,
            leafInputs.slice(0, size).map((data) => leafHash(sha256, data)),
          ),
        ),
      ).toBe(rootHashes[size])
    }
  })

  it('stores exactly the published perfect subtrees', () => {
    for (const [levelIndex, level] of nodeHashes.entries())
      for (const [index, hash] of level.entries())
        expect(hex(nodes.get(`${levelIndex}/${index}`) as Uint8Array)).toBe(hash)
    expect(nodes.size).toBe(nodeHashes.flat().length)
  })

  it.each(inclusionProofs)('proves leaf $leaf of $size as published', ({ leaf, size, proof }) => {
    const hashes = hashesOfPlan(sha256, inclusionProofPlan(leaf - 1, size), lookup) ?? []
    expect(hashes.map(hex)).toEqual(proof)
    const leafHashOf = leafHash(sha256, leafInputs[leaf - 1] as Uint8Array)
    expect(
      verifyInclusion(
        sha256,
        leaf - 1,
        size,
        leafHashOf,
        proof.map(fromHex),
        fromHex(rootHashes[size] ?? ''),
      ),
    ).toBe(true)
  })

  it.each(consistencyProofs)('proves $from consistent with $to as published', ({ from, to, proof }) => {
    const hashes = hashesOfPlan(sha256, consistencyProofPlan(from, to), lookup) ?? []
    expect(hashes.map(hex)).toEqual(proof)
    expect(
      verifyConsistency(
        sha256,
        from,
        to,
        proof.map(fromHex),
        fromHex(rootHashes[from] ?? ''),
        fromHex(rootHashes[to] ?? ''),
      ),
    ).toBe(true)
  })

  it('refuses the corrupted proofs of verify_test.go: a wrong index, size, root, or an added, dropped or flipped hash', () => {
    const { leaf, size, proof } = inclusionProofs[2] as (typeof inclusionProofs)[number]
    const index = leaf - 1
    const path = proof.map(fromHex)
    const root = fromHex(rootHashes[size] ?? '')
    const hash = leafHash(sha256, leafInputs[index] as Uint8Array)
    const flipped = path.map((entry, at) =>
      at === 1 ? Uint8Array.from(entry, (byte, i) => (i === 0 ? byte ^ 8 : byte)) : entry,
    )
    for (const [i, s, p, r] of [
      [index - 1, size, path, root],
      [index + 1, size, path, root],
      [index ^ 2, size, path, root],
      [index, size * 2, path, root],
      [index, size / 2, path, root],
      [index, size, path, emptyRoot(sha256)],
      [index, size, [...path, root], root],
      [index, size, [root, ...path], root],
      [index, size, path.slice(0, -1), root],
      [index, size, flipped, root],
    ] as const) {
      expect(verifyInclusion(sha256, i, s, hash, p, r)).toBe(false)
    }
    const c = consistencyProofs[2] as (typeof consistencyProofs)[number]
    const cPath = c.proof.map(fromHex)
    const r1 = fromHex(rootHashes[c.from] ?? '')
    const r2 = fromHex(rootHashes[c.to] ?? '')
    for (const [m, n, p, a, b] of [
      [c.from - 1, c.to, cPath, r1, r2],
      [c.from + 1, c.to, cPath, r1, r2],
      [c.from, c.to * 2, cPath, r1, r2],
      [c.from, c.to, cPath, r2, r1],
      [c.from, c.to, [], r1, r2],
      [c.from, c.to, [...cPath, r1], r1, r2],
      [c.from, c.to, [r2, ...cPath], r1, r2],
      [c.from, c.to, cPath.slice(0, -1), r1, r2],
    ] as const) {
      expect(verifyConsistency(sha256, m, n, p, a, b)).toBe(false)
    }
    expect(verifyConsistency(sha256, 3, 2, [], r1, r2)).toBe(false)
  })
})

describe('the tree, for any leaves', () => {
  const leavesArb = fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 70 })

  it('grows to the root of the definition and resumes from its stored edge', () => {
    fc.assert(
      fc.property(leavesArb, fc.nat(), (leaves, cut) => {
        const hashes = leaves.map((data) => leafHash(sha256, data))
        const { tree, lookup } = grow(leaves)
        expect(hex(tree.root())).toBe(hex(rootOfLeafHashes(sha256, hashes)))
        const at = cut % (leaves.length + 1)
        const first = grow(leaves.slice(0, at))
        const resumed = merkleAccumulator(sha256, {
          size: at,
          edge: first.tree.edge().map((node) => lookup(node) as Uint8Array),
        })
        for (const hash of hashes.slice(at)) resumed.append(hash)
        expect(hex(resumed.root())).toBe(hex(tree.root()))
      }),
    )
  })

  it('proves every leaf of every size, and every size consistent with every later one', () => {
    fc.assert(
      fc.property(leavesArb, fc.nat(), fc.nat(), (leaves, a, b) => {
        const hashes = leaves.map((data) => leafHash(sha256, data))
        const { roots, lookup } = grow(leaves)
        const size = 1 + (a % leaves.length)
        const index = b % size
        const root = fromHex(roots[size] ?? '')
        const path = hashesOfPlan(sha256, inclusionProofPlan(index, size), lookup) ?? []
        expect(verifyInclusion(sha256, index, size, hashes[index] as Uint8Array, path, root)).toBe(true)
        expect(
          verifyInclusion(sha256, index, size, hashes[(index + 1) % leaves.length] as Uint8Array, path, root),
        ).toBe(
          hashes[(index + 1) % leaves.length]?.every((byte, at) => byte === hashes[index]?.[at]) ?? false,
        )
        const from = b % (size + 1)
        const proof = hashesOfPlan(sha256, consistencyProofPlan(from, size), lookup) ?? []
        expect(verifyConsistency(sha256, from, size, proof, fromHex(roots[from] ?? ''), root)).toBe(true)
        if (from > 0 && from < size) {
          const forged = Uint8Array.from(root, (byte, at) => (at === 0 ? byte ^ 1 : byte))
          expect(verifyConsistency(sha256, from, size, proof, fromHex(roots[from] ?? ''), forged)).toBe(false)
        }
      }),
    )
  })
})
