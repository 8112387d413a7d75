// The verifier's page: a presentation — read from the holder's QR code with this device's camera
// (jsQR, served by this service) or pasted — goes to `POST /presentations/verify`, which checks the
// issuer's signature, every disclosure, the credential's expiry, the holder device's signature and
// its freshness (a screenshot is stale within a minute), and the status list. The verdict is shown
// in plain words with every reason, and what the holder chose to show. A verifier that wants more
// than freshness shows a check code (a nonce) that the holder types on their phone: until a
// presentation made with it is accepted (or five minutes pass), only such a one is
// (`nonce-mismatch` otherwise). A check that could not be made — the service unreachable, this
// terminal's token refused — says so, and is never shown as the holder's licence being invalid;
// every check starts from a blank result, so no earlier verdict stays on screen. The token comes
// from the URL fragment and is taken out of the address bar once read.

import { localTime } from './local-time.js'

const $ = (id) => document.getElementById(id)

/** Every reason the service can give, in words an officer reads at a glance. */
const reasonTexts = {
  'malformed-presentation': 'This is not an e-licence code.',
  'unknown-issuer-key': 'Not issued by this licence authority (unknown signing key).',
  'issuer-signature-invalid': 'The licence data was altered: the authority’s signature does not match.',
  'wrong-credential-type': 'This is not an electronic driving licence.',
  'wrong-issuer': 'Issued by another service, not this licence authority.',
  'unreferenced-disclosure': 'The code carries data the authority never signed.',
  'duplicate-disclosure': 'The code repeats data: it was tampered with.',
  'duplicate-digest': 'The code is malformed: it was tampered with.',
  'claim-name-collision': 'The code carries conflicting data: it was tampered with.',
  'misplaced-disclosure': 'The code is malformed: it was tampered with.',
  'credential-expired': 'The e-licence on this phone has expired: the holder must refresh it.',
  'credential-not-yet-valid': 'The e-licence is dated in the future: the clocks disagree.',
  'key-binding-missing': 'Not shown live from the holder’s phone (no device signature).',
  'key-binding-malformed': 'Not shown live from the holder’s phone (device signature unreadable).',
  'key-binding-signature-invalid':
    'The phone’s signature does not match: a copy from another phone, or an incomplete code — scan again.',
  'key-binding-sd-hash-mismatch': 'The code was altered after the phone signed it.',
  'presentation-stale': 'The code is more than a minute old: a screenshot or a recording.',
  'presentation-from-future': 'The code is dated in the future: the phone’s clock is wrong.',
  'nonce-mismatch': 'The code was made for another check, not this one.',
  'audience-mismatch': 'The code was made for another verifier.',
  'status-invalid': 'The e-licence has been invalidated (renewed, revoked or expired).',
  'status-suspended': 'The licence has an abnormal status: check before accepting.',
  'status-unavailable': 'The licence status could not be checked online.',
}

const claimNames = {
  masked_name: '持证人 Holder',
  name: '姓名 Name',
  document_number: '证号 Licence no.',
  birth_date: '出生日期 Born',
  age_over_18: '已满18岁 Over 18',
  driving_privileges: '准驾车型 Classes',
  issue_date: '有效期起 Valid from',
  expiry_date: '有效期至 Valid until',
  issuing_authority: '发证机关 Authority',
  issuing_authority_code: '机关代码 Authority code',
  // The statuses written into the credential when it was issued; the status now is the list's.
  statuses: '发证时状态 Status at issue',
}

const claimOrder = Object.keys(claimNames)
const claimRank = (name) => (claimOrder.includes(name) ? claimOrder.indexOf(name) : claimOrder.length)

/** The status list's word on the licence now (the response's `status`). */
const statusNowTexts = {
  valid: '正常 normal',
  suspended: '异常 abnormal (suspended)',
  invalid: '已失效 invalidated',
  unchecked: '未核验 not checked online',
}

/** Verdicts: the holder's licence valid or not, abnormal, or not checked at all (this side's fault). */
const verdictTexts = {
  valid: '✓ 有效 VALID',
  invalid: '✗ 无效 INVALID — do not accept',
  abnormal: '⚠ 异常 ABNORMAL STATUS — check before accepting',
  unchecked: '? 未核验 NOT CHECKED — the licence was not checked: try again',
}

