/**
 * Where the backend is, in one place. The develop URL is for WeChat DevTools on your machine
 * ("Do not verify request domains" ticked); trial and release must be HTTPS domains listed as
 * request and uploadFile domains in the mini-program admin (docs/miniprogram.md).
 */
const BASE_URLS = {
  develop: 'http://127.0.0.1:8000',
  trial: 'https://shop.example.com',
  release: 'https://shop.example.com',
}

/** @returns {string} develop, trial or release */
function envVersion() {
  try {
    return wx.getAccountInfoSync().miniProgram.envVersion || 'release'
  } catch (err) {
    return 'release'
  }
}

module.exports = {
  /** The server root; the API is under /api/v1. */
  baseUrl: BASE_URLS[/** @type {'develop' | 'trial' | 'release'} */ (envVersion())] || BASE_URLS.release,
  /** The store when the mini-program was not opened from a store's code. */
  defaultStore: 'demo',
  /** How often a pending recognition is asked for, and for how long. */
  pollIntervalMs: 700,
  pollTimeoutMs: 60000,
  /** After wx.requestPayment succeeds: how many times the server is asked to check with WeChat Pay. */
  paymentChecks: 10,
  paymentCheckIntervalMs: 1000,
  /** Seconds a request may take (uploads: recognition included). */
  requestTimeoutMs: 15000,
  uploadTimeoutMs: 60000,
}
