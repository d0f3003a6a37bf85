/**
 * Customer journeys through the real pages, the test wx and the real backend (Django on the
 * embedded default + fake WeChat login and Pay).
 */
const {backend, expiredAccessToken, follow, freshWx, open} = require('./support/harness')
const {toPay} = require('./support/flows')

let wx
beforeEach(() => {
  wx = freshWx()
})

test('log in, photograph, correct a line, pay, get the receipt, find it in My orders', async () => {
  const start = open('/pages/start/start?scene=demo')
  await start.untilText('#store-name', /智能货柜·演示店/)
  expect(wx.test.logins).toBe(1)

  await start.tap('#photograph')
  const photo = await follow(start, /\/pages\/photo\/photo\?store=demo/)
  wx.test.photos.push('basket')
  await photo.tap('#shoot')
  const cart = await follow(photo, /\/pages\/cart\/cart\?id=/)
  await cart.until(() => cart.data.lines.length === 2, 'the recognised lines')
  expect(wx.test.uploads[0].status).toBe(200)
  expect(cart.text('#total')).toBe('¥19.00') // 2 x 3.50 + 12.00, priced by the server
  expect(cart.text('#line-SKU-A')).toMatch(/可口可乐 330ml.*¥7\.00/)

  // One more bag of chips: the server reprices the cart.
  await cart.tap('#plus-SKU-B')
  await cart.untilText('#total', /¥31\.00/)
  expect(cart.text('#line-SKU-B')).toMatch(/¥24\.00/)

  await cart.tap('#checkout') // one unknown item is left: the modal asks, the customer goes on
  const pay = await follow(cart, /\/pages\/pay\/pay\?order=/)
  await pay.untilText('#amount', /¥31\.00/)
  expect(pay.text('#remaining')).toMatch(/请在 \d\d:\d\d 内完成支付/)
  await pay.tap('#pay')
  const receipt = await follow(pay, /\/pages\/receipt\/receipt\?order=/)
  await receipt.untilText('#status', /已支付/)
  // Paid because WeChat Pay told the backend: the fake's signed, encrypted notification was accepted.
  expect(wx.test.payments).toEqual([{action: 'pay', prepayId: expect.any(String), notifyStatus: 204}])
  expect(receipt.text('#total')).toBe('¥31.00')
  expect(receipt.text()).toMatch(/可口可乐 330ml × 2.*乐事薯片 原味 × 2/)
  expect(receipt.text('#paid-at')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/)

  await receipt.tap('#my-orders')
  const orders = await follow(receipt, /\/pages\/orders\/orders/)
  await orders.until(() => orders.data.orders.length === 1, 'the order in the list')
  expect(orders.text(`#order-${receipt.data.number}`)).toMatch(/已支付.*¥31\.00/)
})

test('payment cancelled in the WeChat sheet: the order stays payable and is paid on the second try', async () => {
  const pay = await toPay()
  wx.test.paymentActions.push('cancel')
  await pay.tap('#pay')
  await pay.untilText('#message', /已取消支付/)
  expect(pay.text('#pay')).toBe('再次支付')
  const api = require('../app/api')
  expect((await api.order(pay.data.id)).status).toBe('created') // the backend was told nothing

  await pay.tap('#pay')
  const receipt = await follow(pay, /\/pages\/receipt\/receipt/)
  await receipt.untilText('#status', /已支付/)
  const [cancelled, paid] = wx.test.payments
  expect(cancelled.action).toBe('cancel')
  expect(paid).toEqual({action: 'pay', prepayId: cancelled.prepayId, notifyStatus: 204}) // one WeChat order, never two
})

test('a refused payment field never reaches WeChat Pay: the sheet fails and nothing is paid', async () => {
  const pay = await toPay()
  const api = require('../app/api')
  const realPay = api.pay
  api.pay = async (id) => ({...(await realPay(id)), paySign: Buffer.from('forged').toString('base64')})
  try {
    await pay.tap('#pay')
    await pay.untilText('#message', /支付未完成/)
  } finally {
    api.pay = realPay
  }
  expect(wx.test.payments).toEqual([{action: 'refused', error: 'paySign'}])
  expect((await api.order(pay.data.id)).status).toBe('created')
})

