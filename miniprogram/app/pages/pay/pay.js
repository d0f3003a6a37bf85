// Pay: the backend makes the WeChat Pay order (POST .../pay) and signs the five
// wx.requestPayment fields; after the payment sheet says "ok" the server is asked to check
// with WeChat Pay until the order is paid.  Cancel or failure leave the order payable again;
// an order not paid in time closes (its expiry is shown).
const api = require('../../api')
const config = require('../../config')
const {countdown, orderNumber, yuan} = require('../../utils/format')

/** Each open pay page's countdown timer. @type {WeakMap<object, number>} */
const clocks = new WeakMap()

Component({
  data: {
    id: '',
    number: '',
    total: yuan(0),
    count: 0,
    status: '',
    /** idle | paying | confirming | cancelled | failed | expired | unconfirmed */
    stage: 'idle',
    message: '',
    remaining: '',
    expiresAt: 0,
  },
  lifetimes: {
    detached() {
      this.stopClock()
    },
  },
  methods: {
    /** @param {Record<string, string | undefined>} query */
    onLoad(query) {
      this.setData({id: (query && query.order) || ''})
      this.load()
    },

    onUnload() {
      this.stopClock()
    },

    async load() {
      try {
        this.showOrder(await api.order(this.data.id))
      } catch (err) {
        this.setData({stage: 'failed', message: /** @type {Error} */ (err).message})
      }
    },

    /** @param {any} order */
    showOrder(order) {
      const count = order.lines.reduce((/** @type {number} */ n, /** @type {{quantity: number}} */ l) => n + l.quantity, 0)
      this.setData({
        number: orderNumber(order.id),
        total: yuan(order.total_fen),
        count,
        status: order.status,
        expiresAt: order.expires_at ? Date.parse(order.expires_at) : 0,
      })
      if (order.status === 'closed') this.setData({stage: 'expired', message: '订单已超时关闭，请重新拍照下单'})
      else if (order.status !== 'created') this.paid()
      else this.startClock()
    },

    startClock() {
      this.stopClock()
      const tick = () => {
        const left = (this.data.expiresAt - Date.now()) / 1000
        if (this.data.expiresAt && left <= 0) {
          this.stopClock()
          this.setData({remaining: countdown(0), stage: 'expired', message: '支付已超时，订单已关闭'})
        } else if (this.data.expiresAt) {
          this.setData({remaining: countdown(left)})
        }
      }
      tick()
      clocks.set(this, setInterval(tick, 1000))
    },

    stopClock() {
      const timer = clocks.get(this)
      if (timer !== undefined) clearInterval(timer)
      clocks.delete(this)
    },

    async pay() {
      if (this.data.stage === 'paying' || this.data.stage === 'confirming') return
      this.setData({stage: 'paying', message: ''})
      let params
      try {
        params = await api.pay(this.data.id)
      } catch (err) {
        const e = /** @type {import('../../api').ApiError} */ (err)
        // A closed order cannot be paid: say so instead of offering the button again.
        if (e.status === 409 || e.status === 410) this.setData({stage: 'expired', message: e.message})
        else this.setData({stage: 'failed', message: e.message})
        return
      }
      wx.requestPayment({
        timeStamp: params.timeStamp,
        nonceStr: params.nonceStr,
        package: params.package,
        signType: params.signType,
        paySign: params.paySign,
        success: () => this.confirm(),
        fail: (err) => {
          if (/cancel/.test(err.errMsg)) this.setData({stage: 'cancelled', message: '已取消支付，订单保留，可再次支付'})
          else this.setData({stage: 'failed', message: '支付未完成，请重试'})
        },
      })
    },

    /** wx.requestPayment said ok; only WeChat Pay's answer, through our server, makes the order paid. */
    async confirm() {
      this.setData({stage: 'confirming', message: '正在确认支付结果…'})
      for (let i = 0; i < config.paymentChecks; i++) {
        try {
          const order = await api.checkPayment(this.data.id)
          if (order.status !== 'created') return this.showOrder(order)
        } catch (err) {
          // keep asking: the payment may still be on its way
        }
        await api.sleep(config.paymentCheckIntervalMs)
      }
      this.setData({stage: 'unconfirmed', message: '暂未收到支付结果；如已付款，请稍后在“我的订单”查看'})
    },

    paid() {
      this.stopClock()
      wx.redirectTo({url: `/pages/receipt/receipt?order=${this.data.id}`})
    },

    photographAgain() {
      wx.reLaunch({url: '/pages/start/start'})
    },
  },
})
