// The holder's live e-licence (the seed: shown live with the current time; a screenshot is not
// valid). It reads `licence` and `token` from the URL fragment, which never reaches a server, and
// takes them out of the address bar at once (so neither a bookmark nor a screenshot of the page
// carries the token); then it polls the licence's view and, while the e-licence is issued, obtains
// an SD-JWT VC bound to this phone's device key and shows a QR code of a presentation that the
// device key re-signs every few seconds. Black when the status is normal, red when abnormal.

import { credentialClaims, deviceKey, presentation, readRecord, writeRecord } from './credential-wallet.js'
import { localTime } from './local-time.js'
import { encode } from './vendor/uqr.mjs'

const statusNames = {
  A: '正常 normal',
  B: '超分 over points',
  C: '转出 transferred',
  D: '暂扣 suspended',
  E: '撤销 cancelled',
  F: '吊销 revoked',
  G: '注销 deregistered',
  H: '违法未处理 unresolved violation',
  I: '事故未处理 unresolved accident',
  J: '停止使用 stopped',
  K: '扣押 seized',
  L: '锁定 locked',
  M: '逾期未换证 renewal overdue',
  N: '延期换证 renewal deferred',
  P: '延期体检 medical deferred',
  R: '注销可恢复 deregistered, recoverable',
  S: '逾期未审验 review overdue',
  T: '延期审验 review deferred',
  U: '扣留 detained',
}

/** How often the view is re-read, so a status change shows without a reload. */
const viewRefreshMs = 15_000

const $ = (id) => document.getElementById(id)

const credentials = () => {
  const fragment = new URLSearchParams(location.hash.slice(1))
  // Read once, then gone from the address bar and the history entry.
  if (location.hash !== '') history.replaceState(null, '', `${location.pathname}${location.search}`)
  const licence = fragment.get('licence') ?? sessionStorage.getItem('licence')
  const token = fragment.get('token') ?? sessionStorage.getItem('token')
  if (licence && token) {
    sessionStorage.setItem('licence', licence)
    sessionStorage.setItem('token', token)
    return { licence, token }
  }
  return null
}

/** The longest a request may take: after this the service is taken for unreachable. */
const requestDeadlineMs = 10_000

/** The service's answer; status 0 when it could not be reached in time (no network, no server). */
const api = async (method, path, token, json) => {
  const headers = { authorization: `Bearer ${token}` }
  if (json !== undefined) headers['content-type'] = 'application/json'
  let response
  try {
    response = await fetch(path, {
      method,
      headers,
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      signal: AbortSignal.timeout(requestDeadlineMs),
    })
  } catch {
    return { status: 0, body: null }
  }
  const body = await response.json().catch(() => null)
  return { status: response.status, body }
}

/** When the e-licence's data was last read from the service. */
let lastRefreshed

const startClock = () => {
  const tick = () => {
    $('clock').textContent = localTime(new Date())
    $('clock').dateTime = new Date().toISOString()
  }
  tick()
  setInterval(tick, 1000)
}

const showProblem = (text) => {
  $('problem').textContent = text
  $('problem').hidden = text === ''
}

const notice = (title, text) => {
  $('notice').hidden = false
  $('notice-title').textContent = title
  $('notice-text').textContent = text
}

