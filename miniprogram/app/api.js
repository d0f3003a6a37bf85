/**
 * The one module that talks to the Smart Container backend: base URL, our tokens (kept in
 * storage, refreshed with the single-use refresh token, or a new wx.login when that fails),
 * and the project's one error shape {error: {status, code, message, fields}}.
 *
 * wx.request "succeeds" for every HTTP status: the status is checked here, and any 4xx/5xx
 * becomes an ApiError carrying the backend's own message, which the pages show as it is.
 * Prices are never computed here: every cart change goes to the server, which answers the
 * repriced cart.
 */
const config = require('./config')

const TOKENS_KEY = 'sc.tokens'
const STORE_KEY = 'sc.store'
const NETWORK_MESSAGE = '网络不可用，请检查网络后重试'
const AUTH_CODES = ['token_expired', 'token_invalid', 'not_authenticated', 'authentication_failed']

/**
 * @typedef {{access: string, refresh: string, expires_in: number, customer: number}} Tokens
 * @typedef {{status: number, data: any}} Answer
 * @typedef {{path: string, method?: 'GET' | 'POST' | 'PUT' | 'DELETE', data?: any, auth?: boolean}} Call
 */

class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0: no answer)
   * @param {string} code the backend's error code
   * @param {string} message what to show the customer
   * @param {Array<{field: string, code: string, message: string}>} [fields]
   */
  constructor(status, code, message, fields) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.fields = fields || []
  }
}

/**
 * The ApiError for an answer in the error shape (or anything else a proxy may send).
 * @param {number} status
 * @param {any} body
 */
function errorOf(status, body) {
  const error = body && typeof body === 'object' ? body.error : null
  if (!error) return new ApiError(status, 'http_' + status, `服务暂时不可用（${status}），请稍后重试`)
  const fields = Array.isArray(error.fields) ? error.fields : []
  // One field at fault: its own message reads better than "field: message".
  const message = fields.length === 1 && fields[0].message ? fields[0].message : error.message
  return new ApiError(status, error.code || 'error', message || `请求失败（${status}）`, fields)
}

/** @param {string} path */
function urlOf(path) {
  return /^https?:\/\//.test(path) ? path : `${config.baseUrl.replace(/\/$/, '')}/api/v1${path}`
}

/** @returns {Tokens | null} */
function savedTokens() {
  const tokens = wx.getStorageSync(TOKENS_KEY)
  return tokens && tokens.access ? tokens : null
}

/** @param {Tokens | null} tokens */
function saveTokens(tokens) {
  if (tokens) wx.setStorageSync(TOKENS_KEY, tokens)
  else wx.removeStorageSync(TOKENS_KEY)
}

/**
 * One wx.request as a promise; resolves for every HTTP status, rejects only with no answer.
 * @param {string} url
 * @param {Call} call
 * @param {string} [access]
 * @returns {Promise<Answer>}
 */
function send(url, call, access) {
  /** @type {Record<string, string>} */
  const header = {'content-type': 'application/json'}
  if (access) header.Authorization = `Bearer ${access}`
  return new Promise((resolve, reject) => {
    wx.request({
      url,
      method: call.method || 'GET',
      data: call.data,
      header,
      timeout: config.requestTimeoutMs,
      success: (res) => resolve({status: res.statusCode, data: res.data}),
      fail: () => reject(new ApiError(0, 'network', NETWORK_MESSAGE)),
    })
  })
}

/** @returns {Promise<string>} a wx.login code */
function wxLoginCode() {
  return new Promise((resolve, reject) => {
    wx.login({
      success: (res) => (res.code ? resolve(res.code) : reject(new ApiError(0, 'wx_login', '微信登录失败，请重试'))),
      fail: () => reject(new ApiError(0, 'wx_login', '微信登录失败，请重试')),
    })
  })
}

/** @type {Promise<Tokens> | null} */
let loggingIn = null

/**
 * wx.login -> our tokens.  Concurrent callers share one login.
 * @returns {Promise<Tokens>}
 */
function login() {
  if (!loggingIn) {
    loggingIn = (async () => {
      const code = await wxLoginCode()
      const answer = await send(urlOf('/auth/wechat/login'), {path: '', method: 'POST', data: {code}})
      if (answer.status !== 200) throw errorOf(answer.status, answer.data)
      saveTokens(answer.data)
      return /** @type {Tokens} */ (answer.data)
    })().finally(() => {
      loggingIn = null
    })
  }
  return loggingIn
}

