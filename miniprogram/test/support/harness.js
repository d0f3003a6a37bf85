/**
 * What each test file shares: the backend's address, a fresh test `wx` per test (installed in
 * place of miniprogram-simulate's canned one), and a small router that opens pages the way
 * WeChat does (load the page component, attach it, call its onLoad with the query).
 */
const crypto = require('crypto')
const fs = require('fs')
const path = require('path')

const simulate = require('miniprogram-simulate') // installs its canned wx: replaced below, before any app code runs
const jComponent = require('j-component')
const {createWx} = require('./wx')

// simulate registers WeChat's built-in tags as bare slots; a button also needs its `disabled`
// (WeChat fires no tap on a disabled button), so tests can see it and tap() can refuse it.
jComponent.register({
  id: 'button',
  tagName: 'wx-button',
  template: '<slot/>',
  properties: {disabled: {type: Boolean, value: false}, loading: {type: Boolean, value: false}},
})

const APP = path.resolve(__dirname, '..', '..', 'app')
const backend = JSON.parse(fs.readFileSync(/** @type {string} */ (process.env.SC_BACKEND_FILE), 'utf8'))

/** A new test wx for a new customer (a fresh code2session user, empty storage). */
const cursor = {next: 0} // the first navigation follow() has not opened yet

function freshWx() {
  cursor.next = 0
  const wx = createWx(backend)
  wx.test.user = `u${crypto.randomBytes(6).toString('hex')}`
  global.wx = wx
  const config = require(path.join(APP, 'config'))
  config.baseUrl = backend.server
  config.pollIntervalMs = 100
  config.paymentCheckIntervalMs = 200
  return wx
}
freshWx()

/** @param {() => any} check @param {string} what @param {number} [ms] */
async function until(check, what, ms = 30000) {
  const deadline = Date.now() + ms
  for (;;) {
    let value
    let error
    try {
      value = await check()
    } catch (err) {
      error = err
    }
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${error ? `: ${error}` : ''}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

class Page {
  /** @param {any} comp @param {string} route */
  constructor(comp, route) {
    this.comp = comp
    this.route = route
  }

  get data() {
    return this.comp.instance.data
  }

  /** @param {string} selector */
  node(selector) {
    return this.comp.querySelector(selector)
  }

  /** @param {string} selector */
  all(selector) {
    return this.comp.querySelectorAll(selector)
  }

  /** @param {string} selector */
  has(selector) {
    return !!this.node(selector)
  }

  /** @param {string} [selector] the page's whole text when omitted */
  text(selector) {
    const node = selector ? this.node(selector) : this.comp
    if (!node) throw new Error(`${this.route}: nothing matches ${selector}`)
    return node.dom.textContent.replace(/\s+/g, ' ').trim()
  }

  /**
   * Tap as a finger would, once the target is on screen; a disabled button is an error.
   * @param {string | any} target a selector or a node
   */
  async tap(target) {
    const node = typeof target === 'string' ? await this.until(() => this.node(target), `${target} to tap`) : target
    if (this.disabled(node)) throw new Error(`${this.route}: ${target} is disabled`)
    node.dispatchEvent('tap')
  }

  /** Whether a button is disabled. @param {string | any} target */
  disabled(target) {
    const node = typeof target === 'string' ? this.node(target) : target
    return !!(node && node.instance && node.instance.data && node.instance.data.disabled)
  }

  /** Type into an input (its bindinput gets {detail: {value}}). @param {string} selector @param {string} value */
  async input(selector, value) {
    const node = await this.until(() => this.node(selector), `${selector} to type into`)
    node.dispatchEvent('input', {detail: {value}})
  }

  /** @param {() => any} check @param {string} what */
  until(check, what) {
    return until(check, `${this.route}: ${what}`)
  }

  /** Wait until the selector shows text matching `pattern`. @param {string} selector @param {RegExp} pattern */
  async untilText(selector, pattern) {
    await this.until(() => this.has(selector) && pattern.test(this.text(selector)), `${selector} ~ ${pattern}`)
    return this.text(selector)
  }

  close() {
    this.comp.instance.onUnload && this.comp.instance.onUnload()
    this.comp.detach()
  }
}

/** @type {Record<string, string>} */
const loaded = {}

/**
 * Open a page by its URL, as wx.navigateTo would.
 * @param {string} url e.g. /pages/cart/cart?id=...
 */
function open(url) {
  const [route, search] = url.split('?')
  const query = Object.fromEntries(new URLSearchParams(search || ''))
  // Loaded once per test file (the page's module runs once, as in WeChat); wcc compiles every page's WXML.
  const id = loaded[route] || (loaded[route] = simulate.load(path.join(APP, route.replace(/^\//, '')), {rootPath: APP}))
  const comp = simulate.render(id)
  comp.attach(document.createElement('parent-wrapper'))
  const page = new Page(comp, route)
  comp.instance.onLoad(query)
  return page
}

/**
 * Wait for the app to navigate (navigateTo, redirectTo, reLaunch) and open where it went.
 * @param {Page} from the page that navigates (closed when it is replaced)
 * @param {RegExp} [expected]
 */
async function follow(from, expected) {
  const nav = await until(() => global.wx.test.navigations[cursor.next], `${from.route} to navigate`)
  cursor.next += 1
  if (expected && !expected.test(nav.url)) throw new Error(`${from.route} went to ${nav.url}, expected ${expected}`)
  if (nav.how !== 'navigateTo') from.close()
  return open(nav.url)
}

/**
 * An access token that expired a minute ago, signed as the server signs them (HS256 with its key).
 * @param {number} customer
 */
function expiredAccessToken(customer) {
  const b64 = (/** @type {any} */ obj) => Buffer.from(JSON.stringify(obj)).toString('base64url')
  const now = Math.floor(Date.now() / 1000)
  const claims = {iss: 'smart-container', sub: String(customer), typ: 'access', iat: now - 960, exp: now - 60}
  const unsigned = `${b64({alg: 'HS256', typ: 'JWT'})}.${b64({...claims, jti: crypto.randomBytes(16).toString('hex')})}`
  const signature = crypto.createHmac('sha256', backend.secretKey).update(unsigned).digest('base64url')
  return `${unsigned}.${signature}`
}

module.exports = {APP, Page, backend, expiredAccessToken, follow, freshWx, open, simulate, until}
