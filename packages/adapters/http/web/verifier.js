// The verifier's page: a presentation — read from the holder's QR code with this device's camera
// (jsQR, served by this service) or pasted — goes to `POST /presentations/verify`, which checks the
// issuer's signature, every disclosure, the credential's expiry, the holder device's signature and
// its freshness (a screenshot is stale within a minute), and the status list. The verdict is shown
// in plain words with every reason, and what the holder chose to show. A verifier that wants more
// than freshness shows a check code (a nonce) that the holder types on their phone: from then on only
// a presentation made with it is accepted (`nonce-mismatch` otherwise). The token comes from the
// URL fragment and is taken out of the address bar once read.

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
  'key-binding-signature-invalid': 'Not from the phone this e-licence was issued to: a copy.',
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
  statuses: '状态 Status',
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

const show = (verdict, reasons, rows) => {
  const result = $('result')
  result.hidden = false
  result.classList.toggle('valid', verdict === 'valid')
  result.classList.toggle('invalid', verdict !== 'valid')
  result.dataset.valid = String(verdict === 'valid')
  $('verdict').textContent = verdict === 'valid' ? '✓ 有效 VALID' : '✗ 无效 INVALID — do not accept'
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

/** The check code shown to the holder now, if any: a presentation must carry it as its nonce. */
let checkCode

const verify = async (presentation, token) => {
  const response = await fetch('/presentations/verify', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(checkCode === undefined ? { presentation } : { presentation, nonce: checkCode }),
  })
  const body = await response.json().catch(() => null)
  if (response.status !== 200) {
    show('invalid', [], [['原因 Problem', body?.error?.message ?? `The server answered ${response.status}.`]])
    return
  }
  const rows = Object.entries(body.disclosed).map(([name, value]) => [
    claimNames[name] ?? name,
    shown(name, value),
  ])
  rows.push(['核验时间 Checked at', localTime(new Date(body.checkedAt))])
  if (body.valid) {
    show('valid', [], rows)
    $('why').replaceChildren(
      Object.assign(document.createElement('li'), {
        textContent:
          'Issued by the licence authority, shown live from the holder’s own phone, and valid now.',
      }),
    )
    return
  }
  show('invalid', body.reasons, rows)
}

/** Reads QR codes from the camera until one decodes, then stops the camera. */
const scan = async (onText) => {
  const video = $('camera')
  const status = $('scan-status')
  let stream
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false })
  } catch (error) {
    status.textContent = `The camera cannot be used: ${error instanceof Error ? error.message : error}. Paste the text instead.`
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
  }
  const frame = () => {
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
  const fragmentToken = tokenFromFragment()
  if (fragmentToken) $('token-field').hidden = true
  const tokenNow = () => fragmentToken ?? String(new FormData(form).get('token') ?? '')
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    verify(String(new FormData(form).get('presentation') ?? '').trim(), tokenNow())
  })
  $('scan').addEventListener('click', () => scan((text) => verify(text.trim(), tokenNow())))
  $('new-code').addEventListener('click', () => {
    checkCode = newCheckCode()
    $('check-code').textContent = checkCode
    $('check-code').hidden = false
    $('check-code-hint').hidden = false
  })
}

main()
