/**
 * The test wx keeps WeChat's documented contract, so the journeys prove what a phone would do:
 * these pin the parts the app relies on (against the real backend and fake WeChat Pay).
 */
const {backend, freshWx} = require('./support/harness')

let wx
beforeEach(() => {
  wx = freshWx()
})

const promised = (fn, options = {}) =>
  new Promise((resolve) => fn({...options, success: (res) => resolve({ok: true, res}), fail: (res) => resolve({ok: false, res})}))

test('wx.request succeeds for any HTTP status and parses JSON', async () => {
  const {ok, res} = await promised(wx.request, {url: `${backend.server}/api/v1/orders`})
  expect(ok).toBe(true)
  expect(res.statusCode).toBe(403)
  expect(res.data.error.status).toBe(403)
  expect(res.errMsg).toBe('request:ok')
})

test('wx.request refuses PATCH (WeChat has none) and domains not configured', async () => {
  const patch = await promised(wx.request, {url: `${backend.server}/api/v1/orders`, method: 'PATCH'})
  expect(patch.ok).toBe(false)
  expect(patch.res.errMsg).toMatch(/parameter\.method/)
  const elsewhere = await promised(wx.request, {url: `${backend.fake}/sns/jscode2session`})
  expect(elsewhere.ok).toBe(false)
  expect(elsewhere.res.errMsg).toMatch(/not in domain list/)
})

test('wx.uploadFile sends multipart with progress and answers the body as a string', async () => {
  const login = await promised(wx.request, {url: `${backend.server}/api/v1/auth/wechat/login`, method: 'POST', data: {code: 'wxtest-1'}})
  const chosen = await promised(wx.chooseMedia, {count: 1})
  expect(chosen.ok).toBe(false) // nothing queued: the customer closed the camera
  expect(chosen.res.errMsg).toBe('chooseMedia:fail cancel')
  wx.test.photos.push('basket')
  const {res: media} = await promised(wx.chooseMedia, {count: 1})
  const progress = []
  const answer = await new Promise((resolve) => {
    const task = wx.uploadFile({
      url: `${backend.server}/api/v1/checkout/recognize`,
      filePath: media.tempFiles[0].tempFilePath,
      name: 'image',
      formData: {store: 'demo'},
      header: {Authorization: `Bearer ${login.res.data.access}`},
      success: resolve,
    })
    task.onProgressUpdate((p) => progress.push(p.progress))
  })
  expect(answer.statusCode).toBe(200)
  expect(typeof answer.data).toBe('string')
  expect(JSON.parse(answer.data).lines).toHaveLength(2)
  expect(progress[progress.length - 1]).toBe(100)
})

test('wx.requestPayment checks the five JSAPI fields and the signature', async () => {
  const fields = {timeStamp: '1700000000', nonceStr: 'n', package: 'prepay_id=wx1', signType: 'RSA', paySign: 'c2ln'}
  for (const missing of ['timeStamp', 'nonceStr', 'package', 'signType', 'paySign']) {
    const {ok, res} = await promised(wx.requestPayment, {...fields, [missing]: undefined})
    expect(ok).toBe(false)
    expect(res.errMsg).toBe(`requestPayment:fail parameter error: parameter.${missing} should be String instead of Undefined`)
  }
  const number = await promised(wx.requestPayment, {...fields, timeStamp: 1700000000})
  expect(number.res.errMsg).toMatch(/timeStamp should be String instead of Number/)
  const forged = await promised(wx.requestPayment, fields)
  expect(forged.res.errMsg).toBe('requestPayment:fail 支付验证签名失败')
  expect(wx.test.payments.map((p) => p.action)).toEqual(Array(7).fill('refused'))
})

test('an API the test wx does not provide throws instead of answering ok', () => {
  expect(() => wx.getLocation({})).toThrow(/wx\.getLocation is not provided by the test wx/)
})
