// The app itself keeps nothing: tokens and the store live in storage (see api.js), so every page
// can be opened directly (from a scanned code, a share or a test) and still work.
App({
  globalData: {},
})
