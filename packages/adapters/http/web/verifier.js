// The verifier's page: a presentation goes to `POST /presentations/verify`, which checks its
// signature, its short validity (a screenshot shown later has expired) and, online, the e-licence's
// current state. The verdict is shown with the reason. The token comes from the URL fragment.

import { localTime } from './local-time.js'

const $ = (id) => document.getElementById(id)

const reasonTexts = {
  'bad-signature': 'The signature does not match: the code was altered or not issued by this service.',
  'presentation-expired': 'The code has expired: it was shown from a screenshot or an old capture.',
  'presentation-not-yet-valid': 'The code is not valid yet: the clocks disagree.',
  'malformed-presentation': 'This text is not an e-licence presentation.',
  'e-licence-invalidated': 'The e-licence was invalidated since the code was made.',
  'unknown-reference':
    'The code was signed, but its e-licence reference does not open here: not issued by this service.',
  'e-licence-unknown': 'No licence has this e-licence.',
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

const tokenFromFragment = () => new URLSearchParams(location.hash.slice(1)).get('token')

const show = (valid, why, rows) => {
  const result = $('result')
  result.hidden = false
  result.classList.toggle('valid', valid)
  result.classList.toggle('invalid', !valid)
  result.dataset.valid = String(valid)
  $('verdict').textContent = valid ? '✓ 有效 VALID' : '✗ 无效 INVALID'
  $('why').textContent = why
  $('details').replaceChildren(...rows.map(([term, value]) => row(term, value)))
}

const verify = async (presentation, token) => {
  const response = await fetch('/presentations/verify', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ presentation }),
  })
  const body = await response.json().catch(() => null)
  if (response.status !== 200) {
    show(false, body?.error?.message ?? `The server answered ${response.status}.`, [])
    return
  }
  if (body.valid) {
    const { payload, verification } = body
    show(true, 'Signed by the licence authority, current, and the e-licence is valid now.', [
      ['持证人 Holder', payload.holder],
      ['证号 Licence no.', payload.licenceNumber],
      ['准驾车型 Classes', payload.classes.join(' ')],
      ['可驾驶 May drive', verification ? verification.mayDrive.join(' ') : '—'],
      ['有效期至 Licence valid until', payload.validUntil],
      ['状态 Status', payload.statuses.join(' ')],
      ['核验时间 Checked at', localTime(new Date(body.checkedAt))],
    ])
    return
  }
  const reasons = body.reasons.length > 0 ? ` (${body.reasons.join(', ')})` : ''
  show(false, `${reasonTexts[body.code] ?? body.message}${reasons}`, [
    ['原因 Reason', body.code],
    ['核验时间 Checked at', localTime(new Date(body.checkedAt))],
  ])
}

const main = () => {
  const form = $('verify')
  const fragmentToken = tokenFromFragment()
  if (fragmentToken) $('token-field').hidden = true
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const data = new FormData(form)
    const token = fragmentToken ?? String(data.get('token') ?? '')
    verify(String(data.get('presentation') ?? '').trim(), token)
  })
}

main()
