// Start: log in with WeChat (silently, wx.login), find the store from the scanned
// mini-program code's `scene` (a store code), the last store, or the default, and show its name.
const api = require('../../api')

Component({
  data: {
    loading: true,
    loggedIn: false,
    store: {code: '', name: '', address: ''},
    error: '',
  },
  methods: {
    /** @param {Record<string, string | undefined>} query */
    onLoad(query) {
      const scene = query && query.scene ? decodeURIComponent(query.scene) : ''
      const code = scene || (query && query.store) || api.currentStore()
      this.start(code)
    },

    /** @param {string} code */
    async start(code) {
      this.setData({loading: true, error: ''})
      try {
        const [store] = await Promise.all([api.store(code), api.ensureLogin()])
        api.rememberStore(store.code)
        this.setData({loading: false, loggedIn: true, store})
      } catch (err) {
        this.setData({loading: false, error: /** @type {Error} */ (err).message})
      }
    },

    retry() {
      this.start(this.data.store.code || api.currentStore())
    },

    photograph() {
      wx.navigateTo({url: `/pages/photo/photo?store=${encodeURIComponent(this.data.store.code)}`})
    },

    myOrders() {
      wx.navigateTo({url: '/pages/orders/orders'})
    },
  },
})