const shown = (name, value) => {
  if (name === 'driving_privileges')
    return value.map((privilege) => privilege.vehicle_category_code).join(' ')
  if (name === 'expiry_date' && value === 'long-term') return '长期 long-term'
  if (Array.isArray(value)) return value.join(' ')
  if (typeof value === 'boolean') return value ? 'yes' : 'no'
  return String(value)
}

const row = (term, value) => {
  const wrapper = document.createElement('div')
  const dt = document.createElement('dt')
  const dd = document.createElement('dd')
  dt.textContent = term
  dd.textContent = value
  wrapper.append(dt, dd)
  return wrapper
}

const tokenFromFragment = () => {
  const token =
    new URLSearchParams(location.hash.slice(1)).get('token') ?? sessionStorage.getItem('verifier-token')
  if (location.hash !== '') history.replaceState(null, '', `${location.pathname}${location.search}`)
  if (token) sessionStorage.setItem('verifier-token', token)
  return token
}

/** The terminal's token from its link (or this tab's earlier visit); null: the one typed in the form. */
let terminalToken = null

const forgetTerminalToken = () => {
  sessionStorage.removeItem('verifier-token')
  terminalToken = null
  $('token-field').hidden = false
}

/** No verdict on screen: each check, and each scan, starts from a blank result. */
const clearResult = () => {
  $('result').hidden = true
  $('result').removeAttribute('data-valid')
}

const show = (verdict, reasons, rows) => {
  const result = $('result')
  result.hidden = false
  for (const kind of Object.keys(verdictTexts)) result.classList.toggle(kind, verdict === kind)
  result.dataset.valid = verdict === 'unchecked' ? 'unchecked' : String(verdict === 'valid')
  $('verdict').textContent = verdictTexts[verdict]
  $('why').replaceChildren(
    ...reasons.map((reason) => {
      const item = document.createElement('li')
      item.dataset.reason = reason
      item.textContent = reasonTexts[reason] ?? reason
      return item
    }),
  )
  $('details').replaceChildren(...rows.map(([term, value]) => row(term, value)))
}

// Letters and digits no one misreads (no 0/O, 1/I): 32 of them, so a random byte's low 5 bits pick
// one uniformly.
const codeAlphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'

/** A fresh check code, the nonce this verifier hands the holder: 6 characters, 30 random bits. */
const newCheckCode = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(6)), (byte) => codeAlphabet[byte & 31]).join('')

/** A check code serves one holder: it ends when a presentation made with it is accepted, or after this. */
const checkCodeLifetimeMs = 5 * 60_000

/** The check code shown to the holder now, if any, and until when: a presentation must carry it as its nonce. */
let checkCode

const endCheckCode = () => {
  checkCode = undefined
  $('check-code').hidden = true
  $('check-code-hint').hidden = true
}

const activeCheckCode = () => {
  if (checkCode !== undefined && Date.now() >= checkCode.until) endCheckCode()
  return checkCode?.code
}

/** The longest a check may take: after this the service is taken for unreachable. */
const checkDeadlineMs = 10_000

/** Why the service would not check, in words: this terminal's problem, not the holder's. */
const refusedCheck = (status, body) =>
  status === 401
    ? 'This terminal is not signed in: its verifier token is missing or not recognised.'
    : status === 403
      ? 'This terminal may not verify presentations: its token is not a verifier’s.'
      : `The licence service could not check it now (${status}${body?.error?.message ? `: ${body.error.message}` : ''}).`

let checking = false