const renderView = (view) => {
  const card = $('licence')
  const abnormal = !(view.statuses.length === 1 && view.statuses[0] === 'A')
  card.dataset.state = view.state
  card.classList.toggle('abnormal', abnormal)
  card.classList.toggle('normal', !abnormal)
  $('holder-name').textContent = view.holder.name
  $('licence-number').textContent = view.licenceNumber
  $('classes').textContent = view.classes.join(' ')
  $('validity').textContent =
    `${view.validFrom} 至 ${view.validUntil === 'long-term' ? '长期 long-term' : view.validUntil}`
  $('authority').textContent = view.authority.name
  $('statuses').textContent = view.statuses
    .map((status) => `${status} ${statusNames[status] ?? ''}`)
    .join(' · ')

  $('notice').hidden = true
  switch (view.state) {
    case 'issued':
      break
    case 'pending-review':
      notice(
        '审核中 · Pending review',
        `Your application ${view.applicationId} is being reviewed (one working day). Result due by ${
          view.reviewDueAt ? localTime(new Date(view.reviewDueAt)) : '—'
        }.`,
      )
      break
    case 'awaiting-photo': {
      const last = view.photoRejections[view.photoRejections.length - 1]
      const reasons = last ? last.reasons.map((reason) => reason.replaceAll('-', ' ')).join(', ') : ''
      notice(
        '请上传照片 · A photo is needed',
        `Take a photo against a white background, evenly lit, no hat, mask or sunglasses. ${
          reasons ? `Last photo refused: ${reasons}.` : ''
        }`,
      )
      break
    }
    case 'invalidated': {
      const last = view.lastInvalidation
      const why = last
        ? `${last.reason}${last.changes.length > 0 ? ` (${last.changes.join(', ')})` : ''}`
        : 'invalidated'
      notice('已失效 · E-licence invalidated', `Reason: ${why}. Apply again for a new e-licence.`)
      break
    }
    default:
      notice('未申领 · No e-licence yet', 'Apply for the electronic licence in the app first.')
  }
}

/** How often the device key re-signs the presentation: a verifier accepts one at most 60 s old. */
const presentationRefreshMs = 5_000
/** The standard quiet zone around a QR code, in modules. */
const quietZoneModules = 4

let presentationTimer
let presenting = false
/** The `issuedAt` of the e-licence presented: a new one needs a new credential. */
let presentedFor = null

const hidePresentation = () => {
  clearTimeout(presentationTimer)
  presenting = false
  $('presentation').hidden = true
  $('presentation-text').value = ''
}

/** Draws the QR code with whole device pixels per module, so no module is blurred across two. */
const drawQr = (text) => {
  const qr = encode(text, { ecc: 'L', border: quietZoneModules })
  const canvas = $('qr')
  const cssSize = Math.min(360, document.documentElement.clientWidth - 32)
  const modulePixels = Math.max(1, Math.floor((cssSize * devicePixelRatio) / qr.size))
  canvas.width = canvas.height = qr.size * modulePixels
  canvas.style.width = canvas.style.height = `${(qr.size * modulePixels) / devicePixelRatio}px`
  canvas.dataset.version = String((qr.size - 2 * quietZoneModules - 17) / 4)
  canvas.dataset.modules = String(qr.size)
  const context = canvas.getContext('2d')
  context.fillStyle = '#fff'
  context.fillRect(0, 0, canvas.width, canvas.height)
  context.fillStyle = '#000'
  for (const [y, row] of qr.data.entries()) {
    for (const [x, dark] of row.entries()) {
      if (dark) context.fillRect(x * modulePixels, y * modulePixels, modulePixels, modulePixels)
    }
  }
}

/**
 * The credential for this device key: the stored one while it is for the e-licence now issued and
 * not close to its `exp`, else a new one from the service.
 */
const credentialFor = async ({ licence, token }, view, device) => {
  const key = `credential:${licence}`
  const stored = await readRecord(key)
  const dayAhead = Date.now() / 1000 + 24 * 3600
  if (stored && stored.issuedAt === view.issuedAt && credentialClaims(stored.credential).exp > dayAhead)
    return stored
  const { status, body } = await api('POST', `/licences/${encodeURIComponent(licence)}/credentials`, token, {
    holderKey: device.publicJwk,
  })
  if (status === 0)
    throw new Error('The licence service cannot be reached: no code can be shown yet. Trying again…')
  if (status !== 201) {
    const reasons = body?.error?.reasons?.join(', ')
    throw new Error(`No code can be shown now${reasons ? `: ${reasons}` : ''}. ${body?.error?.message ?? ''}`)
  }
  const record = { credential: body.credential, disclose: body.defaultDisclosures, issuedAt: view.issuedAt }
  await writeRecord(key, record)
  return record
}

