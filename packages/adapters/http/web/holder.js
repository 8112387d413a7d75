// The holder's live e-licence (the seed: shown live with the current time; a screenshot is not
// valid). It reads `licence` and `token` from the URL fragment, which never reaches a server, then
// polls the licence's view and, while the e-licence is issued, shows a QR code of a freshly signed
// presentation, re-issued before it expires. Black when the status is normal, red when abnormal.

import { localTime } from './local-time.js'

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
  const licence = fragment.get('licence') ?? sessionStorage.getItem('licence')
  const token = fragment.get('token') ?? sessionStorage.getItem('token')
  if (licence && token) {
    sessionStorage.setItem('licence', licence)
    sessionStorage.setItem('token', token)
    return { licence, token }
  }
  return null
}

const api = async (method, path, token) => {
  const response = await fetch(path, { method, headers: { authorization: `Bearer ${token}` } })
  const body = await response.json().catch(() => null)
  return { status: response.status, body }
}

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

let presentationTimer
let presenting = false

const hidePresentation = () => {
  clearTimeout(presentationTimer)
  presenting = false
  $('presentation').hidden = true
  $('qr').removeAttribute('src')
  $('presentation-text').value = ''
}

/**
 * Signs a fresh presentation and schedules the next one at three quarters of its lifetime, measured
 * by the server's own validity window, so a clock difference with the server does not matter.
 */
const present = async ({ licence, token }) => {
  clearTimeout(presentationTimer)
  const { status, body } = await api('POST', `/licences/${encodeURIComponent(licence)}/presentations`, token)
  if (status !== 201) {
    // Tried again with the next refresh of the view, which also shows why (say, now expired).
    hidePresentation()
    const reasons = body?.error?.reasons?.join(', ')
    showProblem(`No code can be shown now${reasons ? `: ${reasons}` : ''}. ${body?.error?.message ?? ''}`)
    return
  }
  presenting = true
  const { validFrom, validUntil } = body.payload.presentation
  const lifetimeMs = Date.parse(validUntil) - Date.parse(validFrom)
  $('qr').src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(body.qrSvg)}`
  $('presentation-text').value = body.presentation
  $('presentation-expiry').textContent = `Code valid until ${localTime(new Date(validUntil))}`
  $('presentation').hidden = false
  presentationTimer = setTimeout(() => present({ licence, token }), Math.max(1000, lifetimeMs * 0.75))
}

const refresh = async (auth) => {
  const { status, body } = await api('GET', `/licences/${encodeURIComponent(auth.licence)}`, auth.token)
  if (status !== 200) {
    hidePresentation()
    showProblem(
      status === 401 || status === 403
        ? 'This token may not show this licence.'
        : (body?.error?.message ?? `the server answered ${status}`),
    )
    return
  }
  showProblem('')
  renderView(body)
  if (body.state === 'issued' && !presenting) await present(auth)
  if (body.state !== 'issued') hidePresentation()
}

const main = () => {
  const auth = credentials()
  if (auth === null) {
    const form = $('sign-in')
    form.hidden = false
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      const data = new FormData(form)
      location.hash = new URLSearchParams({
        licence: data.get('licence'),
        token: data.get('token'),
      }).toString()
      location.reload()
    })
    return
  }
  $('licence').hidden = false
  startClock()
  refresh(auth)
  setInterval(() => refresh(auth), viewRefreshMs)
}

main()