/** @type {Promise<Tokens> | null} */
let refreshing = null

/**
 * New tokens from the refresh token (each works once, so concurrent callers share one refresh);
 * a refused refresh token means logging in again.
 * @returns {Promise<Tokens>}
 */
function refresh() {
  if (!refreshing) {
    refreshing = (async () => {
      const tokens = savedTokens()
      if (!tokens || !tokens.refresh) return login()
      const answer = await send(urlOf('/auth/refresh'), {path: '', method: 'POST', data: {refresh: tokens.refresh}})
      if (answer.status === 200) {
        saveTokens(answer.data)
        return /** @type {Tokens} */ (answer.data)
      }
      if (answer.status === 401 || answer.status === 400) {
        saveTokens(null)
        return login()
      }
      throw errorOf(answer.status, answer.data)
    })().finally(() => {
      refreshing = null
    })
  }
  return refreshing
}

/** @returns {Promise<Tokens>} */
async function ensureLogin() {
  return savedTokens() || login()
}

/**
 * Whether an answer says our access token is no good (expired, or from another server).
 * @param {Answer} answer
 */
function tokenRefused(answer) {
  if (answer.status !== 401) return false
  const code = answer.data && answer.data.error && answer.data.error.code
  return !code || AUTH_CODES.indexOf(code) >= 0
}

/**
 * Call the API as the logged-in customer; a refused token is refreshed once and the call repeated.
 * @param {(access: string) => Promise<Answer>} attempt
 * @returns {Promise<Answer>}
 */
async function authorized(attempt) {
  let tokens = await ensureLogin()
  let answer = await attempt(tokens.access)
  if (tokenRefused(answer)) {
    tokens = await refresh()
    answer = await attempt(tokens.access)
  }
  if (answer.status >= 400) throw errorOf(answer.status, answer.data)
  return answer
}

/**
 * @param {Call} call
 * @returns {Promise<Answer>}
 */
function call(call) {
  const url = urlOf(call.path)
  if (call.auth === false) {
    return send(url, call).then((answer) => {
      if (answer.status >= 400) throw errorOf(answer.status, answer.data)
      return answer
    })
  }
  return authorized((access) => send(url, call, access))
}

/** @param {Call} c */
const json = (c) => call(c).then((answer) => answer.data)

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// --- stores
/** The store the customer is in: from a scanned code, then the last one, then the default. */
function currentStore() {
  return wx.getStorageSync(STORE_KEY) || config.defaultStore
}

/** @param {string} code */
function rememberStore(code) {
  wx.setStorageSync(STORE_KEY, code)
}

/**
 * @param {string} code
 * @returns {Promise<{code: string, name: string, address: string}>}
 */
function store(code) {
  return json({path: `/checkout/stores/${encodeURIComponent(code)}`, auth: false})
}

// --- recognition
/**
 * Upload the basket photo (real multipart).  Answers the recognition (200) or the pending
 * {id, status, poll} (202); the string body wx.uploadFile gives is parsed here.
 * @param {string} filePath a temp file from wx.chooseMedia
 * @param {string} storeCode
 * @param {(percent: number) => void} [onProgress]
 * @returns {Promise<Answer>}
 */
function upload(filePath, storeCode, onProgress) {
  return authorized(
    (access) =>
      new Promise((resolve, reject) => {
        const task = wx.uploadFile({
          url: urlOf('/checkout/recognize'),
          filePath,
          name: 'image',
          formData: {store: storeCode},
          header: {Authorization: `Bearer ${access}`},
          timeout: config.uploadTimeoutMs,
          success: (res) => {
            let data = res.data
            try {
              data = JSON.parse(res.data)
            } catch (err) {
              // not JSON (a proxy's error page): errorOf says the service is unavailable
            }
            resolve({status: res.statusCode, data})
          },
          fail: () => reject(new ApiError(0, 'network', NETWORK_MESSAGE)),
        })
        if (onProgress && task) task.onProgressUpdate((res) => onProgress(res.progress))
      }),
  )
}

/** @param {string} id */
function recognition(id) {
  return json({path: `/checkout/recognitions/${id}`})
}

