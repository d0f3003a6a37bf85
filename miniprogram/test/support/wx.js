/**
 * A test `wx` that behaves as WeChat documents it, talking real HTTP to the real backend.
 *
 * It replaces miniprogram-simulate's canned `wx` (which answers "ok" to everything) completely:
 * an API the app calls that is not here throws, so no test can pass without the backend.
 *
 * - wx.request succeeds for ANY HTTP status (only a network failure calls fail), parses JSON
 *   bodies, refuses methods WeChat does not have (PATCH) and domains not configured.
 * - wx.uploadFile sends real multipart/form-data with progress events and answers the body as a
 *   STRING, as WeChat does.
 * - wx.chooseMedia hands out fixture photos as temp files (wxfile://tmp_...), or is cancelled.
 * - wx.requestPayment checks the five JSAPI fields (timeStamp, nonceStr, package, signType,
 *   paySign), verifies paySign with the merchant's public key as WeChat does, then pays at the
 *   fake WeChat Pay (which sends its signed, encrypted notification to the backend), or cancels.
 * - wx.login gives codes the fake's code2session accepts (`user-n`: one user per prefix).
 */
const crypto = require('crypto')
const fs = require('fs')
const http = require('http')
const path = require('path')

const PAY_FIELDS = ['timeStamp', 'nonceStr', 'package', 'signType', 'paySign']
const METHODS = ['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'CONNECT']

/** @param {Function | undefined} fn @param {any} value */
function call(fn, value) {
  if (typeof fn === 'function') fn(value)
}

/**
 * Run a wx-style async API: callbacks (success/fail/complete) or, with none given, a promise.
 * @param {any} options
 * @param {(ok: (res: any) => void, fail: (res: any) => void) => void} body
 */
function wxAsync(options, body) {
  const opts = options || {}
  const settle = (/** @type {boolean} */ ok, /** @type {any} */ res) =>
    setTimeout(() => {
      call(ok ? opts.success : opts.fail, res)
      call(opts.complete, res)
    }, 0)
  const promised = !opts.success && !opts.fail && !opts.complete
  if (!promised) {
    body(
      (res) => settle(true, res),
      (res) => settle(false, res),
    )
    return undefined
  }
  return new Promise((resolve, reject) => body(resolve, reject))
}

/** @param {string} type @param {any} value */
function typeName(value) {
  if (value === undefined) return 'Undefined'
  if (value === null) return 'Null'
  return Object.prototype.toString.call(value).slice(8, -1)
}

/**
 * @param {{appId: string, server: string, workerServer?: string, fake: string, merchantPublicKeyFile: string, photos: Record<string, string>}} backend
 */
function createWx(backend) {
  const merchantKey = crypto.createPublicKey(fs.readFileSync(backend.merchantPublicKeyFile))
  // The request/uploadFile domains configured for the mini-program.
  const allowedOrigins = [backend.server, backend.workerServer].filter(Boolean).map((url) => new URL(url).origin)
  const state = {
    user: 'shopper',
    logins: 0,
    storage: new Map(),
    /** temp path -> real file */
    files: new Map(),
    /** what the next wx.chooseMedia gives: fixture names; empty = the customer closes the camera */
    photos: /** @type {string[]} */ ([]),
    /** what the customer does on the next payment sheets: pay | cancel | fail */
    paymentActions: /** @type {string[]} */ ([]),
    scans: /** @type {string[]} */ ([]),
    modalAnswers: /** @type {boolean[]} */ ([]),
    /** records, for assertions */
    requests: /** @type {Array<{method: string, url: string, status: number}>} */ ([]),
    uploads: /** @type {Array<{url: string, status: number, bytes: number, progress: number[], body: string}>} */ ([]),
    payments: /** @type {Array<{action: string, prepayId?: string, notifyStatus?: number | null, error?: string}>} */ ([]),
    navigations: /** @type {Array<{how: string, url: string}>} */ ([]),
    modals: /** @type {any[]} */ ([]),
    toasts: /** @type {any[]} */ ([]),
  }

  /** @param {string} url */
  function checkDomain(url) {
    let origin
    try {
      origin = new URL(url).origin
    } catch (err) {
      return `invalid url "${url}"`
    }
    return allowedOrigins.includes(origin) ? '' : `url not in domain list: ${origin}`
  }

  /**
   * One HTTP exchange with progress on the body; resolves for every status.
   * @param {string} method @param {string} url @param {Record<string, string>} headers @param {Buffer} body
   * @param {{timeout?: number, onProgress?: (sent: number, total: number) => void}} [opts]
   * @returns {Promise<{status: number, headers: Record<string, any>, text: string}>}
   */
  function exchange(method, url, headers, body, opts = {}) {
    return new Promise((resolve, reject) => {
      // A fresh connection per call: reusing an idle keep-alive socket races the server closing it.
      const options = {method, agent: false, headers: {...headers, 'Content-Length': String(body.length)}}
      const req = http.request(url, options, (res) => {
        const chunks = /** @type {Buffer[]} */ ([])
        res.on('data', (chunk) => chunks.push(chunk))
        res.on('end', () =>
          resolve({status: res.statusCode || 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8')}),
        )
        res.on('error', reject)
      })
      req.setTimeout(opts.timeout || 60000, () => req.destroy(new Error('timeout')))
      req.on('error', reject)
      const step = 16 * 1024
      for (let sent = 0; sent < body.length; sent += step) {
        req.write(body.subarray(sent, sent + step))
        if (opts.onProgress) opts.onProgress(Math.min(sent + step, body.length), body.length)
      }
      if (!body.length && opts.onProgress) opts.onProgress(0, 0)
      req.end()
    })
  }

  /** @param {Record<string, string> | undefined} header */
  function headersOf(header) {
    /** @type {Record<string, string>} */
    const out = {}
    Object.entries(header || {}).forEach(([k, v]) => {
      if (k.toLowerCase() !== 'referer') out[k] = String(v) // WeChat sets Referer itself
    })
    out.Referer = `https://servicewechat.com/${backend.appId}/devtools/page-frame.html`
    return out
  }

  /** @param {string} file */
  function tempFileFor(file) {
    const temp = `wxfile://tmp_${crypto.randomBytes(8).toString('hex')}${path.extname(file)}`
    state.files.set(temp, file)
    return temp
  }

  const api = {
    // --- base
    getAccountInfoSync: () => ({miniProgram: {appId: backend.appId, envVersion: 'develop', version: ''}}),

    // --- storage (kept as copies, as WeChat serialises what it stores)
    /** @param {string} key */
    getStorageSync: (key) => (state.storage.has(key) ? JSON.parse(state.storage.get(key)) : ''),
    /** @param {string} key @param {any} value */
    setStorageSync: (key, value) => {
      state.storage.set(key, JSON.stringify(value))
    },
    /** @param {string} key */
    removeStorageSync: (key) => {
      state.storage.delete(key)
    },
    clearStorageSync: () => state.storage.clear(),

    // --- login
    /** @param {any} options */
    login: (options) =>
      wxAsync(options, (ok) => {
        state.logins += 1
        ok({code: `${state.user}-${state.logins}`, errMsg: 'login:ok'})
      }),

    // --- network
    /** @param {any} options */
    request(options) {
      const method = String(options.method || 'GET').toUpperCase()
      const task = {abort() {}, onHeadersReceived() {}, offHeadersReceived() {}}
      wxAsync(options, (ok, fail) => {
        if (!METHODS.includes(method)) {
          return fail({errMsg: `request:fail parameter error: parameter.method should be one of ${METHODS.join(', ')}`})
        }
        const refused = checkDomain(options.url)
        if (refused) return fail({errMsg: `request:fail ${refused}`})
        const headers = headersOf(options.header)
        let url = options.url
        let body = Buffer.alloc(0)
        const type = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')
        if (options.data !== undefined && options.data !== null) {
          if (method === 'GET') {
            const params = new URLSearchParams(typeof options.data === 'object' ? options.data : {})
            const query = params.toString()
            if (query) url += (url.includes('?') ? '&' : '?') + query
          } else if (typeof options.data === 'string' || Buffer.isBuffer(options.data)) {
            body = Buffer.from(options.data)
          } else if (type && /x-www-form-urlencoded/.test(type[1])) {
            body = Buffer.from(new URLSearchParams(options.data).toString())
          } else {
            body = Buffer.from(JSON.stringify(options.data))
          }
        }
        if (!type) headers['content-type'] = 'application/json'
        exchange(method, url, headers, body, {timeout: options.timeout})
          .then((res) => {
            state.requests.push({method, url, status: res.status})
            let data = res.text
            if ((options.dataType || 'json') === 'json') {
              try {
                data = JSON.parse(res.text)
              } catch (err) {
                // WeChat hands the text over when it is not JSON
              }
            }
            ok({data, statusCode: res.status, header: res.headers, cookies: [], errMsg: 'request:ok'})
          })
          .catch((err) => fail({errMsg: `request:fail ${err.message}`, errno: 600001}))
      })
      return task
    },

    /** @param {any} options */
    uploadFile(options) {
      const listeners = /** @type {Array<(res: any) => void>} */ ([])
      const record = {url: options.url, status: 0, bytes: 0, progress: /** @type {number[]} */ ([]), body: ''}
      const task = {
        /** @param {(res: any) => void} cb */
        onProgressUpdate: (cb) => listeners.push(cb),
        offProgressUpdate: () => listeners.splice(0),
        abort() {},
        onHeadersReceived() {},
        offHeadersReceived() {},
      }
      // The task is returned first, so listeners are attached before any byte is sent.
      setTimeout(() => {
        const fail = (/** @type {string} */ msg) => {
          const res = {errMsg: `uploadFile:fail ${msg}`}
          call(options.fail, res)
          call(options.complete, res)
        }
        const refused = checkDomain(options.url)
        if (refused) return fail(refused)
        const file = state.files.get(options.filePath)
        if (!file) return fail(`file not found: ${options.filePath}`)
        if (!options.name) return fail('parameter error: parameter.name should be String instead of Undefined')
        const boundary = `----WeChatFormBoundary${crypto.randomBytes(12).toString('hex')}`
        const parts = /** @type {Buffer[]} */ ([])
        Object.entries(options.formData || {}).forEach(([name, value]) => {
          parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`))
        })
        const type = /\.png$/i.test(file) ? 'image/png' : 'image/jpeg'
        parts.push(
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="${options.name}"; ` +
              `filename="${path.basename(options.filePath)}"\r\nContent-Type: ${type}\r\n\r\n`,
          ),
          fs.readFileSync(file),
          Buffer.from(`\r\n--${boundary}--\r\n`),
        )
        const body = Buffer.concat(parts)
        const headers = {...headersOf(options.header), 'Content-Type': `multipart/form-data; boundary=${boundary}`}
        state.uploads.push(record)
        exchange('POST', options.url, headers, body, {
          timeout: options.timeout,
          onProgress: (sent, total) => {
            const progress = total ? Math.round((100 * sent) / total) : 100
            record.progress.push(progress)
            listeners.forEach((cb) =>
              cb({progress, totalBytesSent: sent, totalBytesExpectedToSend: total}),
            )
          },
        })
          .then((res) => {
            record.status = res.status
            record.bytes = body.length
            record.body = res.text
            const answer = {data: res.text, statusCode: res.status, errMsg: 'uploadFile:ok'} // data is a string
            call(options.success, answer)
            call(options.complete, answer)
          })
          .catch((err) => fail(err.message))
      }, 0)
      return task
    },

    // --- media
    /** @param {any} options */
    chooseMedia: (options) =>
      wxAsync(options, (ok, fail) => {
        const count = options.count === undefined ? 9 : options.count
        if (typeof count !== 'number' || count < 1 || count > 20) {
          return fail({errMsg: 'chooseMedia:fail parameter error: count should be between 1 and 20'})
        }
        const name = state.photos.shift()
        if (!name) return fail({errMsg: 'chooseMedia:fail cancel'})
        const file = backend.photos[name]
        if (!file) throw new Error(`no fixture photo "${name}"`)
        const source = (options.sourceType || ['album', 'camera'])[0]
        ok({
          type: 'image',
          tempFiles: [{tempFilePath: tempFileFor(file), size: fs.statSync(file).size, fileType: 'image'}],
          errMsg: 'chooseMedia:ok',
          source,
        })
      }),

    /** @param {any} options */
    scanCode: (options) =>
      wxAsync(options, (ok, fail) => {
        const code = state.scans.shift()
        if (!code) return fail({errMsg: 'scanCode:fail cancel'})
        ok({result: code, scanType: 'EAN_13', charSet: 'UTF-8', errMsg: 'scanCode:ok'})
      }),

    // --- payment
    /** @param {any} options */
    requestPayment: (options) =>
      wxAsync(options, (ok, fail) => {
        for (const field of PAY_FIELDS) {
          if (typeof options[field] !== 'string' || !options[field]) {
            const error = `requestPayment:fail parameter error: parameter.${field} should be String instead of ${typeName(options[field])}`
            state.payments.push({action: 'refused', error})
            return fail({errMsg: error})
          }
        }
        if (!/^prepay_id=.+/.test(options.package) || options.signType !== 'RSA') {
          state.payments.push({action: 'refused', error: 'package/signType'})
          return fail({errMsg: 'requestPayment:fail 支付参数错误'})
        }
        const message = `${backend.appId}\n${options.timeStamp}\n${options.nonceStr}\n${options.package}\n`
        const valid = crypto.verify('sha256', Buffer.from(message), merchantKey, Buffer.from(options.paySign, 'base64'))
        if (!valid) {
          state.payments.push({action: 'refused', error: 'paySign'})
          return fail({errMsg: 'requestPayment:fail 支付验证签名失败'})
        }
        const action = state.paymentActions.shift() || 'pay'
        const prepayId = options.package.slice('prepay_id='.length)
        if (action === 'cancel') {
          state.payments.push({action, prepayId})
          return fail({errMsg: 'requestPayment:fail cancel'})
        }
        if (action === 'fail') {
          state.payments.push({action, prepayId})
          return fail({errMsg: 'requestPayment:fail 余额不足'})
        }
        // The customer confirms in WeChat: WeChat Pay charges and notifies our server.
        exchange('POST', `${backend.fake}/_fake/prepay/${encodeURIComponent(prepayId)}/pay`, {}, Buffer.alloc(0))
          .then((res) => {
            const body = JSON.parse(res.text)
            state.payments.push({action, prepayId, notifyStatus: body.notify_status})
            if (res.status !== 200) return fail({errMsg: `requestPayment:fail ${body.message || res.status}`})
            ok({errMsg: 'requestPayment:ok'})
          })
          .catch((err) => fail({errMsg: `requestPayment:fail ${err.message}`}))
      }),

    // --- interface
    /** @param {any} options */
    showModal: (options) =>
      wxAsync(options, (ok) => {
        state.modals.push(options)
        const confirm = state.modalAnswers.length ? Boolean(state.modalAnswers.shift()) : true
        ok({confirm, cancel: !confirm, errMsg: 'showModal:ok'})
      }),
    /** @param {any} options */
    showToast: (options) => wxAsync(options, (ok) => (state.toasts.push(options), ok({errMsg: 'showToast:ok'}))),
    /** @param {any} options */
    showLoading: (options) => wxAsync(options, (ok) => ok({errMsg: 'showLoading:ok'})),
    /** @param {any} options */
    hideLoading: (options) => wxAsync(options, (ok) => ok({errMsg: 'hideLoading:ok'})),
    /** @param {any} options */
    stopPullDownRefresh: (options) => wxAsync(options, (ok) => ok({errMsg: 'stopPullDownRefresh:ok'})),

    // --- navigation: recorded; the test's router opens the page
    /** @param {any} options */
    navigateTo: (options) => navigate('navigateTo', options),
    /** @param {any} options */
    redirectTo: (options) => navigate('redirectTo', options),
    /** @param {any} options */
    reLaunch: (options) => navigate('reLaunch', options),
    /** @param {any} options */
    navigateBack: (options) => navigate('navigateBack', {url: '', ...options}),
  }

  /** @param {string} how @param {any} options */
  function navigate(how, options) {
    return wxAsync(options, (ok, fail) => {
      if (how !== 'navigateBack' && !/^\/pages\/[a-z]+\/[a-z]+(\?.*)?$/.test(options.url)) {
        return fail({errMsg: `${how}:fail page "${options.url}" is not found`})
      }
      state.navigations.push({how, url: options.url})
      ok({errMsg: `${how}:ok`})
    })
  }

  const wx = new Proxy(api, {
    get(target, name) {
      if (name === 'test') return state
      if (typeof name === 'symbol' || name in target) return /** @type {any} */ (target)[name]
      throw new Error(`wx.${String(name)} is not provided by the test wx: add it (as WeChat documents it) or do not use it`)
    },
  })
  return wx
}

module.exports = {createWx}
