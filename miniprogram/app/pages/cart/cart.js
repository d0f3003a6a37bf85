// Cart: the photo with every box drawn, the lines (name, unit price, stepper, subtotal), the
// total.  Unsure boxes offer their alternatives; unknown items can be picked (search or
// barcode) or removed.  Every change goes to the backend, which answers the repriced cart:
// nothing here computes a price.
const api = require('../../api')
const {yuan} = require('../../utils/format')

/**
 * @typedef {{sku: string, name: string, unit_price_fen: number, score: number}} Alternative
 * @typedef {{id: number, box: number[], score: number, unsure: boolean, alternatives: Alternative[]}} Box
 * @typedef {{sku: string, name: string, unit_price_fen: number, quantity: number, subtotal_fen: number, unsure: boolean, boxes: Box[]}} Line
 * @typedef {{id: string, status: string, photo: string, image_size: number[], lines: Line[], unknown: Box[], total_fen: number, order: string | null}} Recognition
 */

/** @param {Alternative[]} alternatives */
const choices = (alternatives) =>
  alternatives.map((alt) => ({sku: alt.sku, name: alt.name, price: yuan(alt.unit_price_fen)}))

/**
 * What the page shows for a recognition (display only: the numbers are the server's).
 * @param {Recognition} rec
 */
function view(rec) {
  const [width, height] = rec.image_size && rec.image_size[0] ? rec.image_size : [1, 1]
  /** @param {Box} b @param {string} label @param {string} kind */
  const frame = (b, label, kind) => ({
    id: b.id,
    label,
    kind,
    style:
      `left:${((100 * b.box[0]) / width).toFixed(2)}%;top:${((100 * b.box[1]) / height).toFixed(2)}%;` +
      `width:${((100 * (b.box[2] - b.box[0])) / width).toFixed(2)}%;height:${((100 * (b.box[3] - b.box[1])) / height).toFixed(2)}%`,
  })
  /** @type {Array<ReturnType<typeof frame>>} */
  const frames = []
  const lines = rec.lines.map((line) => {
    const unsureBoxes = line.boxes.filter((b) => b.unsure && b.alternatives.length > 1)
    line.boxes.forEach((b) => frames.push(frame(b, line.name, b.unsure ? 'unsure' : 'sure')))
    return {
      sku: line.sku,
      name: line.name,
      price: yuan(line.unit_price_fen),
      quantity: line.quantity,
      subtotal: yuan(line.subtotal_fen),
      unsure: unsureBoxes.length > 0,
      boxes: unsureBoxes.map((b) => ({id: b.id, choices: choices(b.alternatives.filter((a) => a.sku !== line.sku))})),
    }
  })
  const unknown = rec.unknown.map((b, i) => {
    frames.push(frame(b, `未识别 ${i + 1}`, 'unknown'))
    return {id: b.id, n: i + 1, choices: choices(b.alternatives)}
  })
  return {lines, unknown, frames, total: yuan(rec.total_fen), count: rec.lines.reduce((n, l) => n + l.quantity, 0)}
}

