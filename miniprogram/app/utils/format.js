/** Display helpers.  Amounts arrive as integer fen from the server and are only ever shown. */

/** @param {number} fen @returns {string} e.g. ¥12.50 */
function yuan(fen) {
  const sign = fen < 0 ? '-' : ''
  const abs = Math.abs(fen)
  return `${sign}¥${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}

/** @param {number} n */
const two = (n) => String(n).padStart(2, '0')

/** @param {string | null | undefined} iso @returns {string} local time, e.g. 2026-12-02 14:05 */
function dateTime(iso) {
  if (!iso) return ''
  const d = new Date(iso)
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`
}

/** @param {number} seconds @returns {string} mm:ss */
function countdown(seconds) {
  const s = Math.max(0, Math.floor(seconds))
  return `${two(Math.floor(s / 60))}:${two(s % 60)}`
}

/** @type {Record<string, string>} */
const ORDER_STATUS = {
  created: '待支付',
  paid: '已支付',
  partially_refunded: '部分退款',
  refunded: '已退款',
  closed: '已关闭',
}

/** @type {Record<string, string>} */
const REFUND_STATE = {
  pending: '退款中',
  processing: '退款中',
  succeeded: '已退款',
  failed: '退款失败',
  closed: '已关闭',
}

/** @param {string} status */
const orderStatus = (status) => ORDER_STATUS[status] || status

/** @param {string} state */
const refundState = (state) => REFUND_STATE[state] || state

/** A short order number for people: the first 8 hex digits of the order's UUID, upper case. @param {string} id */
const orderNumber = (id) => id.replace(/-/g, '').slice(0, 8).toUpperCase()

module.exports = {countdown, dateTime, orderNumber, orderStatus, refundState, yuan}
