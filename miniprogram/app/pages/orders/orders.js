// My orders: the customer's own orders, newest first, ten a page (more on reaching the bottom).
const api = require('../../api')
const {dateTime, orderNumber, orderStatus, yuan} = require('../../utils/format')

/** @param {any} order */
const row = (order) => ({
  id: order.id,
  number: orderNumber(order.id),
  time: dateTime(order.created_at),
  store: order.receipt ? order.receipt.store : order.store,
  total: yuan(order.total_fen),
  status: order.status,
  statusText: orderStatus(order.status),
  summary: order.lines.map((/** @type {{name: string, quantity: number}} */ l) => `${l.name}×${l.quantity}`).join('，'),
})

Component({
  data: {
    orders: /** @type {Array<ReturnType<typeof row>>} */ ([]),
    page: 0,
    more: true,
    loading: false,
    error: '',
  },
  methods: {
    onLoad() {
      this.loadMore()
    },

    onPullDownRefresh() {
      this.setData({orders: [], page: 0, more: true})
      this.loadMore().then(() => wx.stopPullDownRefresh())
    },

    onReachBottom() {
      this.loadMore()
    },

    async loadMore() {
      if (this.data.loading || !this.data.more) return
      this.setData({loading: true, error: ''})
      try {
        const page = this.data.page + 1
        const answer = await api.orders(page)
        this.setData({orders: this.data.orders.concat(answer.results.map(row)), page, more: !!answer.next})
      } catch (err) {
        this.setData({error: /** @type {Error} */ (err).message})
      }
      this.setData({loading: false})
    },

    /** @param {WechatMiniprogram.BaseEvent} e */
    open(e) {
      const {id, status} = e.currentTarget.dataset
      const page = status === 'created' ? 'pay/pay' : 'receipt/receipt'
      wx.navigateTo({url: `/pages/${page}?order=${id}`})
    },
  },
})
