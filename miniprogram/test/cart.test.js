/**
 * The cart page against real recognitions: the stepper, the alternatives offered on unsure
 * boxes, and unknown items (pick by search or barcode, or remove).  Every number on screen is
 * the server's answer to the change.
 *
 * The basket photo gives (tiny in-test models, fixed boxes): 可口可乐 x2 (unsure: its boxes look
 * like 百事可乐 too), 乐事薯片 x1, and one item the gallery does not know (农夫山泉 has no photo).
 */
const {freshWx, open} = require('./support/harness')

let wx
let api
beforeEach(() => {
  wx = freshWx()
  api = require('../app/api')
})

/** A real recognition of the basket, then the cart page opened on it. */
async function cart() {
  const [file] = await new Promise((resolve) => {
    wx.test.photos.push('basket')
    wx.chooseMedia({count: 1, success: (res) => resolve(res.tempFiles.map((f) => f.tempFilePath))})
  })
  const recognition = await api.recognize(file, 'demo')
  const page = open(`/pages/cart/cart?id=${recognition.id}`)
  await page.until(() => page.data.lines.length === 2, 'the cart')
  return page
}

const skus = (page) => page.data.lines.map((l) => `${l.sku} x${l.quantity}`).sort()

test('shows each line with name, unit price, quantity and subtotal, the boxes on the photo, and the total', async () => {
  const page = await cart()
  expect(page.text('#line-SKU-A')).toMatch(/^可口可乐 330ml请确认¥7\.00单价 ¥3\.50－2＋删除/)
  expect(page.text('#line-SKU-B')).toBe('乐事薯片 原味¥12.00单价 ¥12.00－1＋删除')
  expect(page.text('#total')).toBe('¥19.00')
  expect(page.disabled('#checkout')).toBe(false)
  const frames = page.data.frames.map((f) => f.kind).sort()
  expect(frames).toEqual(['sure', 'unknown', 'unsure', 'unsure'])
  expect(page.all('.box')).toHaveLength(4)
  expect(page.all('.box-unknown')).toHaveLength(1)
})

test('the stepper changes quantities on the server, and down to zero removes the line', async () => {
  const page = await cart()
  await page.tap('#plus-SKU-A')
  await page.untilText('#total', /¥22\.50/)
  expect(page.text('#line-SKU-A')).toMatch(/¥10\.50单价 ¥3\.50－3＋/)
  await page.tap('#minus-SKU-B')
  await page.until(() => !page.has('#line-SKU-B'), 'the chips line to go')
  expect(page.text('#total')).toBe('¥10.50')
  await page.tap('#remove-SKU-A')
  await page.untilText('.empty', /没有识别到商品/)
  expect(page.text('#total')).toBe('¥0.00')
  expect(page.disabled('#checkout')).toBe(true)
  const saved = await api.recognition(page.data.id) // the server's cart, not just the page
  expect(saved.lines).toEqual([])
})

test('an unsure box offers its alternatives; choosing one moves that item to the right product', async () => {
  const page = await cart()
  const box = page.data.lines.find((l) => l.sku === 'SKU-A').boxes[0]
  expect(box.choices.map((c) => c.name)).toContain('百事可乐 330ml')
  expect(page.text(`#choose-${box.id}-SKU-A2`)).toBe('百事可乐 330ml ¥3.00')
  await page.tap(`#choose-${box.id}-SKU-A2`)
  await page.until(() => page.data.lines.length === 3, 'the new line')
  expect(skus(page)).toEqual(['SKU-A x1', 'SKU-A2 x1', 'SKU-B x1'])
  expect(page.text('#total')).toBe('¥18.50') // 3.50 + 3.00 + 12.00
  expect(page.has(`#choose-${box.id}-SKU-A2`)).toBe(false) // a chosen box is settled
})

test('an unknown item can be picked by searching for the product', async () => {
  const page = await cart()
  const [unknown] = page.data.unknown
  expect(page.text(`#unknown-${unknown.id}`)).toMatch(/未识别 1/)
  await page.tap(`#pick-${unknown.id}`)
  await page.input('#search-input', '农夫')
  await page.tap('#search')
  await page.untilText(`#result-SKU-C`, /农夫山泉 550ml¥2\.00/)
  await page.tap('#result-SKU-C')
  await page.until(() => !page.data.unknown.length, 'the unknown item to be settled')
  expect(skus(page)).toEqual(['SKU-A x2', 'SKU-B x1', 'SKU-C x1'])
  expect(page.text('#total')).toBe('¥21.00')
})


test('an unknown item can be picked by scanning its barcode', async () => {
  const page = await cart()
  const [unknown] = page.data.unknown
  await page.tap(`#pick-${unknown.id}`)
  wx.test.scans.push('6900000000042')
  await page.tap('#scan')
  await page.until(() => !page.data.unknown.length, 'the unknown item to be settled')
  expect(skus(page)).toEqual(['SKU-A x2', 'SKU-B x1', 'SKU-C x1'])
})


test('an unknown item can be removed', async () => {
  const page = await cart()
  const [unknown] = page.data.unknown
  await page.tap(`#remove-box-${unknown.id}`)
  await page.until(() => !page.has(`#unknown-${unknown.id}`), 'the unknown item to go')
  expect(page.text('#total')).toBe('¥19.00')
  expect((await api.recognition(page.data.id)).unknown).toEqual([])
})

test('a missed item is added by searching', async () => {
  const page = await cart()
  await page.tap('#add')
  await page.input('#search-input', 'SKU-A2')
  await page.tap('#search')
  await page.untilText('#result-SKU-A2', /百事可乐/)
  await page.tap('#result-SKU-A2')
  await page.until(() => page.data.lines.length === 3, 'the added line')
  expect(page.text('#total')).toBe('¥22.00')
})

test('with an unknown item left, paying asks first; "go back" keeps the cart', async () => {
  const page = await cart()
  wx.test.modalAnswers.push(false)
  await page.tap('#checkout')
  await page.until(() => wx.test.modals.length === 1, 'the question')
  expect(wx.test.modals[0].title).toBe('还有未识别的商品')
  await new Promise((resolve) => setTimeout(resolve, 100))
  expect(wx.test.navigations).toEqual([])
  expect((await api.recognition(page.data.id)).order).toBeNull()
})

test('a refused change shows the backend\'s message and leaves the cart as the server has it', async () => {
  const page = await cart()
  await api.setQuantity(page.data.id, 'SKU-B', 999) // the most one order line holds (another phone, say)
  await page.comp.instance.load()
  await page.tap('#plus-SKU-B')
  await page.untilText('#error', /999/)
  expect((await api.recognition(page.data.id)).lines.find((l) => l.sku === 'SKU-B').quantity).toBe(999)
})
