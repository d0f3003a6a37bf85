/**
 * Customer journeys through the real pages, the test wx and the real backend (Django on the
 * embedded default + fake WeChat login and Pay).
 */
const {backend, follow, freshWx, open} = require('./support/harness')

let wx
beforeEach(() => {
  wx = freshWx()
})

test('log in, photograph, correct a line, pay, get the receipt, find it in My orders', async () => {
  const start = open('/pages/start/start?scene=demo')
  await start.untilText('#store-name', /智能货柜·演示店/)
  expect(wx.test.logins).toBe(1)

  start.tap('#photograph')
  const photo = await follow(start, /\/pages\/photo\/photo\?store=demo/)
  wx.test.photos.push('basket')
  photo.tap('#shoot')
  const cart = await follow(photo, /\/pages\/cart\/cart\?id=/)
  await cart.until(() => cart.data.lines.length === 2, 'the recognised lines')
  expect(wx.test.uploads[0].status).toBe(200)
  expect(cart.text('#total')).toBe('¥19.00') // 2 x 3.50 + 12.00, priced by the server
  expect(cart.text('#line-SKU-A')).toMatch(/可口可乐 330ml.*¥7\.00/)

  // One more bag of chips: the server reprices the cart.
  cart.tap('#plus-SKU-B')
  await cart.untilText('#total', /¥31\.00/)
  expect(cart.text('#line-SKU-B')).toMatch(/¥24\.00/)

  cart.tap('#checkout') // one unknown item is left: the modal asks, the customer goes on
  const pay = await follow(cart, /\/pages\/pay\/pay\?order=/)
  await pay.untilText('#amount', /¥31\.00/)
  expect(pay.text('#remaining')).toMatch(/请在 \d\d:\d\d 内完成支付/)
  pay.tap('#pay')
  const receipt = await follow(pay, /\/pages\/receipt\/receipt\?order=/)
  await receipt.untilText('#status', /已支付/)
  // Paid because WeChat Pay told the backend: the fake's signed, encrypted notification was accepted.
  expect(wx.test.payments).toEqual([{action: 'pay', notifyStatus: 204}])
  expect(receipt.text('#total')).toBe('¥31.00')
  expect(receipt.text()).toMatch(/可口可乐 330ml × 2.*乐事薯片 原味 × 2/)
  expect(receipt.text('#paid-at')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/)

  receipt.tap('#my-orders')
  const orders = await follow(receipt, /\/pages\/orders\/orders/)
  await orders.until(() => orders.data.orders.length === 1, 'the order in the list')
  expect(orders.text(`#order-${receipt.data.number}`)).toMatch(/已支付.*¥31\.00/)
})
