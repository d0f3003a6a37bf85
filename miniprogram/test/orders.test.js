/** My orders (paging) and the receipt with a refund, against the real backend. */
const http = require('http')

const {backend, follow, freshWx, open} = require('./support/harness')
const {toReceipt} = require('./support/flows')

let wx
let api
beforeEach(() => {
  wx = freshWx()
  api = require('../app/api')
})

/** Staff's side of the API (HTTP Basic): what the back office does. */
function asStaff(method, path, body) {
  const [user, password] = backend.staff
  const data = Buffer.from(JSON.stringify(body || {}))
  return new Promise((resolve, reject) => {
    const req = http.request(`${backend.server}/api/v1${path}`, {
      method,
      headers: {'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`, 'Content-Length': data.length},
    }, (res) => {
      let text = ''
      res.on('data', (c) => (text += c))
      res.on('end', () => resolve({status: res.statusCode, body: text ? JSON.parse(text) : null}))
    })
    req.on('error', reject)
    req.end(data)
  })
}

function post(url) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {method: 'POST'}, (res) => {
      let text = ''
      res.on('data', (c) => (text += c))
      res.on('end', () => resolve({status: res.statusCode, body: JSON.parse(text)}))
    })
    req.on('error', reject)
    req.end()
  })
}

test('My orders shows ten a page, newest first, and loads more', async () => {
  await api.ensureLogin()
  const made = []
  for (let i = 0; i < 12; i++) {
    const order = await new Promise((resolve, reject) =>
      wx.request({
        url: `${backend.server}/api/v1/orders`,
        method: 'POST',
        data: {store: 'demo', lines: [{sku: 'SKU-C', quantity: i + 1}]},
        header: {Authorization: `Bearer ${api.savedTokens().access}`},
        success: (res) => (res.statusCode === 201 ? resolve(res.data) : reject(new Error(JSON.stringify(res.data)))),
        fail: reject,
      }),
    )
    made.push(order)
  }
  const page = open('/pages/orders/orders')
  await page.until(() => page.data.orders.length === 10, 'the first page')
  expect(page.data.orders[0].id).toBe(made[11].id) // newest first
  expect(page.text(`#order-${page.data.orders[0].number}`)).toMatch(/待支付.*农夫山泉 550ml×12.*¥24\.00/)
  await page.tap('#more')
  await page.untilText('.end', /没有更多订单了/)
  expect(page.data.orders.map((o) => o.id)).toEqual(made.map((o) => o.id).reverse())
  expect(page.has('#more')).toBe(false)

  await page.tap(`#order-${page.data.orders[0].number}`) // an unpaid order opens its pay page
  const pay = await follow(page, /\/pages\/pay\/pay\?order=/)
  await pay.untilText('#amount', /¥24\.00/)
})

test('the receipt shows a refund once WeChat Pay has settled it', async () => {
  const receipt = await toReceipt()
  const id = receipt.data.id
  const refund = await asStaff('POST', `/orders/${id}/refunds`, {amount_fen: 100, reason: '少找零'})
  expect(refund.status).toBe(201)
  const settled = await post(`${backend.fake}/_fake/refunds/${refund.body.out_refund_no}/settle`)
  expect(settled.body.notify_status).toBe(204) // WeChat Pay's signed refund notification, accepted

  const again = open(`/pages/receipt/receipt?order=${id}`)
  await again.untilText('#status', /部分退款/)
  expect(again.text('#total')).toBe('¥19.00')
  expect(again.text('#refunded')).toBe('¥1.00')
  expect(again.text('#net')).toBe('¥18.00')
  expect(again.text('.refund')).toMatch(/退款 ¥1\.00 已退款 少找零/)
})
