/** The customer's taps from the start page to a given page, for tests that begin further on. */
const {follow, open} = require('./harness')

/** Start -> photograph the basket -> the cart page. */
async function toCart(photoName = 'basket') {
  const start = open('/pages/start/start')
  await start.untilText('#store-name', /演示店/)
  await start.tap('#photograph')
  const photo = await follow(start)
  global.wx.test.photos.push(photoName)
  await photo.tap('#shoot')
  const cart = await follow(photo, /\/pages\/cart\/cart/)
  await cart.until(() => cart.data.lines.length, 'the cart')
  return cart
}

/** ... -> the cart -> "去支付" -> the pay page with its order loaded. */
async function toPay() {
  const cart = await toCart()
  await cart.tap('#checkout')
  const pay = await follow(cart, /\/pages\/pay\/pay/)
  await pay.until(() => pay.data.number, 'the order to load')
  return pay
}

/** ... -> pay -> the receipt of the paid order. */
async function toReceipt() {
  const pay = await toPay()
  await pay.tap('#pay')
  const receipt = await follow(pay, /\/pages\/receipt\/receipt/)
  await receipt.untilText('#status', /已支付/)
  return receipt
}

module.exports = {toCart, toPay, toReceipt}