Component({
  data: {
    id: '',
    loading: true,
    busy: false,
    error: '',
    photo: '',
    ordered: false,
    lines: /** @type {ReturnType<typeof view>['lines']} */ ([]),
    unknown: /** @type {ReturnType<typeof view>['unknown']} */ ([]),
    frames: /** @type {ReturnType<typeof view>['frames']} */ ([]),
    total: yuan(0),
    count: 0,
    /** The product picker: open for an unknown box (its id) or for adding a missed item (0). */
    picker: {open: false, box: 0, query: '', searched: false, results: /** @type {Array<{sku: string, name: string, price: string}>} */ ([])},
  },
  methods: {
    /** @param {Record<string, string | undefined>} query */
    onLoad(query) {
      this.setData({id: (query && query.id) || ''})
      this.load()
    },

    async load() {
      this.setData({loading: true, error: ''})
      try {
        this.show(await api.recognition(this.data.id))
      } catch (err) {
        this.setData({error: /** @type {Error} */ (err).message})
      }
      this.setData({loading: false})
    },

    /** @param {Recognition} rec */
    show(rec) {
      this.setData({photo: rec.photo, ordered: !!rec.order, ...view(rec)})
    },

    /**
     * Send one change; the answer is the repriced cart.
     * @param {() => Promise<Recognition>} change
     */
    async change(change) {
      if (this.data.busy) return
      this.setData({busy: true, error: ''})
      try {
        this.show(await change())
      } catch (err) {
        this.setData({error: /** @type {Error} */ (err).message})
      }
      this.setData({busy: false})
    },

    /** @param {string} sku */
    line(sku) {
      return this.data.lines.find((l) => l.sku === sku)
    },

    /** @param {WechatMiniprogram.BaseEvent} e */
    increase(e) {
      const line = this.line(e.currentTarget.dataset.sku)
      if (line) this.change(() => api.setQuantity(this.data.id, line.sku, line.quantity + 1))
    },

    /** @param {WechatMiniprogram.BaseEvent} e */
    decrease(e) {
      const line = this.line(e.currentTarget.dataset.sku)
      if (line) this.change(() => api.setQuantity(this.data.id, line.sku, line.quantity - 1))
    },

    /** @param {WechatMiniprogram.BaseEvent} e */
    removeLine(e) {
      const sku = e.currentTarget.dataset.sku
      this.change(() => api.removeLine(this.data.id, sku))
    },

    /** The box is really this alternative. @param {WechatMiniprogram.BaseEvent} e */
    chooseAlternative(e) {
      const {box, sku} = e.currentTarget.dataset
      this.change(() => api.choose(this.data.id, Number(box), {sku}))
    },

    /** @param {WechatMiniprogram.BaseEvent} e */
    removeUnknown(e) {
      const box = Number(e.currentTarget.dataset.box)
      this.change(() => api.removeBox(this.data.id, box))
    },

    /** @param {WechatMiniprogram.BaseEvent} e */
    openPicker(e) {
      this.setData({picker: {open: true, box: Number(e.currentTarget.dataset.box || 0), query: '', searched: false, results: []}})
    },

    closePicker() {
      this.setData({'picker.open': false})
    },

    /** @param {WechatMiniprogram.Input} e */
    onSearchInput(e) {
      this.setData({'picker.query': e.detail.value})
    },

    async search() {
      const query = this.data.picker.query.trim()
      if (!query) return
      try {
        const found = await api.searchProducts(query)
        const results = found.results.map((p) => ({sku: p.sku, name: p.name, price: yuan(p.unit_price_fen)}))
        this.setData({'picker.results': results, 'picker.searched': true})
      } catch (err) {
        this.setData({error: /** @type {Error} */ (err).message})
      }
    },

    /** @param {{sku?: string, barcode?: string}} product */
    pickProduct(product) {
      const box = this.data.picker.box
      this.setData({'picker.open': false})
      this.change(() => (box ? api.choose(this.data.id, box, product) : api.addItem(this.data.id, {...product, quantity: 1})))
    },

    /** @param {WechatMiniprogram.BaseEvent} e */
    pickResult(e) {
      this.pickProduct({sku: e.currentTarget.dataset.sku})
    },

    scan() {
      wx.scanCode({
        onlyFromCamera: true,
        scanType: ['barCode'],
        success: (res) => this.pickProduct({barcode: res.result}),
        fail: (err) => {
          if (!/cancel/.test(err.errMsg)) this.setData({error: '扫码失败，请重试或搜索商品'})
        },
      })
    },

    async checkout() {
      if (this.data.busy || !this.data.lines.length) return
      if (this.data.unknown.length) {
        const answer = await wx.showModal({
          title: '还有未识别的商品',
          content: `有 ${this.data.unknown.length} 件商品未识别，请先选择商品或移除。仍要只购买已识别的商品吗？`,
          confirmText: '继续支付',
          cancelText: '返回修改',
        })
        if (!answer.confirm) return
      }
      this.setData({busy: true, error: ''})
      try {
        const rec = await api.recognition(this.data.id)
        const order = await api.createOrder(rec)
        wx.redirectTo({url: `/pages/pay/pay?order=${order.id}`})
      } catch (err) {
        this.setData({error: /** @type {Error} */ (err).message})
      }
      this.setData({busy: false})
    },
  },
})
