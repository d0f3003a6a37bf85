// Receipt: order number, time, lines, total, payment state and refunds, all as the server
// records them (the receipt exists once WeChat Pay told the server the order was paid).
const api = require('../../api')
const {dateTime, orderNumber, orderStatus, refundState, yuan} = require('../../utils/format')

Component({
  data: {
    loading: true,
    error: '',
    id: '',
    number: '',
    status: '',
    statusText: '',
    created: '',
    paidAt: '',
    store: '',
    transactionId: '',
    lines: /** @type {Array<{sku: string, name: string, quantity: number, price: string, subtotal: string}>} */ ([]),
    total: yuan(0),
    refunded: '',
    net: '',
    refunds: /** @type {Array<{no: string, amount: string, state: string, reason: string, time: string}>} */ ([]),
  },
  methods: {
    /** @param {Record<string, string | undefined>} query */
    onLoad(query) {
      this.setData({id: (query && query.order) || ''})
      this.load()
    },

    async load() {
      this.setData({loading: true, error: ''})
      try {
        const order = await api.order(this.data.id)
        const receipt = order.receipt
        this.setData({
          number: orderNumber(order.id),
          status: order.status,
          statusText: orderStatus(order.status),
          created: dateTime(order.created_at),
          paidAt: receipt ? dateTime(receipt.paid_at) : '',
          store: receipt ? receipt.store : order.store,
          transactionId: receipt ? receipt.transaction_id || '' : '',
          lines: order.lines.map((/** @type {any} */ l) => ({
            sku: l.sku,
            name: l.name,
            quantity: l.quantity,
            price: yuan(l.unit_price_fen),
            subtotal: yuan(l.subtotal_fen),
          })),
          total: yuan(order.total_fen),
          refunded: order.refunded_fen ? yuan(order.refunded_fen) : '',
          net: order.refunded_fen ? yuan(order.total_fen - order.refunded_fen) : '',
          refunds: order.refunds.map((/** @type {any} */ r) => ({
            no: r.out_refund_no,
            amount: yuan(r.amount_fen),
            state: refundState(r.state),
            reason: r.reason || '',
            time: dateTime(r.settled_at || r.created_at),
          })),
        })
      } catch (err) {
        this.setData({error: /** @type {Error} */ (err).message})
      }
      this.setData({loading: false})
    },

    myOrders() {
      wx.redirectTo({url: '/pages/orders/orders'})
    },

    shopAgain() {
      wx.reLaunch({url: '/pages/start/start'})
    },
  },
})