const verify = async (text, token) => {
  if (checking) return
  // A QR code holds no white space: line breaks that a chat app or a paste added are dropped.
  const presentation = text.replace(/\s+/g, '')
  const nonce = activeCheckCode()
  checking = true
  for (const button of document.querySelectorAll('button')) button.disabled = true
  clearResult()
  $('scan-status').textContent = '核验中 Checking…'
  try {
    let response
    try {
      response = await fetch('/presentations/verify', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        // The holder's page binds its presentations to this service (`aud`, its origin): one made
        // for another service is not accepted here, even fresh.
        body: JSON.stringify({
          presentation,
          audience: location.origin,
          ...(nonce === undefined ? {} : { nonce }),
        }),
        signal: AbortSignal.timeout(checkDeadlineMs),
      })
    } catch {
      show(
        'unchecked',
        [],
        [['原因 Problem', 'The licence service could not be reached. Check the connection and try again.']],
      )
      return
    }
    const body = await response.json().catch(() => null)
    // A body the service refused as no presentation (malformed, over the size limit) is the code's fault.
    if (response.status === 400 || response.status === 413) {
      show('invalid', ['malformed-presentation'], [])
      return
    }
    if (response.status !== 200 || body === null) {
      // A token the service refused is forgotten, and the field to type another is shown: kept, it
      // would refuse every check of this tab, and of the next visit without a link.
      if (response.status === 401 || response.status === 403) forgetTerminalToken()
      show('unchecked', [], [['原因 Problem', refusedCheck(response.status, body)]])
      return
    }
    // The holder's name first, then the rest in the order of `claimNames`, claims it has no name for last.
    const rows = Object.entries(body.disclosed)
      .sort(([a], [b]) => claimRank(a) - claimRank(b))
      .map(([name, value]) => [claimNames[name] ?? name, shown(name, value)])
    rows.push(['当前状态 Status now', statusNowTexts[body.status] ?? String(body.status)])
    rows.push(['核验时间 Checked at', localTime(new Date(body.checkedAt))])
    if (body.valid) {
      if (nonce !== undefined) endCheckCode()
      show('valid', [], rows)
      $('why').replaceChildren(
        Object.assign(document.createElement('li'), {
          textContent:
            'Issued by the licence authority, shown live from the holder’s own phone, and valid now.',
        }),
      )
      return
    }
    const abnormalOnly = body.reasons.length === 1 && body.reasons[0] === 'status-suspended'
    show(abnormalOnly ? 'abnormal' : 'invalid', body.reasons, rows)
  } finally {
    checking = false
    for (const button of document.querySelectorAll('button')) button.disabled = false
    if ($('scan-status').textContent === '核验中 Checking…') $('scan-status').textContent = ''
    $('result').scrollIntoView({ block: 'nearest' })
  }
}

/** How long the camera looks for a code before it is turned off. */
const scanLimitMs = 60_000

let scanning = false

/** Reads QR codes from the camera until one decodes (or a minute passes), then stops the camera. */
const scan = async (onText) => {
  if (scanning) return
  scanning = true
  // The last holder's verdict is not left on screen while the next one is being scanned.
  clearResult()
  const video = $('camera')
  const status = $('scan-status')
  let stream
  try {
    // A presentation is a dense code (version 30 or more): the camera's default 640×480 often
    // cannot resolve its modules, so ask for more.
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: 'environment', width: { ideal: 1920 }, height: { ideal: 1080 } },
      audio: false,
    })
  } catch (error) {
    status.textContent = `The camera cannot be used: ${error instanceof Error ? error.message : error}. Paste the text instead.`
    scanning = false
    return
  }
  video.srcObject = stream
  video.hidden = false
  await video.play()
  status.textContent = 'Point the camera at the QR code on the holder’s phone…'
  const canvas = document.createElement('canvas')
  const context = canvas.getContext('2d', { willReadFrequently: true })
  const stop = () => {
    for (const track of stream.getTracks()) track.stop()
    video.hidden = true
    scanning = false
  }
  const until = Date.now() + scanLimitMs
  const frame = () => {
    if (Date.now() > until) {
      stop()
      status.textContent =
        'No code was read within a minute: the camera is off. Scan again, or paste the text.'
      return
    }
    if (video.readyState >= video.HAVE_CURRENT_DATA && video.videoWidth > 0) {
      canvas.width = video.videoWidth
      canvas.height = video.videoHeight
      context.drawImage(video, 0, 0)
      const image = context.getImageData(0, 0, canvas.width, canvas.height)
      const found = globalThis.jsQR(image.data, image.width, image.height, {
        inversionAttempts: 'dontInvert',
      })
      if (found?.data) {
        stop()
        status.textContent = 'Code read.'
        onText(found.data)
        return
      }
    }
    requestAnimationFrame(frame)
  }
  requestAnimationFrame(frame)
}

const main = () => {
  const form = $('verify')
  terminalToken = tokenFromFragment()
  if (terminalToken) $('token-field').hidden = true
  const tokenNow = () => terminalToken ?? String(new FormData(form).get('token') ?? '')
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    verify(String(new FormData(form).get('presentation') ?? ''), tokenNow())
  })
  $('scan').addEventListener('click', () => scan((text) => verify(text, tokenNow())))
  $('new-code').addEventListener('click', () => {
    checkCode = { code: newCheckCode(), until: Date.now() + checkCodeLifetimeMs }
    $('check-code').textContent = checkCode.code
    $('check-code').hidden = false
    $('check-code-hint').hidden = false
  })
}

main()
