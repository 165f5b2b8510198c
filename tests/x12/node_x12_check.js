// Reads X12 files with node-x12 (an independent parser, from npm) and prints
// one JSON object per file: what it parsed and every problem it found. Run by
// ops/x12-node-check, which installs node-x12 first; the integration test
// tests/integration/x12_node_check_test.cc checks the 837P export with it.
//
// Usage: node node_x12_check.js MODULE_DIR FILE...
'use strict'
const fs = require('fs')
const path = require('path')

const moduleDir = process.argv[2]
const { X12Parser } = require(path.join(moduleDir, 'node_modules', 'node-x12'))

function value (segment, n) {
  const e = segment.elements[n - 1]
  return e === undefined ? '' : e.value
}

function check (file) {
  const out = { file, errors: [], interchanges: 0, groups: 0, transactions: [], claims: [] }
  const text = fs.readFileSync(file, 'utf8')
  const parser = new X12Parser(true) // strict: envelopes and counts must be right
  let parsed
  try {
    parsed = parser.parse(text)
  } catch (e) {
    out.errors.push(`parse: ${e.message}`)
    return out
  }
  for (const d of parser.diagnostics || []) out.errors.push(`diagnostic: ${d.message}`)
  const interchanges = parsed.interchanges ? parsed.interchanges : [parsed]
  for (const ic of interchanges) {
    out.interchanges++
    if (value(ic.trailer, 1) !== String(ic.functionalGroups.length)) {
      out.errors.push(`IEA01 ${value(ic.trailer, 1)} for ${ic.functionalGroups.length} groups`)
    }
    if (Number(value(ic.trailer, 2)) !== Number(value(ic.header, 13))) {
      out.errors.push('IEA02 is not ISA13')
    }
    for (const g of ic.functionalGroups) {
      out.groups++
      if (value(g.trailer, 1) !== String(g.transactions.length)) {
        out.errors.push(`GE01 ${value(g.trailer, 1)} for ${g.transactions.length} transactions`)
      }
      for (const t of g.transactions) {
        // SE01 counts ST and SE with the segments between them.
        const counted = t.segments.length + 2
        const tx = {
          st01: value(t.header, 1),
          st02: value(t.header, 2),
          st03: value(t.header, 3),
          se01: Number(value(t.trailer, 1)),
          segments: counted
        }
        if (tx.se01 !== counted) out.errors.push(`SE01 ${tx.se01} for ${counted} segments`)
        if (value(t.trailer, 2) !== tx.st02) out.errors.push('SE02 is not ST02')
        out.transactions.push(tx)
        let claim = null
        for (const s of t.segments) {
          if (s.tag === 'CLM') {
            const composite = value(s, 5).split(':')
            claim = { id: value(s, 1), charge: value(s, 2), frequency: composite[2] || '', f8: '', lines: 0 }
            out.claims.push(claim)
          } else if (claim && s.tag === 'REF' && value(s, 1) === 'F8') {
            claim.f8 = value(s, 2)
          } else if (claim && s.tag === 'SV1') {
            claim.lines++
          }
        }
      }
    }
  }
  return out
}

let failed = false
for (const file of process.argv.slice(3)) {
  const r = check(file)
  if (r.errors.length > 0) failed = true
  process.stdout.write(JSON.stringify(r) + '\n')
}
process.exit(failed ? 1 : 0)
