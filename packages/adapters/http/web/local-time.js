// The time shown on both pages: the licence authority's local time (Asia/Shanghai) whatever the
// phone's time zone, as YYYY-MM-DD HH:MM:SS, so a holder and a verifier in different zones read the
// same clock.
//
// Example: localTime(new Date('2026-10-16T02:00:00Z')) === '2026-10-16 10:00:00'

const shanghai = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
})

export const localTime = (date) => shanghai.format(date).replaceAll('/', '-')
