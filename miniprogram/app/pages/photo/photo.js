// Photograph: camera or album (compressed), upload with progress, wait for the recognition
// (polling a 202), then open the cart.  A bad photo or an unavailable service shows the
// backend's message and "try again".
const api = require('../../api')

Component({
  data: {
    store: '',
    photo: '',
    /** idle | uploading | recognizing | failed */
    stage: 'idle',
    progress: 0,
    waited: 0,
    error: '',
  },
  methods: {
    /** @param {Record<string, string | undefined>} query */
    onLoad(query) {
      this.setData({store: (query && query.store) || api.currentStore()})
    },

    choose() {
      wx.chooseMedia({
        count: 1,
        mediaType: ['image'],
        sourceType: ['camera', 'album'],
        sizeType: ['compressed'],
        camera: 'back',
        success: (res) => this.recognize(res.tempFiles[0].tempFilePath),
        fail: (err) => {
          // Closing the camera is not an error.
          if (!/cancel/.test(err.errMsg)) this.setData({stage: 'failed', error: '无法打开相机或相册，请检查授权'})
        },
      })
    },

    /** @param {string} path */
    async recognize(path) {
      this.setData({photo: path, stage: 'uploading', progress: 0, waited: 0, error: ''})
      try {
        const result = await api.recognize(path, this.data.store, {
          onProgress: (progress) => this.setData({progress, stage: progress >= 100 ? 'recognizing' : 'uploading'}),
          onWait: (waited) => this.setData({stage: 'recognizing', waited}),
        })
        this.setData({stage: 'idle'})
        wx.navigateTo({url: `/pages/cart/cart?id=${result.id}`})
      } catch (err) {
        this.setData({stage: 'failed', error: /** @type {Error} */ (err).message})
      }
    },

    retry() {
      this.setData({stage: 'idle', error: '', photo: ''})
      this.choose()
    },
  },
})