/** Shows a presentation re-signed by the device key now, and again every few seconds. */
const present = async (auth, view) => {
  clearTimeout(presentationTimer)
  let held
  let device
  try {
    device = await deviceKey(auth.licence)
    held = await credentialFor(auth, view, device)
  } catch (error) {
    // Tried again with the next refresh of the view, which also shows why (say, now expired).
    hidePresentation()
    showProblem(error instanceof Error ? error.message : String(error))
    return
  }
  presenting = true
  presentedFor = view.issuedAt
  const redraw = async () => {
    clearTimeout(presentationTimer)
    // A verifier that showed a check code accepts only a presentation made with it (its nonce).
    const code = $('check-code').value.trim().toUpperCase()
    const text = await presentation(
      held.credential,
      held.disclose,
      device.privateKey,
      location.origin,
      ...(code === '' ? [] : [code]),
    )
    drawQr(text)
    $('presentation-text').value = text
    $('presentation-expiry').textContent = `Signed by this phone at ${localTime(new Date())}`
    $('disclosed').textContent = `Shows: ${held.disclose.join(', ').replaceAll('_', ' ')}`
    $('presentation').hidden = false
    // Two redraws may overlap (a code typed in mid-refresh): one timer stays, never two.
    clearTimeout(presentationTimer)
    presentationTimer = setTimeout(redraw, presentationRefreshMs)
  }
  // A code typed in is in the very next QR code, not only after the next refresh.
  $('check-code').oninput = () => void redraw()
  await redraw()
}

const refresh = async (auth) => {
  const { status, body } = await api('GET', `/licences/${encodeURIComponent(auth.licence)}`, auth.token)
  if (status === 0) {
    // A code already shown stays: it is re-signed on this phone and checked online by the verifier.
    showProblem(
      lastRefreshed === undefined
        ? 'The licence service cannot be reached: check the connection. Trying again…'
        : `The licence service cannot be reached: what is shown was last checked at ${localTime(lastRefreshed)}. Trying again…`,
    )
    return
  }
  // A token refused, or a licence number the service refuses (a typo: 400): forgotten, not kept for
  // the next visit or polled again, and the holder signs in again with another token or number.
  if (status === 400 || status === 401 || status === 403) {
    stopRefreshing()
    sessionStorage.removeItem('licence')
    sessionStorage.removeItem('token')
    hidePresentation()
    $('licence').hidden = true
    showSignIn(
      status === 400
        ? `That licence number cannot be looked up (${body?.error?.message ?? 'refused'}): check it and sign in again.`
        : 'This token may not show this licence: open the link the service printed again, or sign in.',
    )
    return
  }
  if (status !== 200) {
    hidePresentation()
    showProblem(body?.error?.message ?? `the server answered ${status}`)
    return
  }
  showProblem('')
  lastRefreshed = new Date()
  renderView(body)
  if (body.state === 'issued' && (!presenting || presentedFor !== body.issuedAt)) await present(auth, body)
  if (body.state !== 'issued') hidePresentation()
}

let refreshTimer
const stopRefreshing = () => clearInterval(refreshTimer)

/** The form for the licence number and token, with why it is shown when a token was refused. */
const showSignIn = (why = '') => {
  const form = $('sign-in')
  form.hidden = false
  $('sign-in-problem').textContent = why
  $('sign-in-problem').hidden = why === ''
  form.onsubmit = (event) => {
    event.preventDefault()
    const data = new FormData(form)
    location.hash = new URLSearchParams({
      licence: data.get('licence'),
      token: data.get('token'),
    }).toString()
    location.reload()
  }
}

const main = () => {
  const auth = credentials()
  if (auth === null) {
    showSignIn()
    return
  }
  $('licence').hidden = false
  startClock()
  refresh(auth)
  refreshTimer = setInterval(() => refresh(auth), viewRefreshMs)
}

main()