test('a bad photo shows the backend\'s message and "try again" recognises the next one', async () => {
  const start = open('/pages/start/start')
  await start.untilText('#store-name', /演示店/)
  await start.tap('#photograph')
  const photo = await follow(start)
  wx.test.photos.push('not_a_photo')
  await photo.tap('#shoot')
  const shown = await photo.untilText('#error', /./)
  const upload = wx.test.uploads[0]
  expect(upload.status).toBe(400)
  const error = JSON.parse(upload.body).error
  expect(shown).toBe(error.fields.length === 1 ? error.fields[0].message : error.message)
  expect(photo.text('#retry')).toBe('重新拍照')

  wx.test.photos.push('basket')
  await photo.tap('#retry')
  const cart = await follow(photo, /\/pages\/cart\/cart/)
  await cart.untilText('#total', /¥19\.00/)
})

test('closing the camera is not an error', async () => {
  const photo = open('/pages/photo/photo?store=demo')
  await photo.tap('#shoot') // no photo queued: the customer closes the camera
  await new Promise((resolve) => setTimeout(resolve, 100))
  expect(photo.has('#error')).toBe(false)
  expect(photo.has('#shoot')).toBe(true)
})

test('an expired access token is refreshed with the refresh token, without a new wx.login', async () => {
  const start = open('/pages/start/start')
  await start.untilText('#store-name', /演示店/)
  const tokens = wx.getStorageSync('sc.tokens')
  wx.setStorageSync('sc.tokens', {...tokens, access: expiredAccessToken(tokens.customer)})

  const orders = open('/pages/orders/orders')
  await orders.untilText('.empty', /还没有订单/)
  const calls = wx.test.requests.map((r) => `${r.method} ${new URL(r.url).pathname} ${r.status}`)
  expect(calls.slice(-3)).toEqual(['GET /api/v1/orders 401', 'POST /api/v1/auth/refresh 200', 'GET /api/v1/orders 200'])
  expect(wx.test.logins).toBe(1)
  expect(wx.getStorageSync('sc.tokens').refresh).not.toBe(tokens.refresh) // refresh tokens are single use
})

test('a refresh token that is refused means logging in with WeChat again', async () => {
  const start = open('/pages/start/start')
  await start.untilText('#store-name', /演示店/)
  const tokens = wx.getStorageSync('sc.tokens')
  wx.setStorageSync('sc.tokens', {...tokens, access: expiredAccessToken(tokens.customer), refresh: 'not-a-token'})

  const orders = open('/pages/orders/orders')
  await orders.untilText('.empty', /还没有订单/)
  expect(wx.test.logins).toBe(2) // the same WeChat user, so the same customer
  expect(wx.getStorageSync('sc.tokens').customer).toBe(tokens.customer)
})

test('a 202 from a busy recognition worker is polled until the cart is done', async () => {
  require('../app/config').baseUrl = backend.workerServer // recognition on a real Celery worker process
  const start = open('/pages/start/start')
  await start.untilText('#store-name', /演示店/)
  await start.tap('#photograph')
  const photo = await follow(start)
  process.kill(backend.workerPid, 'SIGSTOP') // the worker is busy: the photo waits in its queue
  let resumed = false
  try {
    wx.test.photos.push('basket')
    await photo.tap('#shoot')
    await photo.untilText('#recognizing', /正在识别商品…（已等待 \d+ 次）/) // polled at least once
    expect(wx.test.uploads[0].status).toBe(202)
    process.kill(backend.workerPid, 'SIGCONT')
    resumed = true
  } finally {
    if (!resumed) process.kill(backend.workerPid, 'SIGCONT')
  }
  const cart = await follow(photo, /\/pages\/cart\/cart/)
  await cart.until(() => cart.data.lines.length, 'the cart')
  const {id, poll} = JSON.parse(wx.test.uploads[0].body)
  expect(poll).toContain(`/api/v1/checkout/recognitions/${id}`)
  const polls = wx.test.requests.filter((r) => r.method === 'GET' && r.url.endsWith(`/checkout/recognitions/${id}`))
  expect(polls.length).toBeGreaterThanOrEqual(2) // pending at least once, then done
  expect(cart.text('#total')).toBe('¥19.00')
})