/**
 * Ask for a pending recognition until it is done; a failed one is an ApiError with its reason.
 * @param {string} id
 * @param {(tries: number) => void} [onWait]
 */
async function pollRecognition(id, onWait) {
  const deadline = Date.now() + config.pollTimeoutMs
  for (let tries = 1; ; tries++) {
    const found = await recognition(id)
    if (found.status === 'done') return found
    if (found.status === 'failed') {
      const status = found.failure === 'bad_image' ? 400 : 503
      throw new ApiError(status, found.failure || 'failed', found.error || '识别失败，请重试')
    }
    if (Date.now() > deadline) throw new ApiError(504, 'timeout', '识别时间过长，请重试')
    if (onWait) onWait(tries)
    await sleep(config.pollIntervalMs)
  }
}

/**
 * Photo -> finished recognition (polling when the backend answered 202).
 * @param {string} filePath
 * @param {string} storeCode
 * @param {{onProgress?: (percent: number) => void, onWait?: (tries: number) => void}} [hooks]
 */
async function recognize(filePath, storeCode, hooks = {}) {
  const answer = await upload(filePath, storeCode, hooks.onProgress)
  if (answer.status === 202) return pollRecognition(answer.data.id, hooks.onWait)
  return answer.data
}

// --- cart corrections: each answers the whole cart, repriced by the server
/**
 * wx.request has no PATCH: the quantity is PUT (setting it is idempotent anyway); 0 removes the line.
 * @param {string} id @param {string} sku @param {number} quantity
 */
function setQuantity(id, sku, quantity) {
  return json({path: `/checkout/recognitions/${id}/lines/${encodeURIComponent(sku)}`, method: 'PUT', data: {quantity}})
}

/** @param {string} id @param {string} sku */
function removeLine(id, sku) {
  return json({path: `/checkout/recognitions/${id}/lines/${encodeURIComponent(sku)}`, method: 'DELETE'})
}

/** @param {string} id @param {{sku?: string, barcode?: string, quantity?: number}} item */
function addItem(id, item) {
  return json({path: `/checkout/recognitions/${id}/lines`, method: 'POST', data: item})
}

/**
 * This box is really that product (an offered alternative, or any product for an unknown item).
 * @param {string} id @param {number} box @param {{sku?: string, barcode?: string}} product
 */
function choose(id, box, product) {
  return json({path: `/checkout/recognitions/${id}/boxes/${box}/choose`, method: 'POST', data: product})
}

/** @param {string} id @param {number} box */
function removeBox(id, box) {
  return json({path: `/checkout/recognitions/${id}/boxes/${box}`, method: 'DELETE'})
}

/** @param {string} search @returns {Promise<{results: Array<{sku: string, name: string, unit_price_fen: number, barcode: string}>}>} */
function searchProducts(search) {
  return json({path: `/checkout/products?search=${encodeURIComponent(search)}&page_size=20`})
}

// --- orders and payment
/**
 * Order a recognition's cart as the server holds it (corrections included): the server prices it
 * and reserves the stock, so the app sends no lines of its own.
 * @param {{id: string}} cart
 */
function createOrder(cart) {
  return json({path: '/orders', method: 'POST', data: {recognition: cart.id}})
}

/** @param {string} id */
function order(id) {
  return json({path: `/orders/${id}`})
}

/** @param {number} page */
function orders(page) {
  return json({path: `/orders?page=${page}&page_size=${10}&ordering=-created_at`})
}

/**
 * The five wx.requestPayment fields (and appId) the backend signed for this order.
 * @param {string} id
 * @returns {Promise<{appId: string, timeStamp: string, nonceStr: string, package: string, signType: 'RSA', paySign: string}>}
 */
function pay(id) {
  return json({path: `/orders/${id}/pay`, method: 'POST'})
}

/** The client thinks it paid: the server asks WeChat Pay and answers the order. @param {string} id */
function checkPayment(id) {
  return json({path: `/orders/${id}/check-payment`, method: 'POST'})
}

module.exports = {
  ApiError,
  addItem,
  checkPayment,
  choose,
  createOrder,
  currentStore,
  ensureLogin,
  login,
  order,
  orders,
  pay,
  pollRecognition,
  recognition,
  recognize,
  refresh,
  rememberStore,
  removeBox,
  removeLine,
  savedTokens,
  searchProducts,
  setQuantity,
  sleep,
  store,
}
